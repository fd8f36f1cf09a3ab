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
    internal static int ConvU8S8ScratchLength(in ConvGeometry g) => ConvU8S8ScratchLength(g, packedWeights: false);

    /// <summary>
    /// <see cref="ConvU8S8ScratchLength(in ConvGeometry)"/> for calls that pass weights pre-packed by <see cref="PackConvU8S8Weights"/>
    /// (<paramref name="packedWeights"/>): no room for packing them per call (ResNet-18's 512-channel layers: 4.7 MB less).
    /// </summary>
    internal static int ConvU8S8ScratchLength(in ConvGeometry g, bool packedWeights)
        => g.IsDepthwise ? ConvDepthwiseU8S8ScratchLength(g) : ConvGemmU8S8ScratchLength(g, packedWeights);

    /// <summary>
    /// Ints of accumulator scratch the u8 × s8 convolutions need: one depthwise channel's outputs and 16 of slack,
    /// <c>OH · OW + 16</c>, or more for the paths that keep several channels (a block of channels for small planes,
    /// ConvDepthwiseU8S8Small.cs; every channel for narrow 3 × 3 planes, ConvDepthwiseU8S8RowPairs.cs); M for a 1 × 1
    /// convolution of one pixel (<see cref="IsSinglePixelPointwise"/>); 0 otherwise.
    /// </summary>
    internal static int ConvU8S8AccumulatorLength(in ConvGeometry g)
        => IsSinglePixelPointwise(g) ? g.M : !g.IsDepthwise ? 0
            : Math.Max((g.OH * g.OW) + DepthwiseChunk, Math.Max(IsSmallDepthwise(g) ? SmallDepthwiseAccumulatorLength(g) : 0, IsRowPairDepthwise(g) ? RowPairAccumulatorLength(g) : 0));

    /// <summary>Whether <paramref name="g"/> is a one-group, unpadded 1 × 1 convolution of a single pixel: a dense layer over the channels.</summary>
    private static bool IsSinglePixelPointwise(in ConvGeometry g)
        => g.Group == 1 && g.KH == 1 && g.KW == 1 && g.H == 1 && g.W == 1 && g.OH == 1 && g.OW == 1 && g.PadTop == 0 && g.PadLeft == 0;

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
    internal static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y)
        => ConvU8S8(x, g, inputZeroPoint, weights, default, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary>
    /// <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>
    /// with the weights also given pre-packed by <see cref="PackConvU8S8Weights"/> (empty: pack per call).
    /// </summary>
    internal static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y)
        => ConvU8S8(x, g, inputZeroPoint, weights, packedWeights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary><see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel)
        => ConvU8S8(x, g, inputZeroPoint, weights, default, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, maxLevel);

    /// <summary>
    /// The pre-packed overload taking no path wider than <paramref name="maxLevel"/>. With <paramref name="sevenBit"/> (a
    /// 7-bit convolution, ConvGemmU8S7.cs; not depthwise), the weights are 7-bit codes, pre-packed by
    /// <see cref="PackConvU8S7Weights"/> if at all, and <c>acc = bias + 4 · Σ w · (x &gt;&gt; 1)</c> (padding halved alike).
    /// </summary>
    internal static void ConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel, ConvGemmLayout? layout = null, bool sevenBit = false)
    {
        ValidateConvU8S8(x, g, weights, packedWeights, bias, scratch, accScratch, y.Length, layout, sevenBit);
        ValidateConvRequantization(g, multiplier, shift, clampMin, clampMax);
        ConvU8S8Core(x, g, inputZeroPoint, weights, packedWeights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, maxLevel, layout, sevenBit);
    }

    /// <summary>The pre-packed overload with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void ConvU8S8Core(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel, ConvGemmLayout? layout, bool sevenBit = false)
    {
        if (!sevenBit && IsSinglePixelPointwise(g) && maxLevel >= SimdLevel.Vector256)
        {
            // A 1 × 1 convolution of one pixel (squeeze-excitation's layers) is a dense layer: the matrix-vector product of
            // the dense kernels, then one requantization pass over the channels. The same sums, so the same codes.
            var acc = accScratch[..g.M];
            GemvU8S8S32(x, weights, bias, acc, maxLevel);
            RequantizeS32ToU8Core(acc, multiplier, shift, outputZeroPoint, clampMin, clampMax, y, maxLevel);
            return;
        }

        var output = new RequantizeConvOutput(multiplier, shift, outputZeroPoint, clampMin, clampMax, y, g.OH * g.OW);
        ConvU8S8Groups(x, g, inputZeroPoint, weights, packedWeights, bias, scratch, accScratch, layout, ref output, maxLevel, sevenBit);
    }

    /// <summary>
    /// <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>'s
    /// accumulator written as floats, for a convolution whose consumers run in float:
    /// <c>y[m, oh, ow] = clamp((float)acc[m, oh, ow] · scale[m], clampMin, clampMax)</c> with <c>scale[m] = Sx · Sw[m]</c>.
    /// </summary>
    internal static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y)
        => ConvU8S8ToF32(x, g, inputZeroPoint, weights, default, bias, scale, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary>
    /// <see cref="ConvU8S8ToF32(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, float, float, Span{byte}, Span{int}, Span{float})"/>
    /// with the weights also given pre-packed by <see cref="PackConvU8S8Weights"/> (empty: pack per call).
    /// </summary>
    internal static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y)
        => ConvU8S8ToF32(x, g, inputZeroPoint, weights, packedWeights, bias, scale, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary><see cref="ConvU8S8ToF32(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, float, float, Span{byte}, Span{int}, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y, SimdLevel maxLevel)
        => ConvU8S8ToF32(x, g, inputZeroPoint, weights, default, bias, scale, clampMin, clampMax, scratch, accScratch, y, maxLevel);

    /// <summary>The pre-packed float-output overload taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y, SimdLevel maxLevel, ConvGemmLayout? layout = null, bool sevenBit = false)
    {
        ValidateConvU8S8(x, g, weights, packedWeights, bias, scratch, accScratch, y.Length, layout, sevenBit);
        if (scale.Length != g.M)
        {
            ThrowShape($"Conv {g} needs {g.M} scales; got {scale.Length}.");
        }

        if (!(clampMin <= clampMax))
        {
            ThrowEmptyClampRange();
        }

        ConvU8S8ToF32Core(x, g, inputZeroPoint, weights, packedWeights, bias, scale, clampMin, clampMax, scratch, accScratch, y, maxLevel, layout, sevenBit);
    }

    /// <summary>The pre-packed float-output overload with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void ConvU8S8ToF32Core(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y, SimdLevel maxLevel, ConvGemmLayout? layout, bool sevenBit = false)
    {
        var output = new ScaleConvOutput(scale, clampMin, clampMax, y, g.OH * g.OW);
        ConvU8S8Groups(x, g, inputZeroPoint, weights, packedWeights, bias, scratch, accScratch, layout, ref output, maxLevel, sevenBit);
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
    private static void ValidateConvU8S8(ReadOnlySpan<byte> x, in ConvGeometry g, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, int outputLength, ConvGemmLayout? layout, bool sevenBit = false)
    {
        ValidateConvGeometry(g);
        if (sevenBit && (g.IsDepthwise || !AreSevenBitWeights(weights)))
        {
            ThrowShape($"Conv {g}: a 7-bit convolution is not depthwise and its weights lie in [{SevenBitWeightMin}, {SevenBitWeightMax}].");
        }

        if (layout is not null && !layout.Fits(g))
        {
            ThrowShape($"Conv {g} was given the prepared layout of another geometry.");
        }

        if (x.Length != g.InputLength || weights.Length != g.M * g.PatchLength || bias.Length != g.M || outputLength != g.OutputLength)
        {
            ThrowShape($"Conv {g} got input {x.Length}, weights {weights.Length}, bias {bias.Length}, output {outputLength}.");
        }

        int packedLength = sevenBit ? ConvU8S7PackedWeightsLength(g) : ConvU8S8PackedWeightsLength(g);
        if (!packedWeights.IsEmpty && packedWeights.Length != packedLength)
        {
            ThrowShape($"Conv {g} needs {packedLength} packed weights; got {packedWeights.Length}.");
        }

        int scratchLength = layout is not null && !packedWeights.IsEmpty ? layout.PackedScratchLength : ConvU8S8ScratchLength(g, !packedWeights.IsEmpty);
        if (scratch.Length < scratchLength || accScratch.Length < ConvU8S8AccumulatorLength(g))
        {
            ThrowShape($"Conv {g} needs {scratchLength} bytes and {ConvU8S8AccumulatorLength(g)} ints of scratch; got {scratch.Length} and {accScratch.Length}.");
        }
    }

    /// <summary>Every group's accumulators, handed to <paramref name="output"/> row segment by row segment.</summary>
    private static void ConvU8S8Groups<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, ConvGemmLayout? layout, ref TOutput output, SimdLevel level, bool sevenBit = false)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        if (g.IsDepthwise)
        {
            ConvDepthwiseU8S8(x, g, zeroPoint, weights, bias, scratch, accScratch, layout, ref output, level);
            return;
        }

        int groupOutputs = g.GroupOutputChannels;
        int groupInput = g.GroupInputChannels * g.H * g.W;
        int groupWeights = groupOutputs * g.PatchLength;
        int groupPacked = sevenBit ? ConvGemmU8S7GroupWeightsLength(g) : ConvGemmU8S8GroupWeightsLength(g);
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
                level,
                sevenBit);
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

            int denseEnd = wq == ow ? p0 + count : DenseRange(p0, count, wq, ow).End;
            if (rows < 1 || (long)(rows - 1) * stride + count > blockAcc.Length || (long)(m + rows) * pixels > _y.Length
                || m + rows > _multiplier.Length || denseEnd > pixels || (wq != ow && codes.Length < count))
            {
                ThrowShape("A convolution row block lies outside its output.");
            }

            ref int acc = ref MemoryMarshal.GetReference(blockAcc);
            ref byte row = ref MemoryMarshal.GetReference(codes);
            bool wide512 = level >= SimdLevel.Vector512 && Avx512BW.IsSupported && count >= 16;
            var min512 = Vector512.Create((int)min);
            var max512 = Vector512.Create((int)max);
            for (int r = 0; r < rows; r++)
            {
                ref int a = ref Unsafe.Add(ref acc, r * stride);
                ref byte channel = ref MemoryMarshal.GetReference(_y.Slice((m + r) * pixels, pixels));

                // Dense: codes go to y from p0 on. Wide: into the codes row, then the valid runs out. The clamp's vectors are
                // the block's; a row broadcasts its multiplier and folded offset only.
                ref byte destination = ref wq == ow ? ref Unsafe.Add(ref channel, p0) : ref row;
                int shift = _shift[m + r];
                if (wide512 && RowRequantizerAvx512.TryFold(shift, zeroPoint, out int offset))
                {
                    RequantizeRunAvx512(Vector512.Create(_multiplier[m + r]), Vector512.Create(offset), Vector128.CreateScalar(shift - 32), min512, max512, ref a, ref destination, count);
                }
                else
                {
                    RequantizeRunAvx2(new RowRequantizerAvx2(_multiplier[m + r], _shift[m + r], zeroPoint, min, max), ref a, ref destination, count);
                }

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
}
