using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// The micro-tiles of <see cref="Kernels.GemmU8S8F32Dynamic"/>: 1–6 rows by two channel blocks of packed weights, each
/// SIMD path with its fp32 epilogue done in registers (the same IEEE operations as the scalar twin).
/// </summary>
public static partial class Kernels
{
    /// <summary>
    /// The row-count-independent operands of one micro-tile: its two blocks' weights (side by side in each group of k) and the epilogue's channel vectors.
    /// <c>Partial</c> is null when the tile writes its whole width, else where its accumulators go (<c>[r · 2 · Block + c]</c>).
    /// </summary>
    private readonly unsafe struct DynamicTile(sbyte* w0, sbyte* w1, int groups, int* colSum, float* colScale, float* bias, int outputStride, int* partial)
    {
        public readonly sbyte* W0 = w0;
        public readonly sbyte* W1 = w1;
        public readonly int Groups = groups;
        public readonly int* ColSum = colSum;
        public readonly float* ColScale = colScale;
        public readonly float* Bias = bias;
        public readonly int OutputStride = outputStride;
        public readonly int* Partial = partial;
    }

    /// <summary>The first row of one micro-tile: its zero point, scale and output.</summary>
    private readonly unsafe struct DynamicTileRows(int* zeroPoint, float* scale, float* y)
    {
        public readonly int* ZeroPoint = zeroPoint;
        public readonly float* Scale = scale;
        public readonly float* Y = y;
    }

    /// <summary>The count of rows of a micro-tile, as a type the JIT specializes on (branches on it fold away).</summary>
    private interface ITileRowCount
    {
        static abstract int Count { get; }
    }

    private struct Rows1 : ITileRowCount { public static int Count => 1; }

    private struct Rows2 : ITileRowCount { public static int Count => 2; }

    private struct Rows3 : ITileRowCount { public static int Count => 3; }

    private struct Rows4 : ITileRowCount { public static int Count => 4; }

    private struct Rows5 : ITileRowCount { public static int Count => 5; }

    private struct Rows6 : ITileRowCount { public static int Count => 6; }

    private static unsafe void TileAvxVnniQuads(int count, byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
    {
        switch (count)
        {
            case 1: TileAvxVnniQuads<Rows1>(x, stride, t, at); break;
            case 2: TileAvxVnniQuads<Rows2>(x, stride, t, at); break;
            case 3: TileAvxVnniQuads<Rows3>(x, stride, t, at); break;
            case 4: TileAvxVnniQuads<Rows4>(x, stride, t, at); break;
            case 5: TileAvxVnniQuads<Rows5>(x, stride, t, at); break;
            default: TileAvxVnniQuads<Rows6>(x, stride, t, at); break;
        }
    }

    /// <summary>
    /// One to three rows by two blocks with each block's accumulators split over even and odd quads of k (12 accumulators
    /// in flight for 3 rows instead of 6, enough to keep both <c>vpdpbusd</c> ports busy), summed before the epilogue: integer
    /// sums, so the same bits.
    /// </summary>
    private static unsafe void TileAvxVnniSplit(int count, byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
    {
        switch (count)
        {
            case 1: TileAvxVnniSplit<Rows1>(x, stride, t, at); break;
            case 2: TileAvxVnniSplit<Rows2>(x, stride, t, at); break;
            default: TileAvxVnniSplit<Rows3>(x, stride, t, at); break;
        }
    }

    private static unsafe void TilePairs(DynamicGemmPath path, int count, ushort* x, int stride, in DynamicTile t, in DynamicTileRows at)
    {
        if (path == DynamicGemmPath.Avx512Pairs)
        {
            switch (count)
            {
                case 1: TileAvx512Pairs<Rows1>(x, stride, t, at); break;
                case 2: TileAvx512Pairs<Rows2>(x, stride, t, at); break;
                case 3: TileAvx512Pairs<Rows3>(x, stride, t, at); break;
                case 4: TileAvx512Pairs<Rows4>(x, stride, t, at); break;
                case 5: TileAvx512Pairs<Rows5>(x, stride, t, at); break;
                default: TileAvx512Pairs<Rows6>(x, stride, t, at); break;
            }

            return;
        }

        switch (count)
        {
            case 1: TileAvx2Pairs<Rows1>(x, stride, t, at); break;
            case 2: TileAvx2Pairs<Rows2>(x, stride, t, at); break;
            case 3: TileAvx2Pairs<Rows3>(x, stride, t, at); break;
            case 4: TileAvx2Pairs<Rows4>(x, stride, t, at); break;
            case 5: TileAvx2Pairs<Rows5>(x, stride, t, at); break;
            default: TileAvx2Pairs<Rows6>(x, stride, t, at); break;
        }
    }

    /// <summary>
    /// Row <paramref name="r"/> of a tile of 8-channel blocks: <see cref="EpilogueRow"/>'s formula on two vectors of
    /// accumulators, stored to the output, or the accumulators stored as they are when the tile is partial.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Finish256(Vector256<int> a0, Vector256<int> a1, int r, in DynamicTile t, in DynamicTileRows at)
    {
        if (t.Partial is not null)
        {
            a0.Store(t.Partial + (r * 16));
            a1.Store(t.Partial + (r * 16) + 8);
            return;
        }

        var zp = Vector256.Create(at.ZeroPoint[r]);
        var s = Vector256.Create(at.Scale[r]);
        float* y = at.Y + ((long)r * t.OutputStride);
        ((Vector256.ConvertToSingle(a0 - (zp * Vector256.Load(t.ColSum))) * (s * Vector256.Load(t.ColScale))) + Vector256.Load(t.Bias)).Store(y);
        ((Vector256.ConvertToSingle(a1 - (zp * Vector256.Load(t.ColSum + 8))) * (s * Vector256.Load(t.ColScale + 8))) + Vector256.Load(t.Bias + 8)).Store(y + 8);
    }

    /// <summary><see cref="Finish256"/> for 16-channel blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Finish512(Vector512<int> a0, Vector512<int> a1, int r, in DynamicTile t, in DynamicTileRows at)
    {
        if (t.Partial is not null)
        {
            a0.Store(t.Partial + (r * 32));
            a1.Store(t.Partial + (r * 32) + 16);
            return;
        }

        var zp = Vector512.Create(at.ZeroPoint[r]);
        var s = Vector512.Create(at.Scale[r]);
        float* y = at.Y + ((long)r * t.OutputStride);
        ((Vector512.ConvertToSingle(a0 - (zp * Vector512.Load(t.ColSum))) * (s * Vector512.Load(t.ColScale))) + Vector512.Load(t.Bias)).Store(y);
        ((Vector512.ConvertToSingle(a1 - (zp * Vector512.Load(t.ColSum + 16))) * (s * Vector512.Load(t.ColScale + 16))) + Vector512.Load(t.Bias + 16)).Store(y + 16);
    }

    /// <summary>
    /// Up to six rows × two 8-channel blocks: <c>acc[r, c] = Σ_g Σ_j x_r[4g + j] · w[g·64 + c·4 + j]</c> with AVX-VNNI
    /// <c>vpdpbusd</c> (u8 × s8, four products summed into each int32 lane without saturation), then the epilogue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileAvxVnniQuads<TRows>(byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
        where TRows : struct, ITileRowCount
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        sbyte* w0 = t.W0, end = t.W0 + ((long)t.Groups * 64);
        nint w1 = (nint)(t.W1 - t.W0), s1 = stride, s2 = 2 * s1, s3 = 3 * s1, s4 = 4 * s1, s5 = 5 * s1;
        for (byte* p = x; w0 < end; w0 += 64, p += 4)
        {
            var v0 = Vector256.Load(w0);
            var v1 = Vector256.Load(w0 + w1);
            var b = Vector256.Create(*(int*)p).AsByte();
            a00 = AvxVnni.MultiplyWideningAndAdd(a00, b, v0);
            a01 = AvxVnni.MultiplyWideningAndAdd(a01, b, v1);
            if (TRows.Count > 1)
            {
                b = Vector256.Create(*(int*)(p + s1)).AsByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, b, v0);
                a11 = AvxVnni.MultiplyWideningAndAdd(a11, b, v1);
            }

            if (TRows.Count > 2)
            {
                b = Vector256.Create(*(int*)(p + s2)).AsByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, b, v0);
                a21 = AvxVnni.MultiplyWideningAndAdd(a21, b, v1);
            }

            if (TRows.Count > 3)
            {
                b = Vector256.Create(*(int*)(p + s3)).AsByte();
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, b, v0);
                a31 = AvxVnni.MultiplyWideningAndAdd(a31, b, v1);
            }

            if (TRows.Count > 4)
            {
                b = Vector256.Create(*(int*)(p + s4)).AsByte();
                a40 = AvxVnni.MultiplyWideningAndAdd(a40, b, v0);
                a41 = AvxVnni.MultiplyWideningAndAdd(a41, b, v1);
            }

            if (TRows.Count > 5)
            {
                b = Vector256.Create(*(int*)(p + s5)).AsByte();
                a50 = AvxVnni.MultiplyWideningAndAdd(a50, b, v0);
                a51 = AvxVnni.MultiplyWideningAndAdd(a51, b, v1);
            }
        }

        Finish256(a00, a01, 0, t, at);
        if (TRows.Count > 1) { Finish256(a10, a11, 1, t, at); }
        if (TRows.Count > 2) { Finish256(a20, a21, 2, t, at); }
        if (TRows.Count > 3) { Finish256(a30, a31, 3, t, at); }
        if (TRows.Count > 4) { Finish256(a40, a41, 4, t, at); }
        if (TRows.Count > 5) { Finish256(a50, a51, 5, t, at); }
    }

    /// <summary><see cref="TileAvxVnniSplit"/>: quads 2i into the first twelve accumulators, 2i + 1 into the others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileAvxVnniSplit<TRows>(byte* x, int stride, in DynamicTile t, in DynamicTileRows at)
        where TRows : struct, ITileRowCount
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        sbyte* w0 = t.W0, end = t.W0 + ((long)(t.Groups & ~1) * 64);
        nint w1 = (nint)(t.W1 - t.W0), s1 = stride, s2 = 2 * s1;
        byte* p = x;
        for (; w0 < end; w0 += 128, p += 8)
        {
            var v0 = Vector256.Load(w0);
            var v1 = Vector256.Load(w0 + w1);
            var u0 = Vector256.Load(w0 + 64);
            var u1 = Vector256.Load(w0 + w1 + 64);
            var b = Vector256.Create(*(int*)p).AsByte();
            var e = Vector256.Create(*(int*)(p + 4)).AsByte();
            a00 = AvxVnni.MultiplyWideningAndAdd(a00, b, v0);
            a01 = AvxVnni.MultiplyWideningAndAdd(a01, b, v1);
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, e, u0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, e, u1);
            if (TRows.Count > 1)
            {
                b = Vector256.Create(*(int*)(p + s1)).AsByte();
                e = Vector256.Create(*(int*)(p + s1 + 4)).AsByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, b, v0);
                a11 = AvxVnni.MultiplyWideningAndAdd(a11, b, v1);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, e, u0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, e, u1);
            }

            if (TRows.Count > 2)
            {
                b = Vector256.Create(*(int*)(p + s2)).AsByte();
                e = Vector256.Create(*(int*)(p + s2 + 4)).AsByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, b, v0);
                a21 = AvxVnni.MultiplyWideningAndAdd(a21, b, v1);
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, e, u0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, e, u1);
            }
        }

        if ((t.Groups & 1) != 0)
        {
            var v0 = Vector256.Load(w0);
            var v1 = Vector256.Load(w0 + w1);
            var b = Vector256.Create(*(int*)p).AsByte();
            a00 = AvxVnni.MultiplyWideningAndAdd(a00, b, v0);
            a01 = AvxVnni.MultiplyWideningAndAdd(a01, b, v1);
            if (TRows.Count > 1)
            {
                b = Vector256.Create(*(int*)(p + s1)).AsByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, b, v0);
                a11 = AvxVnni.MultiplyWideningAndAdd(a11, b, v1);
            }

            if (TRows.Count > 2)
            {
                b = Vector256.Create(*(int*)(p + s2)).AsByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, b, v0);
                a21 = AvxVnni.MultiplyWideningAndAdd(a21, b, v1);
            }
        }

        Finish256(a00 + c00, a01 + c01, 0, t, at);
        if (TRows.Count > 1) { Finish256(a10 + c10, a11 + c11, 1, t, at); }
        if (TRows.Count > 2) { Finish256(a20 + c20, a21 + c21, 2, t, at); }
    }

    /// <summary>
    /// Up to six rows × two 16-channel blocks: <c>acc[r, c] = Σ_g Σ_j x_r[2g + j] · w[g·64 + c·2 + j]</c> over pair panels
    /// widened to 16 bits in registers (<c>vpmovsxbw</c>), with <c>vpmaddwd</c> (products ≤ 255·127, pair sums in int32),
    /// then the epilogue.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileAvx512Pairs<TRows>(ushort* x, int stride, in DynamicTile t, in DynamicTileRows at)
        where TRows : struct, ITileRowCount
    {
        Vector512<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector512<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        sbyte* w0 = t.W0, w1 = t.W1;
        for (int g = 0; g < t.Groups; g++)
        {
            var v0 = Avx512BW.ConvertToVector512Int16(Vector256.Load(w0 + (g * 64)));
            var v1 = Avx512BW.ConvertToVector512Int16(Vector256.Load(w1 + (g * 64)));
            ushort* p = x + (2 * g);
            var b = Vector512.Create(*(int*)p).AsInt16();
            a00 += Avx512BW.MultiplyAddAdjacent(b, v0);
            a01 += Avx512BW.MultiplyAddAdjacent(b, v1);
            if (TRows.Count > 1)
            {
                b = Vector512.Create(*(int*)(p + stride)).AsInt16();
                a10 += Avx512BW.MultiplyAddAdjacent(b, v0);
                a11 += Avx512BW.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 2)
            {
                b = Vector512.Create(*(int*)(p + (2 * stride))).AsInt16();
                a20 += Avx512BW.MultiplyAddAdjacent(b, v0);
                a21 += Avx512BW.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 3)
            {
                b = Vector512.Create(*(int*)(p + (3 * stride))).AsInt16();
                a30 += Avx512BW.MultiplyAddAdjacent(b, v0);
                a31 += Avx512BW.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 4)
            {
                b = Vector512.Create(*(int*)(p + (4 * stride))).AsInt16();
                a40 += Avx512BW.MultiplyAddAdjacent(b, v0);
                a41 += Avx512BW.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 5)
            {
                b = Vector512.Create(*(int*)(p + (5 * stride))).AsInt16();
                a50 += Avx512BW.MultiplyAddAdjacent(b, v0);
                a51 += Avx512BW.MultiplyAddAdjacent(b, v1);
            }
        }

        Finish512(a00, a01, 0, t, at);
        if (TRows.Count > 1) { Finish512(a10, a11, 1, t, at); }
        if (TRows.Count > 2) { Finish512(a20, a21, 2, t, at); }
        if (TRows.Count > 3) { Finish512(a30, a31, 3, t, at); }
        if (TRows.Count > 4) { Finish512(a40, a41, 4, t, at); }
        if (TRows.Count > 5) { Finish512(a50, a51, 5, t, at); }
    }

    /// <summary><see cref="TileAvx512Pairs{TRows}"/> in AVX2: two 8-channel blocks of pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TileAvx2Pairs<TRows>(ushort* x, int stride, in DynamicTile t, in DynamicTileRows at)
        where TRows : struct, ITileRowCount
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<int> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        sbyte* w0 = t.W0, w1 = t.W1;
        for (int g = 0; g < t.Groups; g++)
        {
            var v0 = Avx2.ConvertToVector256Int16(Vector128.Load(w0 + (g * 32)));
            var v1 = Avx2.ConvertToVector256Int16(Vector128.Load(w1 + (g * 32)));
            ushort* p = x + (2 * g);
            var b = Vector256.Create(*(int*)p).AsInt16();
            a00 += Avx2.MultiplyAddAdjacent(b, v0);
            a01 += Avx2.MultiplyAddAdjacent(b, v1);
            if (TRows.Count > 1)
            {
                b = Vector256.Create(*(int*)(p + stride)).AsInt16();
                a10 += Avx2.MultiplyAddAdjacent(b, v0);
                a11 += Avx2.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 2)
            {
                b = Vector256.Create(*(int*)(p + (2 * stride))).AsInt16();
                a20 += Avx2.MultiplyAddAdjacent(b, v0);
                a21 += Avx2.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 3)
            {
                b = Vector256.Create(*(int*)(p + (3 * stride))).AsInt16();
                a30 += Avx2.MultiplyAddAdjacent(b, v0);
                a31 += Avx2.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 4)
            {
                b = Vector256.Create(*(int*)(p + (4 * stride))).AsInt16();
                a40 += Avx2.MultiplyAddAdjacent(b, v0);
                a41 += Avx2.MultiplyAddAdjacent(b, v1);
            }

            if (TRows.Count > 5)
            {
                b = Vector256.Create(*(int*)(p + (5 * stride))).AsInt16();
                a50 += Avx2.MultiplyAddAdjacent(b, v0);
                a51 += Avx2.MultiplyAddAdjacent(b, v1);
            }
        }

        Finish256(a00, a01, 0, t, at);
        if (TRows.Count > 1) { Finish256(a10, a11, 1, t, at); }
        if (TRows.Count > 2) { Finish256(a20, a21, 2, t, at); }
        if (TRows.Count > 3) { Finish256(a30, a31, 3, t, at); }
        if (TRows.Count > 4) { Finish256(a40, a41, 4, t, at); }
        if (TRows.Count > 5) { Finish256(a50, a51, 5, t, at); }
    }
}
