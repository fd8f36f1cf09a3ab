using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>acc[n] = bias[n] + Σ_k x[k] · w[n·K + k]</c> for n in [0, N): a u8 × s8 matrix-vector product with int32
    /// accumulation (row-major weights, one row per output).
    /// </summary>
    /// <remarks>Each row is a <see cref="DotU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte})"/>, so the result is bit-identical to <see cref="GemvU8S8S32Scalar"/>.</remarks>
    public static void GemvU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
        => GemvU8S8S32(x, w, bias, acc, SimdLevel.Vector512);

    /// <summary><see cref="GemvU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void GemvU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc, SimdLevel maxLevel)
    {
        int k = x.Length;
        int n = acc.Length;
        if (w.Length != (long)n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported && k >= 16 && k <= MaxWidenedLength)
        {
            GemvU8S8S32Avx2(x, w, bias, acc);
            return;
        }

        for (int row = 0; row < n; row++)
        {
            acc[row] = bias[row] + DotU8S8S32(x, w.Slice(row * k, k), maxLevel);
        }
    }

    /// <summary>Longest K for which <see cref="GemvU8S8S32Avx2"/> widens x on the stack.</summary>
    private const int MaxWidenedLength = 16384;

    /// <summary>
    /// AVX2 GEMV: x is widened to int16 once, then four weight rows at a time are sign-extended to
    /// int16 and multiplied with <c>vpmaddwd</c> (exact: |255·127| &lt; 2^15, pairs summed in int32).
    /// The sum of each row is exact, so the result equals <see cref="GemvU8S8S32Scalar"/> bit for bit.
    /// </summary>
    private static void GemvU8S8S32Avx2(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        int k16 = k & ~15;
        Span<short> wide = stackalloc short[k16];
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref short xw = ref MemoryMarshal.GetReference(wide);
        for (int i = 0; i < k16; i += 16)
        {
            Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref xw, (nuint)i);
        }

        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        int row = 0;
        for (; row <= n - 4; row += 4)
        {
            ref sbyte w0 = ref Unsafe.Add(ref wr, row * k);
            ref sbyte w1 = ref Unsafe.Add(ref w0, k);
            ref sbyte w2 = ref Unsafe.Add(ref w1, k);
            ref sbyte w3 = ref Unsafe.Add(ref w2, k);
            var a0 = Vector256<int>.Zero;
            var a1 = Vector256<int>.Zero;
            var a2 = Vector256<int>.Zero;
            var a3 = Vector256<int>.Zero;
            for (int i = 0; i < k16; i += 16)
            {
                var xv = Vector256.LoadUnsafe(ref xw, (nuint)i);
                a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref w0, i)));
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref w1, i)));
                a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref w2, i)));
                a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref w3, i)));
            }

            int s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
            for (int i = k16; i < k; i++)
            {
                int xi = Unsafe.Add(ref xr, i);
                s0 += xi * Unsafe.Add(ref w0, i);
                s1 += xi * Unsafe.Add(ref w1, i);
                s2 += xi * Unsafe.Add(ref w2, i);
                s3 += xi * Unsafe.Add(ref w3, i);
            }

            acc[row] = bias[row] + s0;
            acc[row + 1] = bias[row + 1] + s1;
            acc[row + 2] = bias[row + 2] + s2;
            acc[row + 3] = bias[row + 3] + s3;
        }

        for (; row < n; row++)
        {
            acc[row] = bias[row] + DotU8S8S32(x, w.Slice(row * k, k), SimdLevel.Vector256);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> WidenWeights(ref sbyte row, int at)
        => Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref row, at))).AsSByte());

    /// <summary>Scalar twin of <see cref="GemvU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>.</summary>
    public static void GemvU8S8S32Scalar(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        if (w.Length != (long)n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < n; row++)
        {
            acc[row] = bias[row] + DotU8S8S32Scalar(x, w.Slice(row * k, k));
        }
    }
}
