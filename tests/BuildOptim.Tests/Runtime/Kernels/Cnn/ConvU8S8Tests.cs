using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class ConvU8S8Tests
{
    /// <summary>
    /// The float kernels' geometries plus shapes that exercise the GEMM's blocking: several pixel blocks, partial 16-pixel
    /// panels (including the 8-wide tail tile), channel counts that are not multiples of the 6-row tile, 1×1 convolutions
    /// read in place (odd patch, ragged pixels), long stride-2 rows for the vector gather, and a patch so long that each
    /// pixel block holds a single panel.
    /// </summary>
    internal static readonly ConvGeometry[] Geometries =
    [
        .. ConvF32Tests.Geometries,
        Conv(64, 20, 20, 13, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(32, 7, 7, 19, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(16, 9, 23, 7, 1, 1),
        Conv(16, 8, 8, 12, 1, 1),
        Conv(9, 6, 30, 10, 1, 1),
        Conv(3, 40, 50, 8, 7, 7, strideH: 2, strideW: 2, padTop: 3, padLeft: 3, padBottom: 3, padRight: 3),
        Conv(5, 33, 70, 11, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(6, 30, 68, 8, 1, 1, strideH: 2, strideW: 2),
        Conv(12, 10, 37, 24, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 2),
        Conv(512, 7, 7, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // Explicit column matrices (outputs of at most 256 pixels whose wide rows would cost 10 % more): stride 2, and rows of
        // exactly 16 outputs (the others above: 7×7 and 12×12 outputs, groups, several blocks).
        Conv(5, 15, 15, 7, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(4, 8, 16, 6, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // Tiles requantized as they finish (dense pixels): a last tile of 9 to 15 pixels (5 × 5 = 16 + 9), and FashionCnn's
        // stride-2 layer (49 = 3 · 16 + 1, 64 channels in blocks of 6).
        Conv(8, 5, 5, 7, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(16, 14, 14, 64, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // Last tiles of two, three and four pixels (18, 35 and 36 outputs) with odd and even pair counts, and output rows of
        // at most 8 built by shuffles: a 5 × 5 kernel, dilation, and a stride-2 row too long for one 16-byte window.
        Conv(5, 3, 6, 7, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(2, 5, 7, 13, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(7, 6, 6, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(3, 7, 7, 6, 5, 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2),
        Conv(4, 8, 8, 6, 3, 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2),
        Conv(3, 16, 16, 5, 5, 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2),

        // Long patches over explicit column matrices: an odd patch of 2,295 taps, and 196 pixels in blocks of 48 with a
        // channel count that is not a multiple of 6.
        Conv(255, 9, 9, 7, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(300, 14, 14, 9, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // Direct depthwise: FashionCnn's layer, stride 2 (odd and even sizes), rows wider than one 16-output chunk, a 5 × 5
        // kernel (odd tap count), dilation, asymmetric pads, and a plane narrower than its chunk.
        Conv(16, 14, 14, 16, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 16),
        Conv(8, 15, 15, 8, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 8),
        Conv(8, 16, 34, 8, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 8),
        Conv(4, 9, 37, 4, 5, 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, group: 4),
        Conv(3, 11, 19, 3, 3, 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2, group: 3),
        Conv(5, 6, 9, 5, 3, 2, strideH: 2, padTop: 0, padLeft: 1, padBottom: 2, padRight: 0, group: 5),
        Conv(2, 3, 3, 2, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 2),

        // The 16-bit plane of 3 × 3 stride 1: rows of 37 outputs (three chunks, the last one of 5), no padding, asymmetric
        // pads (a wider left one, none at the top), and 16 outputs to the row, whose odd lanes read the plane's last column.
        Conv(4, 9, 37, 4, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 4),
        Conv(3, 6, 20, 3, 3, 3, group: 3),
        Conv(3, 7, 12, 3, 3, 3, padTop: 0, padLeft: 2, padBottom: 2, padRight: 1, group: 3),
        Conv(2, 5, 16, 2, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 2),

        // Small planes (at most 64 pixels in and out, at most 32 taps: one zmm per channel plane): MobileNetV3's 5 × 5 at
        // 4 × 4 (160 channels, ten blocks of 16) and stride 2 from 7 × 7, 49 outputs in four chunks with 17 channels (a
        // last block of one), an 8 × 8 plane with dilation, one pixel (fewer outputs than a requantized vector), an
        // asymmetric 4 × 8 kernel of exactly 32 taps with unequal strides and pads.
        Conv(160, 4, 4, 160, 5, 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, group: 160),
        Conv(19, 7, 7, 19, 5, 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, group: 19),
        Conv(17, 7, 7, 17, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 17),
        Conv(3, 8, 8, 3, 3, 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2, group: 3),
        Conv(5, 1, 1, 5, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 5),
        Conv(6, 6, 9, 6, 4, 8, strideW: 2, padTop: 1, padLeft: 3, padBottom: 2, padRight: 4, group: 6),

        // 1 × 1 convolutions of one pixel, run as a dense layer: squeeze-excitation's reduce and expand, and fewer
        // channels than a VNNI dot product's 16.
        Conv(160, 1, 1, 40, 1, 1),
        Conv(40, 1, 1, 160, 1, 1),
        Conv(8, 1, 1, 16, 1, 1),
    ];

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(201);
        foreach (var g in Geometries)
        {
            var c = RandomQuantizedConv(random, g);
            var prepacked = c.With(packedWeights: Kernels.PackConvU8S8Weights(c.W, g));
            var scalar = c.Run(SimdLevel.Scalar);
            AssertBytesEqual(scalar, c.Run(simd), $"{level} {g}");
            AssertBytesEqual(scalar, prepacked.Run(simd), $"{level} pre-packed {g}");
            var scalarF32 = c.RunToF32(SimdLevel.Scalar);
            AssertBitIdentical(scalarF32, c.RunToF32(simd), $"{level} to float {g}");
            AssertBitIdentical(scalarF32, prepacked.RunToF32(simd), $"{level} pre-packed to float {g}");

            // As PlanRunner runs it: pre-packed, with the layout prepared once for the geometry.
            var laidOut = prepacked.With(layout: Kernels.ConvGemmLayout.For(g));
            AssertBytesEqual(scalar, laidOut.Run(simd), $"{level} prepared layout {g}");
            AssertBytesEqual(scalar, laidOut.Run(SimdLevel.Scalar), $"scalar prepared layout {g}");
            AssertBitIdentical(scalarF32, laidOut.RunToF32(simd), $"{level} prepared layout to float {g}");
        }
    }

    [Fact]
    public void A_prepared_layout_serves_any_channel_slice_and_no_other_geometry()
    {
        var random = new Random(205);
        var g = Conv(16, 14, 14, 64, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1);
        var layout = Kernels.ConvGemmLayout.For(g)!;
        var slice = g with { M = 12 };
        var c = RandomQuantizedConv(random, slice);
        AssertBytesEqual(c.Run(SimdLevel.Scalar), c.With(layout: layout).Run(SimdLevel.Vector512), "channel slice");

        Assert.Null(Kernels.ConvGemmLayout.For(Conv(16, 14, 14, 16, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 16)));
        var other = RandomQuantizedConv(random, Conv(16, 14, 14, 64, 3, 3, strideH: 2, strideW: 2));
        other.Run(SimdLevel.Vector512);
        var error = Assert.Throws<ArgumentException>(() => other.With(layout: layout).Run(SimdLevel.Vector512));
        Assert.Contains("prepared layout", error.Message);
    }

    [Fact]
    public void Matches_exact_integer_reference_with_zero_point_padding()
    {
        var random = new Random(202);
        foreach (var g in Geometries)
        {
            var c = RandomQuantizedConv(random, g);
            var acc = ConvAccumulatorReference(c.X, g, c.InputZeroPoint, c.W, c.Bias);
            var expected = new byte[g.OutputLength];
            var expectedF32 = new float[g.OutputLength];
            int pixels = g.OH * g.OW;
            for (int i = 0; i < acc.Length; i++)
            {
                int m = i / pixels;
                long q = c.OutputZeroPoint + (((acc[i] * c.Multiplier[m]) + (1L << (c.Shift[m] - 1))) >> c.Shift[m]);
                expected[i] = (byte)Math.Clamp(q, c.ClampMin, c.ClampMax);
                expectedF32[i] = Math.Clamp((float)acc[i] * c.Scale[m], -3f, 3f);
            }

            AssertBytesEqual(expected, c.Run(SimdLevel.Vector512), $"{g}");
            AssertBitIdentical(expectedF32, c.RunToF32(SimdLevel.Vector512), $"to float {g}");
        }
    }

    /// <summary>
    /// Outputs leaving 1 to 4 pixels past whole 16-pixel panels: one the GEMV takes for all channels at once when the
    /// weights are small (and the column tiles when not: the 512-channel case), two to four the column tiles: 7 × 7 (49),
    /// FashionCnn's stride-2 layer, 5 × 4 (20), 3 × 6 (18: two), 5 × 7 (35: three), 6 × 6 (36: four), 14 × 14 (196:
    /// four), a 1 × 1 over 7 × 7 read in place, a stride-2 output of 7 × 7, one group of two, and a 17-pixel output.
    /// </summary>
    internal static readonly ConvGeometry[] TailGeometries =
    [
        Conv(32, 7, 7, 19, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(16, 14, 14, 64, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(3, 5, 4, 5, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(5, 3, 6, 7, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(2, 5, 7, 13, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(7, 6, 6, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(16, 14, 14, 16, 1, 1),
        Conv(24, 7, 7, 40, 1, 1),
        Conv(9, 13, 13, 11, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(12, 7, 7, 10, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 2),
        Conv(4, 1, 17, 5, 1, 3, padLeft: 1, padRight: 1),
        Conv(512, 7, 7, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
    ];

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Pixels_past_whole_panels_match_the_exact_reference_at_every_level(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(207);
        foreach (var g in TailGeometries)
        {
            var c = RandomQuantizedConv(random, g);
            var acc = ConvAccumulatorReference(c.X, g, c.InputZeroPoint, c.W, c.Bias);
            int pixels = g.OH * g.OW;
            var expected = new float[acc.Length];
            for (int i = 0; i < acc.Length; i++)
            {
                expected[i] = (float)acc[i] * c.Scale[i / pixels];
            }

            var prepared = c.With(packedWeights: Kernels.PackConvU8S8Weights(c.W, g), layout: Kernels.ConvGemmLayout.For(g));
            AssertBitIdentical(expected, c.RunToF32(simd, float.NegativeInfinity, float.PositiveInfinity), $"{level} {g}");
            AssertBitIdentical(expected, prepared.RunToF32(simd, float.NegativeInfinity, float.PositiveInfinity), $"{level} prepared {g}");
            AssertBytesEqual(c.Run(SimdLevel.Scalar), prepared.Run(simd), $"{level} codes {g}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Extreme_codes_and_weights_stay_exact(string level)
    {
        var simd = SimdLevels.Parse(level);
        foreach (var g in Geometries)
        {
            foreach (byte code in new byte[] { 0, 255 })
            {
                foreach (byte zeroPoint in new byte[] { 0, 255 })
                {
                    foreach (sbyte weight in new sbyte[] { -128, 127 })
                    {
                        var c = new QuantizedConv(g)
                        {
                            X = Enumerable.Repeat(code, g.InputLength).ToArray(),
                            InputZeroPoint = zeroPoint,
                            W = Enumerable.Repeat(weight, g.M * g.PatchLength).ToArray(),
                            Bias = Enumerable.Repeat(-1_000_000, g.M).ToArray(),
                            Multiplier = Enumerable.Repeat(1 << 30, g.M).ToArray(),
                            Shift = Enumerable.Repeat(40, g.M).ToArray(),
                            Scale = Enumerable.Repeat(1f, g.M).ToArray(),
                        };
                        var acc = ConvAccumulatorReference(c.X, g, zeroPoint, c.W, c.Bias);
                        var accF32 = Array.ConvertAll(acc, a => (float)a);
                        AssertBitIdentical(accF32, c.RunToF32(simd, float.NegativeInfinity, float.PositiveInfinity), $"{level} code {code} zp {zeroPoint} w {weight} {g}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Stays_within_one_code_of_the_real_valued_convolution()
    {
        // Quantize a float convolution as the compiler does (asymmetric uint8 activations, symmetric per-channel int8
        // weights, bias folded with −Zx·ΣQ) and compare with the real-valued result on the dequantized input and weights.
        var random = new Random(203);
        foreach (bool relu in new[] { false, true })
        {
            foreach (var g in ConvF32Tests.Geometries)
            {
                var xReal = RandomFloats(random, g.InputLength, -1, 3);
                var wReal = RandomFloats(random, g.M * g.PatchLength, -0.5f, 0.5f);
                var bReal = RandomFloats(random, g.M, -0.2f, 0.2f);
                var (sx, zx) = QuantParamsFor(xReal.Min(), xReal.Max());
                var qx = Quantize(xReal, sx, zx);
                int patch = g.PatchLength;
                var sw = new float[g.M];
                var qw = new sbyte[wReal.Length];
                var bias = new int[g.M];
                for (int m = 0; m < g.M; m++)
                {
                    var row = wReal.AsSpan(m * patch, patch);
                    float maxAbs = 0;
                    foreach (float v in row)
                    {
                        maxAbs = Math.Max(maxAbs, Math.Abs(v));
                    }

                    sw[m] = maxAbs > 0 ? maxAbs / 127 : 1;
                    int sumQ = 0;
                    for (int k = 0; k < patch; k++)
                    {
                        qw[(m * patch) + k] = (sbyte)Math.Clamp(Math.Round(row[k] / sw[m], MidpointRounding.ToEven), -127, 127);
                        sumQ += qw[(m * patch) + k];
                    }

                    bias[m] = (int)Math.Round(bReal[m] / ((double)sx * sw[m]), MidpointRounding.ToEven) - (zx * sumQ);
                }

                // The real-valued convolution of the dequantized operands; real zero padding is code Zx.
                var xHat = Array.ConvertAll(qx, q => (float)(sx * (q - zx)));
                var wHat = new float[qw.Length];
                for (int i = 0; i < qw.Length; i++)
                {
                    wHat[i] = sw[i / patch] * qw[i];
                }

                var (real, _) = ConvReference(xHat, g, wHat, bReal);
                if (relu)
                {
                    real = real.Select(v => Math.Max(v, 0)).ToArray();
                }

                var (sy, zy) = QuantParamsFor(real.Min(), real.Max());
                var multiplier = new int[g.M];
                var shift = new int[g.M];
                for (int m = 0; m < g.M; m++)
                {
                    (multiplier[m], shift[m]) = FixedPoint.QuantizeMultiplier((double)sx * sw[m] / sy);
                }

                var y = new byte[g.OutputLength];
                Kernels.ConvU8S8(qx, g, (byte)zx, qw, bias, multiplier, shift, zy, relu ? (byte)zy : (byte)0, 255, new byte[Kernels.ConvU8S8ScratchLength(g)], new int[Kernels.ConvU8S8AccumulatorLength(g)], y);
                var expected = Array.ConvertAll(real, v => Quantize(v, sy, zy));
                AssertWithinCodes(expected, y, 1, $"relu {relu} {g}");

                var yF32 = new float[g.OutputLength];
                var scale = Enumerable.Range(0, g.M).Select(m => sx * sw[m]).ToArray();
                Kernels.ConvU8S8ToF32(qx, g, (byte)zx, qw, bias, scale, relu ? 0 : float.NegativeInfinity, float.PositiveInfinity, new byte[Kernels.ConvU8S8ScratchLength(g)], new int[Kernels.ConvU8S8AccumulatorLength(g)], yF32);

                // Only the bias rounding (half a unit of Sx·Sw[m]) and float rounding separate the two.
                int pixels = g.OH * g.OW;
                var tolerance = Enumerable.Range(0, g.OutputLength).Select(i => (0.51 * scale[i / pixels]) + (1e-6 * Math.Abs(real[i]))).ToArray();
                AssertClose(real, yF32, tolerance, 1, 0, $"to float, relu {relu} {g}");
            }
        }
    }

    [Fact]
    public void Scratch_lengths_cover_one_pixel_block_and_one_group_of_weights()
    {
        // P = 2·3·3 = 18 (9 pairs), 3 channels per group (one block of 6). The padded image is 14 × 14 per channel (Wq = 14
        // wide pixels per output row), 2 · 196 bytes plus the reads of the 11 panels of 168 wide pixels (11 · 16) and 32 bytes
        // of slack. 168 wide pixels cost 10.5 tiles, the 144 real ones 9: the panels are packed from an explicit column matrix
        // (18 rows of 144 codes and 16 of slack), in one block of 144 pixels, each with 9 pairs of packed columns, 6
        // accumulators and one output code.
        var g = Conv(6, 12, 12, 9, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 3);
        int image = (2 * 14 * 14) + (11 * 16) + 32;
        Assert.Equal((((4 * (9 + 6)) + 1) * 144) + image + (4 * 18) + (4 * 9 * 6) + ((18 * 144) + 16) + 64, Kernels.ConvU8S8ScratchLength(g));
        Assert.Equal(0, Kernels.ConvU8S8AccumulatorLength(g));
        Assert.Equal(3 * 9 * 6, Kernels.ConvU8S8PackedWeightsLength(g));

        // With weights pre-packed there is no room for packing one group's: exactly that much scratch runs, a byte less is refused.
        int packedLength = Kernels.ConvU8S8ScratchLength(g, packedWeights: true);
        Assert.Equal(Kernels.ConvU8S8ScratchLength(g) - (4 * 9 * 6), packedLength);
        var c = RandomQuantizedConv(new Random(204), g);
        var prepacked = c.With(packedWeights: Kernels.PackConvU8S8Weights(c.W, g));
        AssertBytesEqual(c.Run(SimdLevel.Scalar), prepacked.With(scratch: new byte[packedLength]).Run(SimdLevel.Vector512), "pre-packed, exact scratch");
        Assert.Throws<ArgumentException>(() => prepacked.With(scratch: new byte[packedLength - 1]).Run(SimdLevel.Vector512));
        // Depthwise 3 × 3 stride 1: one padded plane of max(H, OH + 2) = 7 rows by max(W, 16 + 2 + 1) = 19 columns (one
        // 16-output chunk of the rightmost tap, the odd outputs' one more) and the 32 bytes a row written whole may reach
        // past the last one; its 16-bit copy and the 16 values widening writes past it, or, more here, the two 16-bit planes
        // of the row-pair path (7 rows and one more of 16 values each); and one channel's accumulators plus a chunk of slack.
        // Stride 2 has no 16-bit copy and no extra column.
        var depthwise = Conv(8, 7, 7, 8, 3, 3, group: 8);
        Assert.Equal((7 * 19) + 32 + Math.Max(2 * ((7 * 19) + 16), 2 * 2 * (7 + 1) * 16), Kernels.ConvU8S8ScratchLength(depthwise));
        Assert.Equal((7 * 34) + 32, Kernels.ConvU8S8ScratchLength(Conv(8, 7, 7, 8, 3, 3, strideH: 2, strideW: 2, group: 8)));
        Assert.Equal((12 * 18) + 16, Kernels.ConvU8S8AccumulatorLength(Conv(8, 14, 20, 8, 3, 3, group: 8)));

        // Narrow 3 × 3 planes (rows of at most 16 codes, at most 14 outputs): every channel's accumulators, requantized as one block.
        Assert.Equal(8 * ((12 * 5) + 16), Kernels.ConvU8S8AccumulatorLength(Conv(8, 14, 7, 8, 3, 3, group: 8)));

        // Planes of at most 64 pixels: sixteen channels' accumulators, each a whole number of 16-output chunks.
        Assert.Equal(16 * 2 * 16, Kernels.ConvU8S8AccumulatorLength(depthwise));
        Assert.Equal(0, Kernels.ConvU8S8PackedWeightsLength(depthwise));
    }

    [Fact]
    public void Mismatched_lengths_and_bad_parameters_are_rejected()
    {
        var g = Conv(3, 9, 11, 8, 3, 3);
        var c = RandomQuantizedConv(new Random(204), g);
        Assert.Throws<ArgumentException>(() => c.With(x: new byte[g.InputLength + 1]).Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => c.With(bias: new int[7]).Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => c.With(multiplier: new int[7]).Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => c.With(scratch: new byte[Kernels.ConvU8S8ScratchLength(g) - 1]).Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => c.With(packedWeights: new int[Kernels.ConvU8S8PackedWeightsLength(g) - 1]).Run(SimdLevel.Scalar));
        var depthwise = Conv(4, 9, 11, 4, 3, 3, group: 4);
        var d = RandomQuantizedConv(new Random(205), depthwise);
        Assert.Throws<ArgumentException>(() => d.With(accScratch: new int[Kernels.ConvU8S8AccumulatorLength(depthwise) - 1]).Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentOutOfRangeException>(() => c.With(shift: Enumerable.Repeat(0, 8).ToArray()).Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => c.With(clamp: (10, 9)).Run(SimdLevel.Scalar));
    }

    internal static QuantizedConv RandomQuantizedConv(Random random, ConvGeometry g)
    {
        var c = new QuantizedConv(g)
        {
            X = RandomBytes(random, g.InputLength),
            InputZeroPoint = (byte)random.Next(256),
            W = RandomSBytes(random, g.M * g.PatchLength),
            Bias = RandomInts(random, g.M, -50_000, 50_000),
            Multiplier = new int[g.M],
            Shift = new int[g.M],
            OutputZeroPoint = random.Next(256),
            ClampMin = (byte)random.Next(0, 40),
            ClampMax = (byte)random.Next(215, 256),
            Scale = RandomFloats(random, g.M, 1e-5f, 1e-3f),
        };

        for (int m = 0; m < g.M; m++)
        {
            // Chosen so a typical accumulator spans a good part of the code range (every path is exercised off the clamp).
            (c.Multiplier[m], c.Shift[m]) = FixedPoint.QuantizeMultiplier(LogUniform(random, 0.5, 4) / (128.0 * Math.Sqrt(g.PatchLength)));
        }

        return c;
    }

    /// <summary>One quantized convolution's operands, run through the kernels with fresh scratch.</summary>
    internal sealed class QuantizedConv(ConvGeometry g)
    {
        public ConvGeometry G { get; } = g;

        public byte[] X { get; init; } = [];

        public byte InputZeroPoint { get; init; }

        public sbyte[] W { get; init; } = [];

        public int[] Bias { get; init; } = [];

        public int[] Multiplier { get; init; } = [];

        public int[] Shift { get; init; } = [];

        public int OutputZeroPoint { get; init; }

        public byte ClampMin { get; init; }

        public byte ClampMax { get; init; } = 255;

        public float[] Scale { get; init; } = [];

        public byte[]? Scratch { get; init; }

        public int[]? AccScratch { get; init; }

        public int[]? PackedWeights { get; init; }

        public Kernels.ConvGemmLayout? Layout { get; init; }

        /// <summary>A 7-bit convolution (ConvGemmU8S7.cs): 7-bit weights, input codes halved.</summary>
        public bool SevenBit { get; init; }

        public QuantizedConv With(byte[]? x = null, int[]? bias = null, int[]? multiplier = null, int[]? shift = null, byte[]? scratch = null, int[]? accScratch = null, (byte Min, byte Max)? clamp = null, int[]? packedWeights = null, Kernels.ConvGemmLayout? layout = null)
            => new(G)
            {
                X = x ?? X,
                InputZeroPoint = InputZeroPoint,
                W = W,
                Bias = bias ?? Bias,
                Multiplier = multiplier ?? Multiplier,
                Shift = shift ?? Shift,
                OutputZeroPoint = OutputZeroPoint,
                ClampMin = clamp?.Min ?? ClampMin,
                ClampMax = clamp?.Max ?? ClampMax,
                Scale = Scale,
                Scratch = scratch ?? Scratch,
                AccScratch = accScratch ?? AccScratch,
                PackedWeights = packedWeights ?? PackedWeights,
                Layout = layout ?? Layout,
                SevenBit = SevenBit,
            };

        public byte[] Run(SimdLevel level)
        {
            var y = new byte[G.OutputLength];
            Kernels.ConvU8S8(X, G, InputZeroPoint, W, PackedWeights, Bias, Multiplier, Shift, OutputZeroPoint, ClampMin, ClampMax, Scratch ?? new byte[Kernels.ConvU8S8ScratchLength(G)], AccScratch ?? new int[Kernels.ConvU8S8AccumulatorLength(G)], y, level, Layout, SevenBit);
            return y;
        }

        public float[] RunToF32(SimdLevel level, float clampMin = -3f, float clampMax = 3f)
        {
            var y = new float[G.OutputLength];
            Kernels.ConvU8S8ToF32(X, G, InputZeroPoint, W, PackedWeights, Bias, Scale, clampMin, clampMax, Scratch ?? new byte[Kernels.ConvU8S8ScratchLength(G)], AccScratch ?? new int[Kernels.ConvU8S8AccumulatorLength(G)], y, level, Layout, SevenBit);
            return y;
        }
    }
}
