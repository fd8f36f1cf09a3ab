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
    internal static void GemvU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
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

    /// <summary>Chunks of 32 whose <c>vpmaddubsw</c> pair sums one int16 accumulator can hold: 8 · 2 · 15 · 128 = 30,720 &lt; 2^15.</summary>
    private const int NibbleChunksPerFlush = 8;

    /// <summary>
    /// AVX2 GEMV, four weight rows at a time. Each code is split into nibbles, <c>x = 16·xh + xl</c> with xh, xl in [0, 15],
    /// so that <c>vpmaddubsw</c> (u8 × s8, adjacent pairs summed into saturating int16) never saturates:
    /// |xh·w + xh'·w'| ≤ 2 · 15 · 128 = 3,840. Per 32 weights of a row that is one load and two <c>vpmaddubsw</c>, without
    /// widening the weights; eight such int16 pair sums still fit int16 (<see cref="NibbleChunksPerFlush"/>), after which
    /// they are widened with <c>vpmaddwd</c> against 16 (high nibbles) and 1 (low) and added to int32 accumulators:
    /// <c>Σ x·w = 16·Σ xh·w + Σ xl·w</c> exactly. A remaining 16 weights are sign-extended and multiplied with
    /// <c>vpmaddwd</c> on x widened to int16 (|255·128| &lt; 2^15), the last few in scalar code. Every sum is exact, so the
    /// result equals <see cref="GemvU8S8S32Scalar"/> bit for bit.
    /// </summary>
    private static void GemvU8S8S32Avx2(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        int k32 = k & ~31;
        int k16 = k & ~15;
        Span<byte> high = stackalloc byte[k32];
        Span<byte> low = stackalloc byte[k32];
        Span<short> wide = stackalloc short[16];
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte xh = ref MemoryMarshal.GetReference(high);
        ref byte xl = ref MemoryMarshal.GetReference(low);
        var nibble = Vector256.Create((byte)0x0F);
        for (int i = 0; i < k32; i += 32)
        {
            var v = Vector256.LoadUnsafe(ref xr, (nuint)i);
            (Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble).StoreUnsafe(ref xh, (nuint)i);
            (v & nibble).StoreUnsafe(ref xl, (nuint)i);
        }

        ref short xw = ref MemoryMarshal.GetReference(wide);
        if (k16 > k32)
        {
            Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref xr, (nuint)k32)).StoreUnsafe(ref xw);
        }

        var sixteen = Vector256.Create((short)16);
        var one = Vector256.Create((short)1);
        ref sbyte wr = ref MemoryMarshal.GetReference(w);
        int row = 0;
        for (; row <= n - 4; row += 4)
        {
            ref byte w0 = ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref wr, row * k));
            ref byte w1 = ref Unsafe.Add(ref w0, k);
            ref byte w2 = ref Unsafe.Add(ref w1, k);
            ref byte w3 = ref Unsafe.Add(ref w2, k);
            var a0 = Vector256<int>.Zero;
            var a1 = Vector256<int>.Zero;
            var a2 = Vector256<int>.Zero;
            var a3 = Vector256<int>.Zero;
            for (int i = 0; i < k32;)
            {
                int end = Math.Min(k32, i + (32 * NibbleChunksPerFlush));
                var h0 = Vector256<short>.Zero;
                var h1 = Vector256<short>.Zero;
                var h2 = Vector256<short>.Zero;
                var h3 = Vector256<short>.Zero;
                var l0 = Vector256<short>.Zero;
                var l1 = Vector256<short>.Zero;
                var l2 = Vector256<short>.Zero;
                var l3 = Vector256<short>.Zero;
                for (; i < end; i += 32)
                {
                    var xhv = Vector256.LoadUnsafe(ref xh, (nuint)i);
                    var xlv = Vector256.LoadUnsafe(ref xl, (nuint)i);
                    var wv = Vector256.LoadUnsafe(ref w0, (nuint)i).AsSByte();
                    h0 = Avx2.Add(h0, Avx2.MultiplyAddAdjacent(xhv, wv));
                    l0 = Avx2.Add(l0, Avx2.MultiplyAddAdjacent(xlv, wv));
                    wv = Vector256.LoadUnsafe(ref w1, (nuint)i).AsSByte();
                    h1 = Avx2.Add(h1, Avx2.MultiplyAddAdjacent(xhv, wv));
                    l1 = Avx2.Add(l1, Avx2.MultiplyAddAdjacent(xlv, wv));
                    wv = Vector256.LoadUnsafe(ref w2, (nuint)i).AsSByte();
                    h2 = Avx2.Add(h2, Avx2.MultiplyAddAdjacent(xhv, wv));
                    l2 = Avx2.Add(l2, Avx2.MultiplyAddAdjacent(xlv, wv));
                    wv = Vector256.LoadUnsafe(ref w3, (nuint)i).AsSByte();
                    h3 = Avx2.Add(h3, Avx2.MultiplyAddAdjacent(xhv, wv));
                    l3 = Avx2.Add(l3, Avx2.MultiplyAddAdjacent(xlv, wv));
                }

                a0 = Avx2.Add(a0, Avx2.Add(Avx2.MultiplyAddAdjacent(h0, sixteen), Avx2.MultiplyAddAdjacent(l0, one)));
                a1 = Avx2.Add(a1, Avx2.Add(Avx2.MultiplyAddAdjacent(h1, sixteen), Avx2.MultiplyAddAdjacent(l1, one)));
                a2 = Avx2.Add(a2, Avx2.Add(Avx2.MultiplyAddAdjacent(h2, sixteen), Avx2.MultiplyAddAdjacent(l2, one)));
                a3 = Avx2.Add(a3, Avx2.Add(Avx2.MultiplyAddAdjacent(h3, sixteen), Avx2.MultiplyAddAdjacent(l3, one)));
            }

            if (k16 > k32)
            {
                var xv = Vector256.LoadUnsafe(ref xw);
                a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref Unsafe.As<byte, sbyte>(ref w0), k32)));
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref Unsafe.As<byte, sbyte>(ref w1), k32)));
                a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref Unsafe.As<byte, sbyte>(ref w2), k32)));
                a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(xv, WidenWeights(ref Unsafe.As<byte, sbyte>(ref w3), k32)));
            }

            int s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
            for (int i = k16; i < k; i++)
            {
                int xi = Unsafe.Add(ref xr, i);
                s0 += xi * (sbyte)Unsafe.Add(ref w0, i);
                s1 += xi * (sbyte)Unsafe.Add(ref w1, i);
                s2 += xi * (sbyte)Unsafe.Add(ref w2, i);
                s3 += xi * (sbyte)Unsafe.Add(ref w3, i);
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
    internal static void GemvU8S8S32Scalar(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
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
