using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Bytes of scratch the u8 × s8 convolutions need: for one block of B pixels (B a multiple of 16 sized to stay in L2),
    /// its pair-packed column panels and accumulators, one group's padded image and packed weights and 64 bytes of
    /// alignment slack (see ConvGemmU8S8.cs); for depthwise convolutions, which run directly, one channel's padded plane
    /// (see ConvDepthwiseU8S8.cs).
    /// </summary>
    public static int ConvU8S8ScratchLength(in ConvGeometry g) => ConvU8S8ScratchLength(g, packedWeights: false);

    /// <summary>
    /// <see cref="ConvU8S8ScratchLength(in ConvGeometry)"/> for calls that pass weights pre-packed by <see cref="PackConvU8S8Weights"/>
    /// (<paramref name="packedWeights"/>): no room for packing them per call (ResNet-18's 512-channel layers: 4.7 MB less).
    /// </summary>
    public static int ConvU8S8ScratchLength(in ConvGeometry g, bool packedWeights)
        => g.IsDepthwise ? ConvDepthwiseU8S8ScratchLength(g) : ConvGemmU8S8ScratchLength(g, packedWeights);

    /// <summary>Ints of accumulator scratch the u8 × s8 convolutions need: one depthwise channel's outputs and 16 of slack, <c>OH · OW + 16</c> (0 otherwise).</summary>
    public static int ConvU8S8AccumulatorLength(in ConvGeometry g)
        => g.IsDepthwise ? (g.OH * g.OW) + DepthwiseChunk : 0;

    /// <summary>
    /// Quantized 2-D convolution of one NCHW sample of uint8 codes with int8 per-output-channel weights:
    /// <c>acc[m, oh, ow] = bias[m] + Σ_{c, kh, kw} w[m, c, kh, kw] · x[g·C/G + c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c>
    /// with out-of-range x read as <paramref name="inputZeroPoint"/> (real 0: the bias already holds −Zx·Σw), then
    /// <c>y[m, oh, ow] = clamp(outputZeroPoint + ((acc · multiplier[m] + 2^(shift[m]−1)) &gt;&gt; shift[m]), clampMin, clampMax)</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <c>scratch</c> needs at least <see cref="ConvU8S8ScratchLength(in ConvGeometry)"/> bytes and <c>accScratch</c> at least
    /// <see cref="ConvU8S8AccumulatorLength"/> ints; both are overwritten.
    /// </para>
    /// <para>
    /// Integer-exact: <c>acc</c> is the true sum while |bias| + 255 · 128 · PatchLength &lt; 2^31 (PatchLength up to about
    /// 65,000; beyond, int32 wraps identically on every path), and the requantization is the 64-bit formula of
    /// <see cref="RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/>.
    /// Non-depthwise groups pack their im2col matrix and weights in pairs of 16-bit values and multiply them with
    /// <c>vpmaddwd</c>, 6 output channels × 16 pixels at a time, requantizing block by block (see ConvGemmU8S8.cs);
    /// depthwise convolutions (G = C = M) accumulate tap by tap. Integer sums are exact in any order, so every path agrees
    /// bit for bit.
    /// </para>
    /// </remarks>
    public static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y)
        => ConvU8S8(x, g, inputZeroPoint, weights, default, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary>
    /// <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>
    /// with the weights also given pre-packed by <see cref="PackConvU8S8Weights"/> (empty: pack per call).
    /// </summary>
    public static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y)
        => ConvU8S8(x, g, inputZeroPoint, weights, packedWeights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary><see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel)
        => ConvU8S8(x, g, inputZeroPoint, weights, default, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, maxLevel);

    /// <summary>The pre-packed overload taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel, ConvGemmLayout? layout = null)
    {
        ValidateConvU8S8(x, g, weights, packedWeights, bias, scratch, accScratch, y.Length, layout);
        ValidateConvRequantization(g, multiplier, shift, clampMin, clampMax);

        var output = new RequantizeConvOutput(multiplier, shift, outputZeroPoint, clampMin, clampMax, y, g.OH * g.OW);
        ConvU8S8Groups(x, g, inputZeroPoint, weights, packedWeights, bias, scratch, accScratch, layout, ref output, maxLevel);
    }

    /// <summary>
    /// <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>'s
    /// accumulator written as floats, for a convolution whose consumers run in float:
    /// <c>y[m, oh, ow] = clamp((float)acc[m, oh, ow] · scale[m], clampMin, clampMax)</c> with <c>scale[m] = Sx · Sw[m]</c>.
    /// </summary>
    public static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y)
        => ConvU8S8ToF32(x, g, inputZeroPoint, weights, default, bias, scale, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary>
    /// <see cref="ConvU8S8ToF32(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, float, float, Span{byte}, Span{int}, Span{float})"/>
    /// with the weights also given pre-packed by <see cref="PackConvU8S8Weights"/> (empty: pack per call).
    /// </summary>
    public static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y)
        => ConvU8S8ToF32(x, g, inputZeroPoint, weights, packedWeights, bias, scale, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary><see cref="ConvU8S8ToF32(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, float, float, Span{byte}, Span{int}, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y, SimdLevel maxLevel)
        => ConvU8S8ToF32(x, g, inputZeroPoint, weights, default, bias, scale, clampMin, clampMax, scratch, accScratch, y, maxLevel);

    /// <summary>The pre-packed float-output overload taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y, SimdLevel maxLevel, ConvGemmLayout? layout = null)
    {
        ValidateConvU8S8(x, g, weights, packedWeights, bias, scratch, accScratch, y.Length, layout);
        if (scale.Length != g.M)
        {
            ThrowShape($"Conv {g} needs {g.M} scales; got {scale.Length}.");
        }

        if (!(clampMin <= clampMax))
        {
            ThrowEmptyClampRange();
        }

        var output = new ScaleConvOutput(scale, clampMin, clampMax, y, g.OH * g.OW);
        ConvU8S8Groups(x, g, inputZeroPoint, weights, packedWeights, bias, scratch, accScratch, layout, ref output, maxLevel);
    }

    /// <summary>One multiplier and one shift in [1, 62] per output channel, and a clamp range that is not empty.</summary>
    private static void ValidateConvRequantization(in ConvGeometry g, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, byte clampMin, byte clampMax)
    {
        if (multiplier.Length != g.M || shift.Length != g.M)
        {
            ThrowShape($"Conv {g} needs {g.M} multipliers and shifts; got {multiplier.Length} and {shift.Length}.");
        }

        foreach (int s in shift)
        {
            if ((uint)(s - 1) >= FixedPoint.MaxShift)
            {
                ThrowShiftOutOfRange();
            }
        }

        if (clampMin > clampMax)
        {
            ThrowEmptyClampRange();
        }
    }

    /// <summary>Checks the operands (with a prepared layout, against the lengths it holds rather than derived again).</summary>
    private static void ValidateConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, int outputLength, ConvGemmLayout? layout)
    {
        ValidateConvGeometry(g);
        if (layout is not null && !layout.Fits(g))
        {
            ThrowShape($"Conv {g} was given the prepared layout of another geometry.");
        }

        if (x.Length != g.InputLength || weights.Length != g.M * g.PatchLength || bias.Length != g.M || outputLength != g.OutputLength)
        {
            ThrowShape($"Conv {g} got input {x.Length}, weights {weights.Length}, bias {bias.Length}, output {outputLength}.");
        }

        if (!packedWeights.IsEmpty && packedWeights.Length != ConvU8S8PackedWeightsLength(g))
        {
            ThrowShape($"Conv {g} needs {ConvU8S8PackedWeightsLength(g)} packed weights; got {packedWeights.Length}.");
        }

        int scratchLength = layout is not null && !packedWeights.IsEmpty ? layout.PackedScratchLength : ConvU8S8ScratchLength(g, !packedWeights.IsEmpty);
        if (scratch.Length < scratchLength || accScratch.Length < ConvU8S8AccumulatorLength(g))
        {
            ThrowShape($"Conv {g} needs {scratchLength} bytes and {ConvU8S8AccumulatorLength(g)} ints of scratch; got {scratch.Length} and {accScratch.Length}.");
        }
    }

    /// <summary>Every group's accumulators, handed to <paramref name="output"/> row segment by row segment.</summary>
    private static void ConvU8S8Groups<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, ConvGemmLayout? layout, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        int pixels = g.OH * g.OW;
        if (UsesDirectDepthwise(g, level))
        {
            ConvDepthwiseU8S8Avx2(x, g, zeroPoint, weights, bias, scratch, accScratch, ref output, level);
            return;
        }

        if (g.IsDepthwise)
        {
            int taps = g.KH * g.KW;
            int plane = g.H * g.W;
            var acc = accScratch[..pixels];
            for (int c = 0; c < g.C; c++)
            {
                ConvDepthwiseU8S8Accumulate(x.Slice(c * plane, plane), g, zeroPoint, weights.Slice(c * taps, taps), bias[c], acc, level);
                output.Write(c, 0, acc, level);
            }

            return;
        }

        int groupOutputs = g.GroupOutputChannels;
        int groupInput = g.GroupInputChannels * g.H * g.W;
        int groupWeights = groupOutputs * g.PatchLength;
        int groupPacked = ConvGemmU8S8GroupWeightsLength(g);
        for (int group = 0; group < g.Group; group++)
        {
            ConvGemmU8S8Group(
                x.Slice(group * groupInput, groupInput),
                g,
                zeroPoint,
                weights.Slice(group * groupWeights, groupWeights),
                packedWeights.IsEmpty ? default : packedWeights.Slice(group * groupPacked, groupPacked),
                bias.Slice(group * groupOutputs, groupOutputs),
                group * groupOutputs,
                scratch,
                layout,
                ref output,
                level);
        }
    }

    /// <summary>Requantizes accumulators to codes: <c>y[m, p] = clamp(zy + ((acc · multiplier[m] + 2^(shift[m]−1)) &gt;&gt; shift[m]), min, max)</c>.</summary>
    private readonly ref struct RequantizeConvOutput(ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y, int pixels) : IConvGemmOutput
    {
        private readonly ReadOnlySpan<int> _multiplier = multiplier;
        private readonly ReadOnlySpan<int> _shift = shift;
        private readonly Span<byte> _y = y;

        public void Write(int m, int p, Span<int> acc, SimdLevel level)
            => RequantizeRowS32ToU8(acc, _multiplier[m], _shift[m], zeroPoint, min, max, _y.Slice((m * pixels) + p, acc.Length), level);

        /// <summary>
        /// In AVX2, each row's requantizer is built and its vectors run right here (dense rows straight into y, wide ones
        /// through <paramref name="codes"/>), with one bounds check for the block.
        /// </summary>
        public bool WriteRows(int m, int rows, int p0, Span<int> blockAcc, int stride, int count, int wq, int ow, Span<byte> codes, SimdLevel level)
        {
            if (level < SimdLevel.Vector256 || !Avx2.IsSupported || count < 8)
            {
                return false;
            }

            int denseEnd = DenseRange(p0, count, wq, ow).End;
            if (rows < 1 || (long)(rows - 1) * stride + count > blockAcc.Length || (long)(m + rows) * pixels > _y.Length
                || m + rows > _multiplier.Length || denseEnd > pixels || (wq != ow && codes.Length < count))
            {
                ThrowShape("A convolution row block lies outside its output.");
            }

            ref int acc = ref MemoryMarshal.GetReference(blockAcc);
            ref byte row = ref MemoryMarshal.GetReference(codes);
            for (int r = 0; r < rows; r++)
            {
                var requantizer = new RowRequantizerAvx2(_multiplier[m + r], _shift[m + r], zeroPoint, min, max);
                ref int a = ref Unsafe.Add(ref acc, r * stride);
                ref byte channel = ref MemoryMarshal.GetReference(_y.Slice((m + r) * pixels, pixels));

                // Dense: codes go to y from p0 on. Wide: into the codes row, then the valid runs out.
                RequantizeRunAvx2(requantizer, ref a, ref wq == ow ? ref Unsafe.Add(ref channel, p0) : ref row, count);

                if (wq != ow)
                {
                    CopyWideRuns(ref row, ref channel, 0, p0, count, wq, ow, 1, disjoint: true);
                }
            }

            return true;
        }

        /// <summary>Requantizes the whole wide run (full vectors, no per-row tails), then copies the valid codes out.</summary>
        public void WriteWide(int m, int p0, Span<int> acc, int wq, int ow, Span<byte> codes, SimdLevel level)
        {
            if (wq == ow)
            {
                Write(m, p0, acc, level);
                return;
            }

            var row = codes[..acc.Length];
            RequantizeRowS32ToU8(acc, _multiplier[m], _shift[m], zeroPoint, min, max, row, level);
            var channel = _y.Slice(m * pixels, DenseRange(p0, acc.Length, wq, ow).End);
            CopyWideRuns(ref MemoryMarshal.GetReference(row), ref MemoryMarshal.GetReference(channel), 0, p0, acc.Length, wq, ow, 1, disjoint: true);
        }
    }

    /// <summary>Scales accumulators to floats: <c>y[m, p] = clamp((float)acc · scale[m], min, max)</c>.</summary>
    private readonly ref struct ScaleConvOutput(ReadOnlySpan<float> scale, float min, float max, Span<float> y, int pixels) : IConvGemmOutput
    {
        private readonly ReadOnlySpan<float> _scale = scale;
        private readonly Span<float> _y = y;

        public void Write(int m, int p, Span<int> acc, SimdLevel level)
        {
            float s = _scale[m];
            var yRow = _y.Slice((m * pixels) + p, acc.Length);
            for (int i = 0; i < acc.Length; i++)
            {
                yRow[i] = ClampF32(acc[i] * s, min, max);
            }
        }

        public bool WriteRows(int m, int rows, int p0, Span<int> blockAcc, int stride, int count, int wq, int ow, Span<byte> codes, SimdLevel level) => false;

        /// <summary>Compacts the valid accumulators in place, then scales them.</summary>
        public void WriteWide(int m, int p0, Span<int> acc, int wq, int ow, Span<byte> codes, SimdLevel level)
        {
            var (denseStart, denseEnd) = DenseRange(p0, acc.Length, wq, ow);
            if (wq != ow)
            {
                ref byte start = ref Unsafe.As<int, byte>(ref MemoryMarshal.GetReference(acc));
                CopyWideRuns(ref start, ref start, denseStart, p0, acc.Length, wq, ow, 4, disjoint: false);
            }

            if (denseEnd > denseStart)
            {
                Write(m, denseStart, acc[..(denseEnd - denseStart)], level);
            }
        }
    }

    /// <summary>
    /// Depthwise accumulator of one channel: each output row starts at the bias and adds, tap by tap,
    /// <c>w · x</c> where the tap is inside x and <c>w · zeroPoint</c> where it is in the padding.
    /// </summary>
    private static void ConvDepthwiseU8S8Accumulate(ReadOnlySpan<byte> xc, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> wc, int bias, Span<int> acc, SimdLevel level)
    {
        for (int oh = 0; oh < g.OH; oh++)
        {
            var row = acc.Slice(oh * g.OW, g.OW);
            row.Fill(bias);
            for (int kh = 0; kh < g.KH; kh++)
            {
                var wRow = wc.Slice(kh * g.KW, g.KW);
                int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
                if ((uint)ih >= (uint)g.H)
                {
                    int weightSum = 0;
                    foreach (sbyte w in wRow)
                    {
                        weightSum += w;
                    }

                    AddConstantRowS32(zeroPoint * weightSum, row);
                    continue;
                }

                var xRow = xc.Slice(ih * g.W, g.W);
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int w = wRow[kw];
                    if (w == 0)
                    {
                        continue;
                    }

                    int iw0 = (kw * g.DilationW) - g.PadLeft;
                    var (lo, hi) = InBoundsRange(iw0, g.StrideW, g.W, g.OW);
                    AddConstantRowS32(zeroPoint * w, row[..lo]);
                    AddConstantRowS32(zeroPoint * w, row[hi..]);
                    if (lo == hi)
                    {
                        continue;
                    }

                    if (g.StrideW == 1)
                    {
                        AxpyRowU8ToS32(w, xRow.Slice(lo + iw0, hi - lo), row[lo..hi], level);
                    }
                    else
                    {
                        for (int ow = lo; ow < hi; ow++)
                        {
                            row[ow] += w * xRow[(ow * g.StrideW) + iw0];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// <c>y[i] = clamp(zeroPoint + ((acc[i] · multiplier + 2^(shift−1)) &gt;&gt; shift), min, max)</c> in 64-bit integers:
    /// <see cref="RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/>
    /// with one multiplier and shift for the whole row (one output channel).
    /// </summary>
    internal static void RequantizeRowS32ToU8(ReadOnlySpan<int> acc, int multiplier, int shift, int zeroPoint, byte min, byte max, Span<byte> y, SimdLevel level)
    {
        if ((uint)(shift - 1) >= FixedPoint.MaxShift)
        {
            ThrowShiftOutOfRange();
        }

        int n = y.Length;
        acc = acc[..n];
        int i = 0;
        if (level >= SimdLevel.Vector256 && Avx2.IsSupported && n >= 8)
        {
            i = RequantizeRowS32ToU8Avx2(acc, multiplier, shift, zeroPoint, min, max, y);
        }

        long rounding = 1L << (shift - 1);
        for (; i < n; i++)
        {
            long q = zeroPoint + (((acc[i] * (long)multiplier) + rounding) >> shift);
            y[i] = (byte)Math.Clamp(q, min, max);
        }
    }

    /// <summary>The AVX2 lanes of <see cref="RequantizeRowS32ToU8"/>, 8 at a time (<see cref="RowRequantizerAvx2"/>); returns n (it needs n ≥ 8).</summary>
    private static int RequantizeRowS32ToU8Avx2(ReadOnlySpan<int> acc, int multiplier, int shift, int zeroPoint, byte min, byte max, Span<byte> y)
    {
        int n = y.Length;
        RequantizeRunAvx2(new RowRequantizerAvx2(multiplier, shift, zeroPoint, min, max), ref MemoryMarshal.GetReference(acc[..n]), ref MemoryMarshal.GetReference(y), n);
        return n;
    }

    /// <summary>
    /// <c>y[i]</c> = the code of <c>acc[i]</c> for i &lt; n (n ≥ 8, both in bounds: the caller checks), 16 at a time when the
    /// requantizer folds (else 8); the last vector overlaps the one before it rather than leave a scalar tail (each output depends on its own input only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequantizeRunAvx2(in RowRequantizerAvx2 requantizer, ref int acc, ref byte y, int n)
    {
        if (requantizer.Folds && n >= 16)
        {
            int i = 0;
            for (; i <= n - 16; i += 16)
            {
                requantizer.Apply16(Vector256.LoadUnsafe(ref acc, (nuint)i), Vector256.LoadUnsafe(ref acc, (nuint)i + 8)).StoreUnsafe(ref y, (nuint)i);
            }

            // The last 1 to 15: one overlapping vector of 8 or of 16 (49 = 3 · 16 + 1 recomputes 7, not 15).
            if (i < n - 8)
            {
                requantizer.Apply16(Vector256.LoadUnsafe(ref acc, (nuint)(n - 16)), Vector256.LoadUnsafe(ref acc, (nuint)(n - 8))).StoreUnsafe(ref y, (nuint)(n - 16));
            }
            else if (i < n)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref y, n - 8), requantizer.Apply(Vector256.LoadUnsafe(ref acc, (nuint)(n - 8))));
            }

            return;
        }

        for (int i = 0; ; i = Math.Min(i + 8, n - 8))
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref y, i), requantizer.Apply(Vector256.LoadUnsafe(ref acc, (nuint)i)));
            if (i + 8 >= n)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Eight int32 lanes as codes clamped to [<paramref name="min"/>, <paramref name="max"/>], the bytes of a ulong (lane 0
    /// lowest): the saturating packs clamp to [0, 255], then a byte max and min, the same as clamping the int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PackClampU8(Vector256<int> q, Vector128<byte> min, Vector128<byte> max)
    {
        var words = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
        var codes = Sse2.PackUnsignedSaturate(words, words);
        return Sse2.Min(Sse2.Max(codes, min), max).AsUInt64().ToScalar();
    }

    /// <summary><see cref="PackClampU8(Vector256{int}, Vector128{byte}, Vector128{byte})"/> for sixteen lanes, <paramref name="low"/>'s first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> PackClampU8(Vector256<int> low, Vector256<int> high, Vector128<byte> min, Vector128<byte> max)
    {
        // vpackssdw packs within 128-bit lanes (low0..3 high0..3 | low4..7 high4..7); vpermq puts low's words first.
        var words = Avx2.Permute4x64(Avx2.PackSignedSaturate(low, high).AsInt64(), 0b11_01_10_00).AsInt16();
        var codes = Sse2.PackUnsignedSaturate(words.GetLower(), words.GetUpper());
        return Sse2.Min(Sse2.Max(codes, min), max);
    }

    /// <summary>
    /// <see cref="RequantizeRowS32ToU8"/> for eight (or sixteen) accumulators of one channel, in AVX2. For shifts of 32 or more
    /// (with |zeroPoint| ≤ 2^30) it works in 32-bit lanes after one 64-bit product:
    /// <c>⌊(acc · m + 2^(s−1)) / 2^s⌋ = ⌊⌊(acc · m + 2^(s−1)) / 2^32⌋ / 2^(s−32)⌋</c> (nested floors of divisions by positive
    /// integers), the inner one being the high int32 of the 64-bit sum and the outer one <c>vpsrad</c>. Exact:
    /// |acc · m + 2^(s−1)| &lt; 2^63 and the high half is below 2^30 in magnitude, so the sum and clamp stay in int32.
    /// <para>
    /// For s ≥ 33 (every convolution of the sample models) the rounding term 2^(s−1) is a multiple of 2^32, so it passes
    /// through the inner floor whole: the high int32 of acc · m alone, plus 2^(s−33). The zero point joins it as
    /// zy · 2^(s−32), a multiple of the outer divisor, so one constant <c>c = 2^(s−33) + zy · 2^(s−32)</c> (when
    /// |c| &lt; 2^30) replaces the two 64-bit rounding adds and the zero-point add: <c>q = (hi(acc · m) + c) &gt;&gt; (s − 32)</c>.
    /// The saturating packs then clamp to [0, 255] and a byte max and min to [min, max]: the same as clamping the int32.
    /// </para>
    /// Other shifts take the 64-bit lanes of <see cref="RequantizeS32ToU8Avx2"/>.
    /// </summary>
    private readonly struct RowRequantizerAvx2
    {
        private readonly bool _high;
        private readonly bool _folded;
        private readonly Vector256<int> _multiplier;
        private readonly Vector256<long> _rounding;
        private readonly Vector256<int> _offset;
        private readonly Vector128<int> _highShift;
        private readonly Vector256<ulong> _shift;
        private readonly Vector256<int> _zeroPoint;
        private readonly Vector256<int> _min;
        private readonly Vector256<int> _max;
        private readonly Vector128<byte> _minCode;
        private readonly Vector128<byte> _maxCode;
        private readonly Vector256<long> _zeroPoint64;
        private readonly Vector256<long> _min64;
        private readonly Vector256<long> _max64;

        public RowRequantizerAvx2(int multiplier, int shift, int zeroPoint, byte min, byte max)
        {
            _high = shift >= 32 && Math.Abs((long)zeroPoint) <= 1 << 30;
            long offset = _high && shift >= 33 ? (1L << (shift - 33)) + ((long)zeroPoint << (shift - 32)) : long.MaxValue;
            _folded = Math.Abs(offset) < 1 << 30;
            _multiplier = Vector256.Create(multiplier);
            _rounding = Vector256.Create(1L << (shift - 1));
            _offset = Vector256.Create(_folded ? (int)offset : 0);
            _highShift = Vector128.CreateScalar(shift - 32);
            _shift = Vector256.Create((ulong)shift);
            _zeroPoint = Vector256.Create(zeroPoint);
            _min = Vector256.Create((int)min);
            _max = Vector256.Create((int)max);
            _minCode = Vector128.Create(min);
            _maxCode = Vector128.Create(max);
            _zeroPoint64 = Vector256.Create((long)zeroPoint);
            _min64 = Vector256.Create((long)min);
            _max64 = Vector256.Create((long)max);
        }

        /// <summary>Whether <see cref="Apply16"/> may be used: the folded form (see the struct's summary).</summary>
        public bool Folds => _folded;

        /// <summary>The eight codes of <paramref name="a"/>, as the bytes of a ulong (lane 0 lowest).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Apply(Vector256<int> a)
        {
            if (_folded)
            {
                return PackClampU8(Folded(a), _minCode, _maxCode);
            }

            var even = Avx2.Multiply(a, _multiplier);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), _multiplier);
            if (_high)
            {
                even += _rounding;
                odd += _rounding;
                var high = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b1010_1010);
                var q = Avx2.ShiftRightArithmetic(high, _highShift) + _zeroPoint;
                q = Avx2.Min(Avx2.Max(q, _min), _max);
                var words = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
                return Sse2.PackUnsignedSaturate(words, words).AsUInt64().ToScalar();
            }

            var qEven = ClampS64(RoundingShiftRightS64(even, _shift) + _zeroPoint64, _min64, _max64);
            var qOdd = ClampS64(RoundingShiftRightS64(odd, _shift) + _zeroPoint64, _min64, _max64);
            var both = (qEven | Avx2.ShiftLeftLogical(qOdd, 32)).AsInt32();
            var narrow = Vector128.Narrow(both.GetLower(), both.GetUpper());
            return Vector128.Narrow(narrow, narrow).AsByte().AsUInt64().ToScalar();
        }

        /// <summary>The sixteen codes of <paramref name="a"/> then <paramref name="b"/>; needs <see cref="Folds"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> Apply16(Vector256<int> a, Vector256<int> b) => PackClampU8(Folded(a), Folded(b), _minCode, _maxCode);

        /// <summary><c>(hi(a · m) + c) &gt;&gt; (s − 32)</c>: the code before its clamp, in int32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vector256<int> Folded(Vector256<int> a)
        {
            var even = Avx2.Multiply(a, _multiplier);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), _multiplier);
            var high = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b1010_1010);
            return Avx2.ShiftRightArithmetic(high + _offset, _highShift);
        }
    }
}
