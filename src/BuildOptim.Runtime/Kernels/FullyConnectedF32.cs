using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>Σ_k x[k] · w[k]</c> in float, summed in one fixed order whatever the vector width: over the whole 16-element
    /// blocks b, partial sums <c>p_j = Σ_b x[16b + j] · w[16b + j]</c> (j in [0, 16), b ascending), reduced as
    /// <c>q_j = (p_j + p_(j+8)) + (p_(j+4) + p_(j+12))</c>, <c>sum = (q_0 + q_2) + (q_1 + q_3)</c>; then the remaining
    /// elements are added to <c>sum</c> in order.
    /// </summary>
    /// <remarks>
    /// Every product and sum is one IEEE single-precision rounding (no fused multiply-add), so the Vector256, Vector128
    /// and scalar paths give bit-identical results; <see cref="DotF32Scalar"/> is the twin tests compare with.
    /// </remarks>
    internal static float DotF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w) => DotF32(x, w, SimdLevel.Vector512);

    /// <summary><see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static float DotF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, SimdLevel maxLevel)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        int length = x.Length;
        if (length < 16 || maxLevel == SimdLevel.Scalar || !Vector128.IsHardwareAccelerated)
        {
            return DotF32Scalar(x, w);
        }

        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        int i = 0;
        Vector128<float> lanes0To3, lanes4To7;
        if (maxLevel >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                acc0 += Vector256.LoadUnsafe(ref xr, (nuint)i) * Vector256.LoadUnsafe(ref wr, (nuint)i);
                acc1 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 8)) * Vector256.LoadUnsafe(ref wr, (nuint)(i + 8));
            }

            var pairs = acc0 + acc1;
            (lanes0To3, lanes4To7) = (pairs.GetLower(), pairs.GetUpper());
        }
        else
        {
            var acc0 = Vector128<float>.Zero;
            var acc1 = Vector128<float>.Zero;
            var acc2 = Vector128<float>.Zero;
            var acc3 = Vector128<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                acc0 += Vector128.LoadUnsafe(ref xr, (nuint)i) * Vector128.LoadUnsafe(ref wr, (nuint)i);
                acc1 += Vector128.LoadUnsafe(ref xr, (nuint)(i + 4)) * Vector128.LoadUnsafe(ref wr, (nuint)(i + 4));
                acc2 += Vector128.LoadUnsafe(ref xr, (nuint)(i + 8)) * Vector128.LoadUnsafe(ref wr, (nuint)(i + 8));
                acc3 += Vector128.LoadUnsafe(ref xr, (nuint)(i + 12)) * Vector128.LoadUnsafe(ref wr, (nuint)(i + 12));
            }

            (lanes0To3, lanes4To7) = (acc0 + acc2, acc1 + acc3);
        }

        var quad = lanes0To3 + lanes4To7;
        float sum = (quad[0] + quad[2]) + (quad[1] + quad[3]);
        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref xr, i) * Unsafe.Add(ref wr, i);
        }

        return sum;
    }

    /// <summary>Scalar twin of <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/>: the same 16 partial sums and reduction tree.</summary>
    internal static float DotF32Scalar(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        int length = x.Length;
        int i = 0;
        float sum = 0;
        if (length >= 16)
        {
            Span<float> p = stackalloc float[16];
            p.Clear();
            for (; i <= length - 16; i += 16)
            {
                for (int j = 0; j < 16; j++)
                {
                    p[j] += x[i + j] * w[i + j];
                }
            }

            Span<float> quad = stackalloc float[4];
            for (int j = 0; j < 4; j++)
            {
                quad[j] = (p[j] + p[j + 8]) + (p[j + 4] + p[j + 12]);
            }

            sum = (quad[0] + quad[2]) + (quad[1] + quad[3]);
        }

        for (; i < length; i++)
        {
            sum += x[i] * w[i];
        }

        return sum;
    }

    /// <summary><c>y[n] = act(bias[n] + Σ_k x[k] · w[n·K + k])</c> in float (each row a <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).</summary>
    internal static void GemvF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Activation activation, Span<float> y)
        => GemvF32(x, w, bias, activation, y, SimdLevel.Vector512);

    /// <summary><see cref="GemvF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Activation, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void GemvF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Activation activation, Span<float> y, SimdLevel maxLevel)
    {
        int k = x.Length;
        int n = y.Length;
        if (w.Length != (long)n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < n; row++)
        {
            y[row] = bias[row] + DotF32(x, w.Slice(row * k, k), maxLevel);
        }

        ActivationF32(y, activation, y);
    }
}
