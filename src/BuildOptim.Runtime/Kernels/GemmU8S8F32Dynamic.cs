using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// How <see cref="Kernels.GemmU8S8F32Dynamic"/> multiplies codes by weights; each path packs the weights its own way
/// (<see cref="DynamicGemmWeights"/>) and every path gives the scalar twin's outputs bit for bit.
/// </summary>
internal enum DynamicGemmPath
{
    /// <summary>The twin: weights as the plan stores them, [N, K].</summary>
    Scalar = 0,

    /// <summary>AVX2 <c>vpmaddwd</c> on 16-bit codes and weights: blocks of 8 channels × pairs of k.</summary>
    Avx2Pairs = 1,

    /// <summary>AVX-VNNI <c>vpdpbusd</c> (ymm) on u8 codes and s8 weights: blocks of 8 channels × quads of k.</summary>
    AvxVnniQuads = 2,

    /// <summary>AVX-512BW <c>vpmaddwd</c> (zmm) on 16-bit codes and weights: blocks of 16 channels × pairs of k.</summary>
    Avx512Pairs = 3,

    /// <summary>7-bit layers only: AVX-512BW two <c>vpmaddubsw</c> + <c>vpaddw</c> + <c>vpmaddwd</c> by ones (zmm): blocks of 16 channels × quads of k.</summary>
    Avx512SevenBit = 4,

    /// <summary>7-bit layers only: the same mix in AVX2 (ymm): blocks of 8 channels × quads of k.</summary>
    Avx2SevenBit = 5,
}

/// <summary>
/// A dense layer's s8 weights packed once for one <see cref="DynamicGemmPath"/>, with each output channel's weight sum
/// (<see cref="ColumnSums"/>, which the epilogue multiplies by a row's zero point). The SIMD paths take blocks of
/// <see cref="Block"/> channels in pairs (one micro-tile's channels), the whole depth in groups of <see cref="Depth"/> k,
/// the pair's two blocks side by side in each group, so a micro-tile reads its weights as one sequential run:
/// <c>Packed[((t·Groups + g)·2 + h)·Block·Depth + c·Depth + j] = W[(2t + h)·Block + c, g·Depth + j]</c>, zero past N and K;
/// the storage is pinned and starts on a 64-byte boundary (no weight load crosses a cache line). The scalar twin keeps
/// the plan's [N, K]. <see cref="SevenBit"/> weights lie in [−63, 63] and their rows are quantized to codes 0..127
/// (<see cref="Kernels.QuantizeRowU7Dynamic"/>), which the <c>vpmaddubsw</c> paths need to stay exact.
/// </summary>
internal sealed class DynamicGemmWeights
{
    /// <summary>Row codes are padded to a multiple of this many (the widest group).</summary>
    internal const int CodeAlignment = 4;

    /// <summary>Rows of one micro-tile.</summary>
    internal const int TileRows = 6;
    private readonly sbyte[] _storage;
    private readonly int _offset;
    private readonly int _length;

    internal DynamicGemmWeights(DynamicGemmPath path, bool sevenBit, int n, int k, int block, int depth, sbyte[] storage, int offset, int length, int[] columnSums)
    {
        (Path, SevenBit, N, K, Block, Depth, _storage, _offset, _length, ColumnSums) = (path, sevenBit, n, k, block, depth, storage, offset, length, columnSums);
        Groups = (k + depth - 1) / depth;
    }

    public DynamicGemmPath Path { get; }

    /// <summary>A 7-bit layer: weights in [−63, 63], row codes in [0, 127].</summary>
    public bool SevenBit { get; }

    public int N { get; }

    public int K { get; }

    public int Block { get; }

    public int Depth { get; }

    public int Groups { get; }

    /// <summary>The packed weights (a window of pinned storage).</summary>
    public ReadOnlySpan<sbyte> Packed => _storage.AsSpan(_offset, _length);

    public int[] ColumnSums { get; }

    /// <summary>Channels per micro-tile (two blocks), the unit a parallel runner splits the outputs by.</summary>
    public int TileChannels => Path == DynamicGemmPath.Scalar ? 1 : 2 * Block;

    /// <summary>Codes of one row, K padded.</summary>
    internal int CodeStride => (K + CodeAlignment - 1) / CodeAlignment * CodeAlignment;

    private bool Widens => Path is DynamicGemmPath.Avx2Pairs or DynamicGemmPath.Avx512Pairs;

    /// <summary>Bytes of scratch <see cref="Kernels.GemmU8S8F32Dynamic"/> needs for <paramref name="rows"/> rows.</summary>
    public int ScratchBytes(int rows) => checked(Layout(rows).Total);

    internal (int Codes, int Wide, int Scales, int ZeroPoints, int Tile, int Total) Layout(int rows)
    {
        static int Align(long bytes) => checked((int)((bytes + 63) / 64 * 64));
        int codes = Align((long)rows * CodeStride);
        int wide = Widens ? Align((long)rows * CodeStride * sizeof(ushort)) : 0;
        int scales = Align((long)rows * sizeof(float));
        int zeroPoints = Align((long)rows * sizeof(int));
        int tile = Align((long)TileRows * 2 * 16 * sizeof(int));
        return (0, codes, codes + wide, codes + wide + scales, codes + wide + scales + zeroPoints, codes + wide + scales + zeroPoints + tile);
    }
}

// A small-M dense layer on int8 weights with activations quantized per row when it runs (dynamic quantization, as ONNX
// Runtime's DynamicQuantizeLinear + MatMulInteger): s32 accumulation, then one fp32 epilogue per output.
public static partial class Kernels
{
    /// <summary>
    /// The path <see cref="GemmU8S8F32Dynamic"/> takes on this machine at most at <paramref name="maxLevel"/>. An 8-bit layer:
    /// AVX-VNNI where the machine has it (one <c>vpdpbusd</c> does what <c>vpmaddwd</c> on 16-bit operands does with a
    /// widening and an add; measured 10–20 % faster than the 512-bit pairs on Zen 5, docs/benchmarks.md), else AVX-512BW,
    /// else AVX2. A 7-bit layer (<paramref name="sevenBit"/>): the 512-bit <c>vpmaddubsw</c> mix (1.3× the 256-bit
    /// <c>vpdpbusd</c> rate), else AVX-VNNI, else the 256-bit mix.
    /// </summary>
    internal static DynamicGemmPath ChooseDynamicGemmPath(SimdLevel maxLevel, bool sevenBit = false)
        => sevenBit
            ? maxLevel >= SimdLevel.Vector512 && Avx512BW.IsSupported ? DynamicGemmPath.Avx512SevenBit
                : maxLevel >= SimdLevel.Vector256 && AvxVnni.IsSupported ? DynamicGemmPath.AvxVnniQuads
                : maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported ? DynamicGemmPath.Avx2SevenBit
                : DynamicGemmPath.Scalar
            : maxLevel >= SimdLevel.Vector256 && AvxVnni.IsSupported ? DynamicGemmPath.AvxVnniQuads
                : maxLevel >= SimdLevel.Vector512 && Avx512BW.IsSupported ? DynamicGemmPath.Avx512Pairs
                : maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported ? DynamicGemmPath.Avx2Pairs
                : DynamicGemmPath.Scalar;

    /// <summary>Whether <paramref name="path"/> multiplies <paramref name="sevenBit"/> layers' operands exactly (the <c>vpmaddubsw</c> mixes only 7-bit ones).</summary>
    internal static bool Handles(DynamicGemmPath path, bool sevenBit)
        => sevenBit || path is not (DynamicGemmPath.Avx512SevenBit or DynamicGemmPath.Avx2SevenBit);

    /// <summary>Whether this machine runs <paramref name="path"/>.</summary>
    internal static bool IsSupported(DynamicGemmPath path) => path switch
    {
        DynamicGemmPath.Scalar => true,
        DynamicGemmPath.Avx2Pairs => Avx2.IsSupported,
        DynamicGemmPath.AvxVnniQuads => AvxVnni.IsSupported,
        DynamicGemmPath.Avx512Pairs => Avx512BW.IsSupported,
        DynamicGemmPath.Avx512SevenBit => Avx512BW.IsSupported,
        DynamicGemmPath.Avx2SevenBit => Avx2.IsSupported,
        _ => false,
    };

    /// <summary>
    /// Packs <paramref name="weights"/> [<paramref name="n"/>, <paramref name="k"/>] for <paramref name="path"/> (see
    /// <see cref="DynamicGemmWeights"/>); a <paramref name="sevenBit"/> layer's weights must lie in [−63, 63].
    /// </summary>
    internal static unsafe DynamicGemmWeights PackDynamicGemmWeights(ReadOnlySpan<sbyte> weights, int n, int k, DynamicGemmPath path, bool sevenBit = false)
    {
        if (n < 0 || k < 0 || weights.Length != (long)n * k)
        {
            ThrowShape("The weights are not N × K.");
        }

        if (!Handles(path, sevenBit) || (sevenBit && !AreSevenBitWeights(weights)))
        {
            ThrowShape("Only a 7-bit layer, its weights in [-63, 63], runs on a vpmaddubsw path.");
        }

        var (block, depth) = path switch
        {
            DynamicGemmPath.Avx2Pairs => (8, 2),
            DynamicGemmPath.AvxVnniQuads or DynamicGemmPath.Avx2SevenBit => (8, 4),
            DynamicGemmPath.Avx512Pairs => (16, 2),
            DynamicGemmPath.Avx512SevenBit => (16, 4),
            _ => (1, 1),
        };
        int groups = (k + depth - 1) / depth, pairs = (n + (2 * block) - 1) / (2 * block);
        int length = path == DynamicGemmPath.Scalar ? n * k : checked(pairs * 2 * groups * block * depth);

        // 63 bytes more than the weights: room to start them on a 64-byte boundary of the pinned (never moved) array.
        var storage = GC.AllocateArray<sbyte>(checked(length + 63), pinned: true);
        int offset = (int)((64 - ((nuint)Unsafe.AsPointer(ref storage[0]) % 64)) % 64);
        var packed = storage.AsSpan(offset, length);
        var sums = new int[n];
        for (int row = 0; row < n; row++)
        {
            int b = row / block, c = row % block, sum = 0;
            var w = weights.Slice(row * k, k);
            for (int i = 0; i < k; i++)
            {
                sum += w[i];
                long at = path == DynamicGemmPath.Scalar ? ((long)row * k) + i
                    : ((((((long)(b / 2) * groups) + (i / depth)) * 2) + (b % 2)) * block * depth) + (c * depth) + (i % depth);
                packed[(int)at] = w[i];
            }

            sums[row] = sum;
        }

        return new DynamicGemmWeights(path, sevenBit, n, k, block, depth, storage, offset, length, sums);
    }

    /// <summary>Whether every weight lies in [−63, 63] (a 7-bit layer's, <c>WeightQuantizer.QuantizeRows</c> with 7 bits).</summary>
    internal static bool AreSevenBitWeights(ReadOnlySpan<sbyte> weights)
        => !weights.ContainsAnyExceptInRange((sbyte)SevenBitWeightMin, (sbyte)SevenBitWeightMax);

    /// <summary>
    /// Dynamic asymmetric quantization of one row, ONNX <c>DynamicQuantizeLinear</c>:
    /// <c>lo = min(0, min x)</c>, <c>hi = max(0, max x)</c>, <c>scale = (hi − lo) / 255</c> (1 when that is 0 or not finite),
    /// <c>zeroPoint = clamp(round_half_even(−lo / scale), 0, 255)</c> (0 when the scale was replaced), then
    /// <c>q = clamp(round_half_even(x / scale) + zeroPoint, 0, 255)</c> (<see cref="QuantizeF32ToU8(ReadOnlySpan{float}, float, int, Span{byte}, SimdLevel)"/>).
    /// </summary>
    internal static (float Scale, int ZeroPoint) QuantizeRowU8Dynamic(ReadOnlySpan<float> x, Span<byte> q, SimdLevel maxLevel)
        => QuantizeRowDynamic(x, q, byte.MaxValue, maxLevel);

    private static (float Scale, int ZeroPoint) QuantizeRowDynamic(ReadOnlySpan<float> x, Span<byte> q, int maxCode, SimdLevel maxLevel)
    {
        var (min, max) = MinMaxF32(x, maxLevel);
        float lo = MathF.Min(min, 0f), hi = MathF.Max(max, 0f);
        float scale = (hi - lo) / maxCode;
        int zeroPoint;
        if (scale > 0f && float.IsFinite(scale))
        {
            zeroPoint = (int)Math.Clamp(MathF.Round(-lo / scale), 0f, maxCode);
        }
        else
        {
            (scale, zeroPoint) = (1f, 0);
        }

        // The row's first multiple of 16 values in zmm lanes where the machine has them (the same IEEE division and
        // rounding as every other width), the rest through QuantizeF32ToU8.
        int done = maxLevel >= SimdLevel.Vector512 && Avx512F.IsSupported ? QuantizeRowAvx512(x, scale, zeroPoint, maxCode, q) : 0;
        QuantizeF32ToU8(x[done..], scale, zeroPoint, q[done..x.Length], maxLevel);
        if (maxCode < byte.MaxValue)
        {
            // clamp(clamp(v, 0, 255), 0, maxCode) = clamp(v, 0, maxCode): the u8 codes, capped.
            ClampCodesU8(q[done..x.Length], (byte)maxCode, maxLevel);
        }

        return (scale, zeroPoint);
    }

    /// <summary>
    /// The least and greatest of <paramref name="x"/> (IEEE 754-2019 minimum and maximum: a NaN wins, −0 &lt; +0, so
    /// every order of comparisons gives the same pair); (+∞, −∞) when empty.
    /// </summary>
    internal static (float Min, float Max) MinMaxF32(ReadOnlySpan<float> x, SimdLevel maxLevel)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        int i = 0;
        if (maxLevel >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            var minV = Vector256.Create(min);
            var maxV = Vector256.Create(max);
            ref float r = ref MemoryMarshal.GetReference(x);
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref r, (nuint)i);
                minV = Vector256.Min(minV, v);
                maxV = Vector256.Max(maxV, v);
            }

            for (int lane = 0; lane < 8; lane++)
            {
                min = MathF.Min(min, minV[lane]);
                max = MathF.Max(max, maxV[lane]);
            }
        }

        for (; i < x.Length; i++)
        {
            min = MathF.Min(min, x[i]);
            max = MathF.Max(max, x[i]);
        }

        return (min, max);
    }

    /// <summary>
    /// <c>y[m, n] = clamp(act((float)(acc[m, n] − zp[m]·colSum[n]) · (scale[m]·colScale[n]) + bias[n]))</c> for every row m and
    /// the output channels n in [<paramref name="first"/>, <paramref name="end"/>), where row m of <paramref name="x"/> is
    /// quantized as <see cref="QuantizeRowU8Dynamic"/> says (<c>scale[m]</c>, <c>zp[m]</c>, codes <c>q</c>),
    /// <c>acc[m, n] = Σ_k q[m, k]·W[n, k]</c> exactly in int32, and <c>colSum[n] = Σ_k W[n, k]</c>; the epilogue's float
    /// operations are the same, in the same order, on every path. <paramref name="first"/> is a multiple of
    /// <see cref="DynamicGemmWeights.TileChannels"/>, and so is <paramref name="end"/> unless it is N.
    /// </summary>
    internal static void GemmU8S8F32Dynamic(ReadOnlySpan<float> x, int rows, DynamicGemmWeights weights, ReadOnlySpan<float> colScale, ReadOnlySpan<float> bias,
        Activation activation, float clampMin, float clampMax, int first, int end, Span<float> y, Span<byte> scratch)
    {
        int n = weights.N, k = weights.K, tile = weights.TileChannels;
        if (rows < 0 || x.Length < (long)rows * k || y.Length < (long)rows * n || colScale.Length < n || bias.Length < n
            || first < 0 || end > n || first > end || first % tile != 0 || (end != n && end % tile != 0)
            || scratch.Length < weights.ScratchBytes(rows) || (uint)k > DynamicGemmMaxK)
        {
            ThrowShape("The dynamic GEMM's operands do not fit its weights.");
        }

        if (!IsSupported(weights.Path) || !Handles(weights.Path, weights.SevenBit))
        {
            ThrowShape("The weights were packed for a path this machine does not run.");
        }

        GemmU8S8F32DynamicCore(x, rows, weights, colScale, bias, activation, clampMin, clampMax, first, end, y, scratch);
    }

    /// <summary>The largest K: every <c>|Σ_k (q − zp)·w| ≤ 255·127·K</c> fits in int32.</summary>
    internal const int DynamicGemmMaxK = 65536;

    /// <summary><see cref="GemmU8S8F32Dynamic"/> on operands the caller checked.</summary>
    internal static unsafe void GemmU8S8F32DynamicCore(ReadOnlySpan<float> x, int rows, DynamicGemmWeights weights, ReadOnlySpan<float> colScale, ReadOnlySpan<float> bias,
        Activation activation, float clampMin, float clampMax, int first, int end, Span<float> y, Span<byte> scratch)
    {
        int n = weights.N, k = weights.K, stride = weights.CodeStride;
        var layout = weights.Layout(rows);
        var codes = scratch.Slice(layout.Codes, rows * stride);
        var scales = MemoryMarshal.Cast<byte, float>(scratch.Slice(layout.Scales, rows * sizeof(float)));
        var zeroPoints = MemoryMarshal.Cast<byte, int>(scratch.Slice(layout.ZeroPoints, rows * sizeof(int)));
        var path = weights.Path;
        var level = path == DynamicGemmPath.Scalar ? SimdLevel.Scalar : SimdLevel.Vector512;
        bool widen = path is DynamicGemmPath.Avx2Pairs or DynamicGemmPath.Avx512Pairs;
        var wide = MemoryMarshal.Cast<byte, ushort>(scratch.Slice(layout.Wide, widen ? rows * stride * sizeof(ushort) : 0));
        for (int m = 0; m < rows; m++)
        {
            var row = codes.Slice(m * stride, stride);
            (scales[m], zeroPoints[m]) = weights.SevenBit ? QuantizeRowU7Dynamic(x.Slice(m * k, k), row, level) : QuantizeRowU8Dynamic(x.Slice(m * k, k), row, level);
            row[k..].Clear();
            if (widen)
            {
                WidenU8ToU16(row, wide.Slice(m * stride, stride));
            }
        }

        if (first == end)
        {
            return;
        }

        if (path == DynamicGemmPath.Scalar)
        {
            GemmU8S8F32DynamicScalar(codes, rows, weights, scales, zeroPoints, colScale, bias, first, end, y);
        }
        else
        {
            var accTile = MemoryMarshal.Cast<byte, int>(scratch.Slice(layout.Tile, DynamicGemmWeights.TileRows * 2 * 16 * sizeof(int)));
            int tileChannels = weights.TileChannels, block = weights.Block, panel = weights.Groups * tileChannels * weights.Depth;
            fixed (sbyte* packed = weights.Packed)
            fixed (byte* codeBase = codes)
            fixed (ushort* wideBase = wide)
            fixed (int* acc = accTile)
            fixed (int* zeroPointBase = zeroPoints)
            fixed (float* scaleBase = scales)
            fixed (int* colSumBase = weights.ColumnSums)
            fixed (float* colScaleBase = colScale)
            fixed (float* biasBase = bias)
            fixed (float* yBase = y)
            {
                for (int n0 = first; n0 < end; n0 += tileChannels)
                {
                    int width = Math.Min(tileChannels, end - n0);
                    sbyte* w0 = packed + ((long)(n0 / tileChannels) * panel);
                    var tile = new DynamicTile(w0, w0 + (block * weights.Depth), weights.Groups, colSumBase + n0, colScaleBase + n0, biasBase + n0, n,
                        width == tileChannels ? null : acc);
                    for (int m0 = 0; m0 < rows; m0 += DynamicGemmWeights.TileRows)
                    {
                        int count = Math.Min(DynamicGemmWeights.TileRows, rows - m0);
                        var at = new DynamicTileRows(zeroPointBase + m0, scaleBase + m0, yBase + ((long)m0 * n) + n0);
                        if (path == DynamicGemmPath.AvxVnniQuads && count <= 3)
                        {
                            TileAvxVnniSplit(count, codeBase + ((long)m0 * stride), stride, tile, at);
                        }
                        else if (path == DynamicGemmPath.AvxVnniQuads)
                        {
                            TileAvxVnniQuads(count, codeBase + ((long)m0 * stride), stride, tile, at);
                        }
                        else if (path is DynamicGemmPath.Avx512SevenBit or DynamicGemmPath.Avx2SevenBit)
                        {
                            TileSevenBit(path, count, codeBase + ((long)m0 * stride), stride, tile, at);
                        }
                        else
                        {
                            TilePairs(path, count, wideBase + ((long)m0 * stride), stride, tile, at);
                        }

                        if (tile.Partial is not null)
                        {
                            // The tile's last channels: accumulators through the lane-by-lane epilogue.
                            for (int r = 0; r < count; r++)
                            {
                                int m = m0 + r;
                                EpilogueRow(new ReadOnlySpan<int>(acc + (r * tileChannels), width), zeroPoints[m], scales[m], weights.ColumnSums.AsSpan(n0, width),
                                    colScale.Slice(n0, width), bias.Slice(n0, width), y.Slice((m * n) + n0, width), vector: true);
                            }
                        }
                    }
                }
            }
        }

        for (int m = 0; m < rows; m++)
        {
            var segment = y.Slice((m * n) + first, end - first);
            if (activation != Activation.None)
            {
                ActivationF32(segment, activation, 0f, 0f, segment, level);
            }

            if (clampMin > float.NegativeInfinity || clampMax < float.PositiveInfinity)
            {
                ClampF32(segment, clampMin, clampMax, segment);
            }
        }
    }

    private static void GemmU8S8F32DynamicScalar(ReadOnlySpan<byte> codes, int rows, DynamicGemmWeights weights, ReadOnlySpan<float> scales, ReadOnlySpan<int> zeroPoints,
        ReadOnlySpan<float> colScale, ReadOnlySpan<float> bias, int first, int end, Span<float> y)
    {
        int n = weights.N, k = weights.K, stride = weights.CodeStride;
        Span<int> acc = stackalloc int[1];
        for (int m = 0; m < rows; m++)
        {
            var q = codes.Slice(m * stride, k);
            for (int c = first; c < end; c++)
            {
                var w = weights.Packed.Slice(c * k, k);
                int sum = 0;
                for (int i = 0; i < k; i++)
                {
                    sum += q[i] * w[i];
                }

                acc[0] = sum;
                EpilogueRow(acc, zeroPoints[m], scales[m], weights.ColumnSums.AsSpan(c, 1), colScale.Slice(c, 1), bias.Slice(c, 1), y.Slice((m * n) + c, 1), vector: false);
            }
        }
    }

    /// <summary><c>y = (float)(acc − zeroPoint·colSum) · (scale·colScale) + bias</c>, lane by lane: the same IEEE operations in vectors and in the tail.</summary>
    private static void EpilogueRow(ReadOnlySpan<int> acc, int zeroPoint, float scale, ReadOnlySpan<int> colSum, ReadOnlySpan<float> colScale, ReadOnlySpan<float> bias, Span<float> y, bool vector)
    {
        int i = 0;
        if (vector && Vector256.IsHardwareAccelerated)
        {
            var zp = Vector256.Create(zeroPoint);
            var s = Vector256.Create(scale);
            for (; i <= acc.Length - 8; i += 8)
            {
                var t = Vector256.Create(acc.Slice(i, 8)) - (zp * Vector256.Create(colSum.Slice(i, 8)));
                var v = (Vector256.ConvertToSingle(t) * (s * Vector256.Create(colScale.Slice(i, 8)))) + Vector256.Create(bias.Slice(i, 8));
                v.CopyTo(y.Slice(i, 8));
            }
        }

        for (; i < acc.Length; i++)
        {
            y[i] = ((float)(acc[i] - (zeroPoint * colSum[i])) * (scale * colScale[i])) + bias[i];
        }
    }

    private static void WidenU8ToU16(ReadOnlySpan<byte> codes, Span<ushort> wide)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            ref byte c = ref MemoryMarshal.GetReference(codes);
            ref ushort w = ref MemoryMarshal.GetReference(wide);
            for (; i <= codes.Length - 16; i += 16)
            {
                Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref c, (nuint)i)).AsUInt16().StoreUnsafe(ref w, (nuint)i);
            }
        }

        for (; i < codes.Length; i++)
        {
            wide[i] = codes[i];
        }
    }
}
