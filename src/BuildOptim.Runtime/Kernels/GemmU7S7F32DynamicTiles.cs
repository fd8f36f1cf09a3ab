using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// The 7-bit layers of <see cref="Kernels.GemmU8S8F32Dynamic"/> (<see cref="DynamicGemmWeights.SevenBit"/>): row codes
/// 0..127, weights −63..63, so two <c>vpmaddubsw</c> results add in int16 without saturating
/// (<c>|q₀w₀ + q₁w₁ + q₂w₂ + q₃w₃| ≤ 4 · 127 · 63 = 32004 &lt; 2^15</c>), and a <c>vpmaddwd</c> by ones sums them into the
/// int32 lane of their k-quads: 128 exact products per five zmm instructions, where .NET 10 has no 512-bit
/// <c>vpdpbusd</c>. The packed layout is the AVX-VNNI one (quads of k in each int32 lane), 16 or 8 channels per block.
/// </summary>
public static partial class Kernels
{
    /// <summary>
    /// The largest weight magnitude of a 7-bit layer (<c>WeightQuantizer.QuantizeRows</c> with 7 bits): with input codes in
    /// 0..127, two <c>vpmaddubsw</c> pair sums add to at most 4 · 127 · 63 = 32004 &lt; 2^15.
    /// </summary>
    internal const int SevenBitWeightMax = 63;

    /// <summary>The largest row code of a 7-bit layer.</summary>
    internal const int SevenBitMaxCode = 127;

    /// <summary>
    /// <see cref="QuantizeRowU8Dynamic"/> on 7-bit codes: <c>scale = (hi − lo) / 127</c> (1 when that is 0 or not finite),
    /// <c>zeroPoint = clamp(round_half_even(−lo / scale), 0, 127)</c>, <c>q = clamp(round_half_even(x / scale) + zeroPoint, 0, 127)</c>.
    /// </summary>
    internal static (float Scale, int ZeroPoint) QuantizeRowU7Dynamic(ReadOnlySpan<float> x, Span<byte> q, SimdLevel maxLevel)
        => QuantizeRowDynamic(x, q, SevenBitMaxCode, maxLevel);

    /// <summary>
    /// <c>q[i] = clamp(round_half_even(x[i] / scale), −zeroPoint, maxCode − zeroPoint) + zeroPoint</c> (NaN → zeroPoint) for
    /// the first ⌊length / 16⌋ · 16 values, 16 at a time: the operations of <see cref="QuantizeF32ToU8(ReadOnlySpan{float}, float, int, Span{byte}, SimdLevel)"/>'s
    /// AVX2 loop (divide, clear NaN, clamp, <c>vcvtps2dq</c> rounding half to even) on zmm, with <paramref name="maxCode"/>
    /// as the top code; returns how many.
    /// </summary>
    private static int QuantizeRowAvx512(ReadOnlySpan<float> x, float scale, int zeroPoint, int maxCode, Span<byte> q)
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref byte qr = ref MemoryMarshal.GetReference(q);
        var scaleV = Vector512.Create(scale);
        var low = Vector512.Create((float)-zeroPoint);
        var high = Vector512.Create((float)(maxCode - zeroPoint));
        var zeroPointV = Vector512.Create(zeroPoint);
        int i = 0;
        for (; i <= x.Length - 16; i += 16)
        {
            var r = Avx512F.Divide(Vector512.LoadUnsafe(ref xr, (nuint)i), scaleV);
            r &= Vector512.Equals(r, r);
            var v = Avx512F.Add(Avx512F.ConvertToVector512Int32(Avx512F.Min(Avx512F.Max(r, low), high)), zeroPointV);
            Avx512F.ConvertToVector128Byte(v).StoreUnsafe(ref qr, (nuint)i);
        }

        return i;
    }

    /// <summary><c>q = min(q, max)</c>, in place.</summary>
    private static void ClampCodesU8(Span<byte> q, byte max, SimdLevel maxLevel)
    {
        int i = 0;
        if (maxLevel >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            ref byte r = ref MemoryMarshal.GetReference(q);
            var top = Vector256.Create(max);
            for (; i <= q.Length - 32; i += 32)
            {
                Vector256.Min(Vector256.LoadUnsafe(ref r, (nuint)i), top).StoreUnsafe(ref r, (nuint)i);
            }
        }

        for (; i < q.Length; i++)
        {
            q[i] = Math.Min(q[i], max);
        }
    }

    private static unsafe void TileSevenBit(DynamicGemmPath path, int count, byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
    {
        if (path == DynamicGemmPath.Avx512SevenBit)
        {
            switch (count)
            {
                case 1: TileAvx512SevenBit<Rows1>(x, stride, t, at); break;
                case 2: TileAvx512SevenBit<Rows2>(x, stride, t, at); break;
                case 3: TileAvx512SevenBit<Rows3>(x, stride, t, at); break;
                case 4: TileAvx512SevenBit<Rows4>(x, stride, t, at); break;
                case 5: TileAvx512SevenBit<Rows5>(x, stride, t, at); break;
                default: TileAvx512SevenBit<Rows6>(x, stride, t, at); break;
            }

            return;
        }

        switch (count)
        {
            case 1: TileAvx2SevenBit<Rows1>(x, stride, t, at); break;
            case 2: TileAvx2SevenBit<Rows2>(x, stride, t, at); break;
            case 3: TileAvx2SevenBit<Rows3>(x, stride, t, at); break;
            case 4: TileAvx2SevenBit<Rows4>(x, stride, t, at); break;
            case 5: TileAvx2SevenBit<Rows5>(x, stride, t, at); break;
            default: TileAvx2SevenBit<Rows6>(x, stride, t, at); break;
        }
    }

    /// <summary>
    /// Up to six rows × two 16-channel blocks: per two quads of k, <c>acc += vpmaddwd(vpmaddubsw(x_g, w_g) + vpmaddubsw(x_g+1, w_g+1), 1)</c>,
    /// so <c>acc[r, c] = Σ_g Σ_j x_r[4g + j] · w[g·128 + c·4 + j]</c> exactly; an odd last quad alone; then the epilogue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileAvx512SevenBit<TRows>(byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
        where TRows : struct, ITileRowCount
    {
        Vector512<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector512<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        var ones = Vector512.Create((short)1);
        sbyte* w0 = t.W0, end = t.W0 + ((long)(t.Groups & ~1) * 128);
        nint w1 = (nint)(t.W1 - t.W0), s1 = stride, s2 = 2 * s1, s3 = 3 * s1, s4 = 4 * s1, s5 = 5 * s1;
        byte* p = x;
        for (; w0 < end; w0 += 256, p += 8)
        {
            var c0 = Vector512.Load(w0);
            var c1 = Vector512.Load(w0 + w1);
            var d0 = Vector512.Load(w0 + 128);
            var d1 = Vector512.Load(w0 + w1 + 128);
            var b = Vector512.Create(*(int*)p).AsByte();
            var e = Vector512.Create(*(int*)(p + 4)).AsByte();
            a00 = Mix512(a00, b, c0, e, d0, ones);
            a01 = Mix512(a01, b, c1, e, d1, ones);
            if (TRows.Count > 1)
            {
                b = Vector512.Create(*(int*)(p + s1)).AsByte();
                e = Vector512.Create(*(int*)(p + s1 + 4)).AsByte();
                a10 = Mix512(a10, b, c0, e, d0, ones);
                a11 = Mix512(a11, b, c1, e, d1, ones);
            }

            if (TRows.Count > 2)
            {
                b = Vector512.Create(*(int*)(p + s2)).AsByte();
                e = Vector512.Create(*(int*)(p + s2 + 4)).AsByte();
                a20 = Mix512(a20, b, c0, e, d0, ones);
                a21 = Mix512(a21, b, c1, e, d1, ones);
            }

            if (TRows.Count > 3)
            {
                b = Vector512.Create(*(int*)(p + s3)).AsByte();
                e = Vector512.Create(*(int*)(p + s3 + 4)).AsByte();
                a30 = Mix512(a30, b, c0, e, d0, ones);
                a31 = Mix512(a31, b, c1, e, d1, ones);
            }

            if (TRows.Count > 4)
            {
                b = Vector512.Create(*(int*)(p + s4)).AsByte();
                e = Vector512.Create(*(int*)(p + s4 + 4)).AsByte();
                a40 = Mix512(a40, b, c0, e, d0, ones);
                a41 = Mix512(a41, b, c1, e, d1, ones);
            }

            if (TRows.Count > 5)
            {
                b = Vector512.Create(*(int*)(p + s5)).AsByte();
                e = Vector512.Create(*(int*)(p + s5 + 4)).AsByte();
                a50 = Mix512(a50, b, c0, e, d0, ones);
                a51 = Mix512(a51, b, c1, e, d1, ones);
            }
        }

        if ((t.Groups & 1) != 0)
        {
            var c0 = Vector512.Load(w0);
            var c1 = Vector512.Load(w0 + w1);
            var b = Vector512.Create(*(int*)p).AsByte();
            a00 = Quad512(a00, b, c0, ones);
            a01 = Quad512(a01, b, c1, ones);
            if (TRows.Count > 1)
            {
                b = Vector512.Create(*(int*)(p + s1)).AsByte();
                a10 = Quad512(a10, b, c0, ones);
                a11 = Quad512(a11, b, c1, ones);
            }

            if (TRows.Count > 2)
            {
                b = Vector512.Create(*(int*)(p + s2)).AsByte();
                a20 = Quad512(a20, b, c0, ones);
                a21 = Quad512(a21, b, c1, ones);
            }

            if (TRows.Count > 3)
            {
                b = Vector512.Create(*(int*)(p + s3)).AsByte();
                a30 = Quad512(a30, b, c0, ones);
                a31 = Quad512(a31, b, c1, ones);
            }

            if (TRows.Count > 4)
            {
                b = Vector512.Create(*(int*)(p + s4)).AsByte();
                a40 = Quad512(a40, b, c0, ones);
                a41 = Quad512(a41, b, c1, ones);
            }

            if (TRows.Count > 5)
            {
                b = Vector512.Create(*(int*)(p + s5)).AsByte();
                a50 = Quad512(a50, b, c0, ones);
                a51 = Quad512(a51, b, c1, ones);
            }
        }

        Finish512(a00, a01, 0, t, at);
        if (TRows.Count > 1) { Finish512(a10, a11, 1, t, at); }
        if (TRows.Count > 2) { Finish512(a20, a21, 2, t, at); }
        if (TRows.Count > 3) { Finish512(a30, a31, 3, t, at); }
        if (TRows.Count > 4) { Finish512(a40, a41, 4, t, at); }
        if (TRows.Count > 5) { Finish512(a50, a51, 5, t, at); }
    }

    /// <summary><see cref="TileAvx512SevenBit{TRows}"/> in AVX2: two 8-channel blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileAvx2SevenBit<TRows>(byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
        where TRows : struct, ITileRowCount
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        var ones = Vector256.Create((short)1);
        sbyte* w0 = t.W0, end = t.W0 + ((long)(t.Groups & ~1) * 64);
        nint w1 = (nint)(t.W1 - t.W0), s1 = stride, s2 = 2 * s1, s3 = 3 * s1, s4 = 4 * s1, s5 = 5 * s1;
        byte* p = x;
        for (; w0 < end; w0 += 128, p += 8)
        {
            var c0 = Vector256.Load(w0);
            var c1 = Vector256.Load(w0 + w1);
            var d0 = Vector256.Load(w0 + 64);
            var d1 = Vector256.Load(w0 + w1 + 64);
            var b = Vector256.Create(*(int*)p).AsByte();
            var e = Vector256.Create(*(int*)(p + 4)).AsByte();
            a00 = Mix256(a00, b, c0, e, d0, ones);
            a01 = Mix256(a01, b, c1, e, d1, ones);
            if (TRows.Count > 1)
            {
                b = Vector256.Create(*(int*)(p + s1)).AsByte();
                e = Vector256.Create(*(int*)(p + s1 + 4)).AsByte();
                a10 = Mix256(a10, b, c0, e, d0, ones);
                a11 = Mix256(a11, b, c1, e, d1, ones);
            }

            if (TRows.Count > 2)
            {
                b = Vector256.Create(*(int*)(p + s2)).AsByte();
                e = Vector256.Create(*(int*)(p + s2 + 4)).AsByte();
                a20 = Mix256(a20, b, c0, e, d0, ones);
                a21 = Mix256(a21, b, c1, e, d1, ones);
            }

            if (TRows.Count > 3)
            {
                b = Vector256.Create(*(int*)(p + s3)).AsByte();
                e = Vector256.Create(*(int*)(p + s3 + 4)).AsByte();
                a30 = Mix256(a30, b, c0, e, d0, ones);
                a31 = Mix256(a31, b, c1, e, d1, ones);
            }

            if (TRows.Count > 4)
            {
                b = Vector256.Create(*(int*)(p + s4)).AsByte();
                e = Vector256.Create(*(int*)(p + s4 + 4)).AsByte();
                a40 = Mix256(a40, b, c0, e, d0, ones);
                a41 = Mix256(a41, b, c1, e, d1, ones);
            }

            if (TRows.Count > 5)
            {
                b = Vector256.Create(*(int*)(p + s5)).AsByte();
                e = Vector256.Create(*(int*)(p + s5 + 4)).AsByte();
                a50 = Mix256(a50, b, c0, e, d0, ones);
                a51 = Mix256(a51, b, c1, e, d1, ones);
            }
        }

        if ((t.Groups & 1) != 0)
        {
            var c0 = Vector256.Load(w0);
            var c1 = Vector256.Load(w0 + w1);
            var b = Vector256.Create(*(int*)p).AsByte();
            a00 = Quad256(a00, b, c0, ones);
            a01 = Quad256(a01, b, c1, ones);
            if (TRows.Count > 1)
            {
                b = Vector256.Create(*(int*)(p + s1)).AsByte();
                a10 = Quad256(a10, b, c0, ones);
                a11 = Quad256(a11, b, c1, ones);
            }

            if (TRows.Count > 2)
            {
                b = Vector256.Create(*(int*)(p + s2)).AsByte();
                a20 = Quad256(a20, b, c0, ones);
                a21 = Quad256(a21, b, c1, ones);
            }

            if (TRows.Count > 3)
            {
                b = Vector256.Create(*(int*)(p + s3)).AsByte();
                a30 = Quad256(a30, b, c0, ones);
                a31 = Quad256(a31, b, c1, ones);
            }

            if (TRows.Count > 4)
            {
                b = Vector256.Create(*(int*)(p + s4)).AsByte();
                a40 = Quad256(a40, b, c0, ones);
                a41 = Quad256(a41, b, c1, ones);
            }

            if (TRows.Count > 5)
            {
                b = Vector256.Create(*(int*)(p + s5)).AsByte();
                a50 = Quad256(a50, b, c0, ones);
                a51 = Quad256(a51, b, c1, ones);
            }
        }

        Finish256(a00, a01, 0, t, at);
        if (TRows.Count > 1) { Finish256(a10, a11, 1, t, at); }
        if (TRows.Count > 2) { Finish256(a20, a21, 2, t, at); }
        if (TRows.Count > 3) { Finish256(a30, a31, 3, t, at); }
        if (TRows.Count > 4) { Finish256(a40, a41, 4, t, at); }
        if (TRows.Count > 5) { Finish256(a50, a51, 5, t, at); }
    }

    /// <summary>Two quads of k into each int32 lane: <c>acc + vpmaddwd(vpmaddubsw(x, c) + vpmaddubsw(y, d), ones)</c> (the 7-bit convolution tiles pass 4 for ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Mix512(Vector512<int> acc, Vector512<byte> x, Vector512<sbyte> c, Vector512<byte> y, Vector512<sbyte> d, Vector512<short> ones)
        => Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(Avx512BW.Add(Avx512BW.MultiplyAddAdjacent(x, c), Avx512BW.MultiplyAddAdjacent(y, d)), ones));

    /// <summary>One quad of k into each int32 lane: <c>acc + vpmaddwd(vpmaddubsw(x, c), 1)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Quad512(Vector512<int> acc, Vector512<byte> x, Vector512<sbyte> c, Vector512<short> ones)
        => Avx512F.Add(acc, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, c), ones));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Mix256(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> c, Vector256<byte> y, Vector256<sbyte> d, Vector256<short> ones)
        => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.Add(Avx2.MultiplyAddAdjacent(x, c), Avx2.MultiplyAddAdjacent(y, d)), ones));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Quad256(Vector256<int> acc, Vector256<byte> x, Vector256<sbyte> c, Vector256<short> ones)
        => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, c), ones));
}
