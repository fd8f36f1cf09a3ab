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

        if (Simd.UsesVnni(maxLevel) && k >= 16)
        {
            GemvU8S8S32Vnni(x, w, bias, acc);
            return;
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

    /// <summary>Rows <see cref="GemvU8S8S32Vnni"/> computes at once: eight independent <c>vpdpbusd</c> chains.</summary>
    private const int VnniGemvRows = 8;

    /// <summary>
    /// AVX-VNNI GEMV, eight weight rows at a time: per 32 codes one load of x, and per row one load of the plan's weights as they
    /// are and one <c>vpdpbusd</c>, which sums four exact u8 × s8 products into each int32 lane without saturating (|4 · 255 · 128|
    /// &lt; 2^31; lanes wrap like the scalar twin's int). A remaining 16 codes take one more <c>vpdpbusd</c> with x's upper lanes
    /// zero, the last few scalar code.
    /// </summary>
    private static void GemvU8S8S32Vnni(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        int k32 = k & ~31;
        int k16 = k & ~15;
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte wr = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(w));
        var xTail = k16 > k32 ? Vector128.LoadUnsafe(ref xr, (nuint)k32).ToVector256() : Vector256<byte>.Zero;
        int row = 0;
        for (; row <= n - VnniGemvRows; row += VnniGemvRows)
        {
            ref byte w0 = ref Unsafe.Add(ref wr, row * k);
            nuint rk = (nuint)k;
            var a0 = Vector256<int>.Zero;
            var a1 = Vector256<int>.Zero;
            var a2 = Vector256<int>.Zero;
            var a3 = Vector256<int>.Zero;
            var a4 = Vector256<int>.Zero;
            var a5 = Vector256<int>.Zero;
            var a6 = Vector256<int>.Zero;
            var a7 = Vector256<int>.Zero;
            for (nuint i = 0; i < (nuint)k32; i += 32)
            {
                var xv = Vector256.LoadUnsafe(ref xr, i);
                ref byte wi = ref Unsafe.Add(ref w0, i);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, xv, Vector256.LoadUnsafe(ref wi).AsSByte());
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, xv, Vector256.LoadUnsafe(ref wi, rk).AsSByte());
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, xv, Vector256.LoadUnsafe(ref wi, 2 * rk).AsSByte());
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, xv, Vector256.LoadUnsafe(ref wi, 3 * rk).AsSByte());
                a4 = AvxVnni.MultiplyWideningAndAdd(a4, xv, Vector256.LoadUnsafe(ref wi, 4 * rk).AsSByte());
                a5 = AvxVnni.MultiplyWideningAndAdd(a5, xv, Vector256.LoadUnsafe(ref wi, 5 * rk).AsSByte());
                a6 = AvxVnni.MultiplyWideningAndAdd(a6, xv, Vector256.LoadUnsafe(ref wi, 6 * rk).AsSByte());
                a7 = AvxVnni.MultiplyWideningAndAdd(a7, xv, Vector256.LoadUnsafe(ref wi, 7 * rk).AsSByte());
            }

            if (k16 > k32)
            {
                ref byte wi = ref Unsafe.Add(ref w0, k32);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, xTail, Vector128.LoadUnsafe(ref wi).ToVector256Unsafe().AsSByte());
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, xTail, Vector128.LoadUnsafe(ref wi, rk).ToVector256Unsafe().AsSByte());
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, xTail, Vector128.LoadUnsafe(ref wi, 2 * rk).ToVector256Unsafe().AsSByte());
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, xTail, Vector128.LoadUnsafe(ref wi, 3 * rk).ToVector256Unsafe().AsSByte());
                a4 = AvxVnni.MultiplyWideningAndAdd(a4, xTail, Vector128.LoadUnsafe(ref wi, 4 * rk).ToVector256Unsafe().AsSByte());
                a5 = AvxVnni.MultiplyWideningAndAdd(a5, xTail, Vector128.LoadUnsafe(ref wi, 5 * rk).ToVector256Unsafe().AsSByte());
                a6 = AvxVnni.MultiplyWideningAndAdd(a6, xTail, Vector128.LoadUnsafe(ref wi, 6 * rk).ToVector256Unsafe().AsSByte());
                a7 = AvxVnni.MultiplyWideningAndAdd(a7, xTail, Vector128.LoadUnsafe(ref wi, 7 * rk).ToVector256Unsafe().AsSByte());
            }

            // Eight horizontal sums at once: two rounds of pairwise adds leave each row's sum of four lanes in one 128-bit half.
            var s01 = Avx2.HorizontalAdd(a0, a1);
            var s23 = Avx2.HorizontalAdd(a2, a3);
            var s45 = Avx2.HorizontalAdd(a4, a5);
            var s67 = Avx2.HorizontalAdd(a6, a7);
            var s0123 = Avx2.HorizontalAdd(s01, s23);
            var s4567 = Avx2.HorizontalAdd(s45, s67);
            var sums = Avx2.Add(Avx2.Permute2x128(s0123, s4567, 0x20), Avx2.Permute2x128(s0123, s4567, 0x31));
            for (int i = k16; i < k; i++)
            {
                int xi = Unsafe.Add(ref xr, i);
                ref byte wt = ref Unsafe.Add(ref w0, i);
                sums += Vector256.Create(
                    xi * (sbyte)wt, xi * (sbyte)Unsafe.Add(ref wt, k), xi * (sbyte)Unsafe.Add(ref wt, 2 * k), xi * (sbyte)Unsafe.Add(ref wt, 3 * k),
                    xi * (sbyte)Unsafe.Add(ref wt, 4 * k), xi * (sbyte)Unsafe.Add(ref wt, 5 * k), xi * (sbyte)Unsafe.Add(ref wt, 6 * k), xi * (sbyte)Unsafe.Add(ref wt, 7 * k));
            }

            (Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)row) + sums).StoreUnsafe(ref MemoryMarshal.GetReference(acc), (nuint)row);
        }

        for (; row < n; row++)
        {
            ref byte wRow = ref Unsafe.Add(ref wr, row * k);
            var a = Vector256<int>.Zero;
            for (nuint i = 0; i < (nuint)k32; i += 32)
            {
                a = AvxVnni.MultiplyWideningAndAdd(a, Vector256.LoadUnsafe(ref xr, i), Vector256.LoadUnsafe(ref wRow, i).AsSByte());
            }

            if (k16 > k32)
            {
                a = AvxVnni.MultiplyWideningAndAdd(a, xTail, Vector128.LoadUnsafe(ref wRow, (nuint)k32).ToVector256Unsafe().AsSByte());
            }

            int sum = Vector256.Sum(a);
            for (int i = k16; i < k; i++)
            {
                sum += Unsafe.Add(ref xr, i) * (sbyte)Unsafe.Add(ref wRow, i);
            }

            acc[row] = bias[row] + sum;
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
