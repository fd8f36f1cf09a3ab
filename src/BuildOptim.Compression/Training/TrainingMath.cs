using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Compression.Training;

/// <summary>
/// The arithmetic the training engine is built on, written so that its results do not depend on the CPU: elementwise
/// loops may use any vector width (each element is one IEEE multiply and one add, never a fused multiply-add, which
/// the JIT does not introduce on its own), and every reduction has one fixed order.
/// </summary>
internal static class TrainingMath
{
    /// <summary>
    /// <c>Σ_i a[i]·b[i]</c> in a fixed order: eight running sums (lane j takes the elements i ≡ j mod 8 of the
    /// whole 8-element chunks), added lane 0 to 7, then the tail in order. <see cref="Vector256{T}"/> is emulated lane
    /// by lane where the hardware has no 256-bit vectors, with the same result.
    /// </summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int n = Math.Min(a.Length, b.Length);
        int chunks = n & ~7;
        var acc = Vector256<float>.Zero;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        for (int i = 0; i < chunks; i += 8)
        {
            acc += Vector256.LoadUnsafe(ref ra, (nuint)i) * Vector256.LoadUnsafe(ref rb, (nuint)i);
        }

        float sum = SumLanes(acc);
        for (int i = chunks; i < n; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>
    /// Four dot products of <paramref name="x"/> with the rows <paramref name="w0"/>..<paramref name="w3"/>, each
    /// bit-identical to <see cref="Dot"/> (same lanes, same order); <paramref name="x"/> is loaded once for all four.
    /// </summary>
    public static void Dot4(ReadOnlySpan<float> x, ReadOnlySpan<float> w0, ReadOnlySpan<float> w1, ReadOnlySpan<float> w2, ReadOnlySpan<float> w3, Span<float> result)
    {
        int n = x.Length;
        if (w0.Length < n || w1.Length < n || w2.Length < n || w3.Length < n || result.Length < 4)
        {
            throw new ArgumentException("Each row must be as long as x, and the result hold four values.");
        }

        int chunks = n & ~7;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float r0 = ref MemoryMarshal.GetReference(w0);
        ref float r1 = ref MemoryMarshal.GetReference(w1);
        ref float r2 = ref MemoryMarshal.GetReference(w2);
        ref float r3 = ref MemoryMarshal.GetReference(w3);
        for (int i = 0; i < chunks; i += 8)
        {
            var v = Vector256.LoadUnsafe(ref rx, (nuint)i);
            a0 += v * Vector256.LoadUnsafe(ref r0, (nuint)i);
            a1 += v * Vector256.LoadUnsafe(ref r1, (nuint)i);
            a2 += v * Vector256.LoadUnsafe(ref r2, (nuint)i);
            a3 += v * Vector256.LoadUnsafe(ref r3, (nuint)i);
        }

        float s0 = SumLanes(a0), s1 = SumLanes(a1), s2 = SumLanes(a2), s3 = SumLanes(a3);
        for (int i = chunks; i < n; i++)
        {
            s0 += x[i] * w0[i];
            s1 += x[i] * w1[i];
            s2 += x[i] * w2[i];
            s3 += x[i] * w3[i];
        }

        result[0] = s0;
        result[1] = s1;
        result[2] = s2;
        result[3] = s3;
    }

    /// <summary><c>y[i] += alpha · x[i]</c>, one multiply and one add per element.</summary>
    public static void MultiplyAdd(Span<float> y, ReadOnlySpan<float> x, float alpha)
    {
        int n = Math.Min(x.Length, y.Length);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var a = new Vector<float>(alpha);
            ref float rx = ref MemoryMarshal.GetReference(x);
            ref float ry = ref MemoryMarshal.GetReference(y);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var product = a * Vector.LoadUnsafe(ref rx, (nuint)i);
                (Vector.LoadUnsafe(ref ry, (nuint)i) + product).StoreUnsafe(ref ry, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    /// <summary>Lanes 0 to 7 added in order.</summary>
    private static float SumLanes(Vector256<float> v)
    {
        float sum = v.GetElement(0);
        for (int lane = 1; lane < 8; lane++)
        {
            sum += v.GetElement(lane);
        }

        return sum;
    }
}

/// <summary>SplitMix64: a small, fast generator whose sequence is fixed by its seed on every platform and runtime.</summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A whole number in [0, <paramref name="bound"/>) (Lemire's multiply-shift; its tiny bias is irrelevant here).</summary>
    public int NextInt(int bound) => (int)(((Next() >> 32) * (ulong)bound) >> 32);

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/>.</summary>
    public void Shuffle(Span<int> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
