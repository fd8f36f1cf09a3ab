using System.Runtime.Intrinsics.X86;
using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.ConvU8S8Tests;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary>The 7-bit convolution tiles (ConvGemmU8S7.cs): <c>acc = bias + 4 · Σ w · (x &gt;&gt; 1)</c> over 7-bit weights.</summary>
public class ConvU8S7Tests
{
    /// <summary>The non-depthwise geometries of the 8-bit tests (tails, padding, strides, groups, dense columns, long patches), and patches of 1 to 9 taps (quads and their even padding).</summary>
    private static readonly ConvGeometry[] Geometries =
    [
        .. ConvU8S8Tests.Geometries.Where(g => !g.IsDepthwise),
        Conv(1, 9, 11, 7, 1, 1),
        Conv(2, 9, 11, 7, 1, 1),
        Conv(3, 8, 8, 13, 1, 1),
        Conv(5, 8, 10, 6, 1, 1, strideH: 2, strideW: 2),
        Conv(1, 10, 12, 5, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(64, 14, 14, 64, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // 7 × 7 outputs whose last pixel the GEMV takes (ConvGemmU8S8GemvTail.cs): a 1 × 1 reading x in place, a padded 3 × 3.
        Conv(40, 7, 7, 24, 1, 1),
        Conv(36, 7, 7, 10, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
    ];

    private static QuantizedConv SevenBitConv(Random random, ConvGeometry g)
    {
        var c = RandomQuantizedConv(random, g);
        var w = new sbyte[c.W.Length];
        for (int i = 0; i < w.Length; i++)
        {
            // The extremes often, so the int16 pair sums reach their bounds.
            int pick = random.Next(8);
            w[i] = (sbyte)(pick == 0 ? Kernels.SevenBitWeightMin : pick == 1 ? Kernels.SevenBitWeightMax : random.Next(Kernels.SevenBitWeightMin, Kernels.SevenBitWeightMax + 1));
        }

        var x = c.X.Select(v => v % 5 == 0 ? (byte)255 : v).ToArray();
        return new QuantizedConv(g)
        {
            X = x,
            InputZeroPoint = c.InputZeroPoint,
            W = w,
            Bias = c.Bias,
            Multiplier = c.Multiplier,
            Shift = c.Shift.Select(s => Math.Min(s + 1, 62)).ToArray(),
            OutputZeroPoint = c.OutputZeroPoint,
            ClampMin = c.ClampMin,
            ClampMax = c.ClampMax,
            Scale = c.Scale,
            SevenBit = true,
        };
    }

    [Fact]
    public void Matches_exact_integer_reference_of_halved_codes()
    {
        var random = new Random(301);
        foreach (var g in Geometries)
        {
            var c = SevenBitConv(random, g);
            var halved = c.X.Select(v => (byte)(v >> 1)).ToArray();
            var sums = ConvAccumulatorReference(halved, g, (byte)(c.InputZeroPoint >> 1), c.W, new int[g.M]);
            var expected = new byte[g.OutputLength];
            var expectedF32 = new float[g.OutputLength];
            int pixels = g.OH * g.OW;
            for (int i = 0; i < sums.Length; i++)
            {
                int m = i / pixels;
                long acc = c.Bias[m] + (4 * sums[i]);
                long q = c.OutputZeroPoint + (((acc * c.Multiplier[m]) + (1L << (c.Shift[m] - 1))) >> c.Shift[m]);
                expected[i] = (byte)Math.Clamp(q, c.ClampMin, c.ClampMax);
                expectedF32[i] = Math.Clamp((float)acc * c.Scale[m], -3f, 3f);
            }

            AssertBytesEqual(expected, c.Run(SimdLevel.Scalar), $"scalar {g}");
            AssertBytesEqual(expected, c.Run(SimdLevel.Vector512), $"{g}");
            AssertBitIdentical(expectedF32, c.RunToF32(SimdLevel.Vector512), $"to float {g}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(302);
        foreach (var g in Geometries)
        {
            var c = SevenBitConv(random, g);
            var prepacked = c.With(packedWeights: Kernels.PackConvU8S7Weights(c.W, g));
            var scalar = c.Run(SimdLevel.Scalar);
            AssertBytesEqual(scalar, c.Run(simd), $"{level} {g}");
            AssertBytesEqual(scalar, prepacked.Run(simd), $"{level} pre-packed {g}");
            var laidOut = prepacked.With(layout: Kernels.ConvGemmLayout.For(g));
            AssertBytesEqual(scalar, laidOut.Run(simd), $"{level} prepared layout {g}");
            AssertBitIdentical(c.RunToF32(SimdLevel.Scalar), laidOut.RunToF32(simd), $"{level} to float {g}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Extreme_codes_and_weights_stay_exact(string level)
    {
        var simd = SimdLevels.Parse(level);
        foreach (var g in Geometries)
        {
            foreach (byte code in new byte[] { 0, 254, 255 })
            {
                foreach (sbyte weight in new sbyte[] { Kernels.SevenBitWeightMin, Kernels.SevenBitWeightMax })
                {
                    var c = new QuantizedConv(g)
                    {
                        X = Enumerable.Repeat(code, g.InputLength).ToArray(),
                        InputZeroPoint = code,
                        W = Enumerable.Repeat(weight, g.M * g.PatchLength).ToArray(),
                        Bias = Enumerable.Repeat(-1_000_000, g.M).ToArray(),
                        Multiplier = Enumerable.Repeat(1 << 30, g.M).ToArray(),
                        Shift = Enumerable.Repeat(40, g.M).ToArray(),
                        OutputZeroPoint = 128,
                        ClampMax = 255,
                        Scale = Enumerable.Repeat(1e-6f, g.M).ToArray(),
                        SevenBit = true,
                    };

                    // Every tap, padding included, reads code >> 1 against −64 or 63: the sum is exactly 4 · 127 · w · P − 1,000,000.
                    var f = c.RunToF32(simd, -1e9f, 1e9f);
                    long expected = -1_000_000 + (4L * (code >> 1) * weight * g.PatchLength);
                    Assert.All(f, v => Assert.Equal((float)expected * 1e-6f, v));
                    AssertBytesEqual(c.Run(SimdLevel.Scalar), c.Run(simd), $"{level} {g} code {code} weight {weight}");
                }
            }
        }
    }

    [Fact]
    public void The_mix_and_vpdpbusd_tiles_agree()
    {
        if (!Avx2.IsSupported)
        {
            return;
        }

        var random = new Random(303);
        foreach (int quads in new[] { 2, 4, 38 })
        {
            var panel = new int[quads * 16];
            var weights = new int[quads * 6];
            for (int i = 0; i < panel.Length; i++)
            {
                panel[i] = random.Next(4) == 0 ? 0x7F7F7F7F : random.Next() & 0x7F7F7F7F;
            }

            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = random.Next(4) == 0 ? unchecked((int)0xC0C0C0C0) : random.Next(3) == 0 ? 0x3F3F3F3F : (random.Next() & 0x7F7F7F7F) - 0x40404040;
            }

            var bias = new[] { 1, -2, 3, int.MaxValue, -5, 6 };
            var mix = new int[6 * 16];
            Kernels.GemmTileU8S7x16(ref panel[0], ref weights[0], bias, quads, ref mix[0], 16, vnni: false);
            for (int r = 0; r < 6; r++)
            {
                for (int t = 0; t < 16; t++)
                {
                    int sum = 0;
                    for (int j = 0; j < quads; j++)
                    {
                        for (int b = 0; b < 4; b++)
                        {
                            sum += (byte)(panel[(j * 16) + t] >> (8 * b)) * (sbyte)(weights[(j * 6) + r] >> (8 * b));
                        }
                    }

                    Assert.Equal(unchecked(bias[r] + (sum * 4)), mix[(r * 16) + t]);
                }
            }

            if (AvxVnni.IsSupported)
            {
                var vnni = new int[6 * 16];
                Kernels.GemmTileU8S7x16(ref panel[0], ref weights[0], bias, quads, ref vnni[0], 16, vnni: true);
                Assert.Equal(mix, vnni);
            }
        }
    }

    [Fact]
    public void Eight_bit_weights_and_depthwise_geometries_are_rejected()
    {
        var g = Conv(3, 9, 11, 8, 3, 3);
        var c = SevenBitConv(new Random(304), g);
        var w = c.W.ToArray();
        w[5] = -65;
        var wide = new QuantizedConv(g) { X = c.X, W = w, Bias = c.Bias, Multiplier = c.Multiplier, Shift = c.Shift, Scale = c.Scale, SevenBit = true };
        Assert.Throws<ArgumentException>(() => wide.Run(SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => Kernels.PackConvU8S7Weights(w, g));
        Assert.Throws<ArgumentException>(() => c.With(packedWeights: Kernels.PackConvU8S8Weights(c.W, g)).Run(SimdLevel.Vector512));
        var depthwise = Conv(4, 9, 11, 4, 3, 3, group: 4);
        var d = SevenBitConv(new Random(305), depthwise);
        Assert.Throws<ArgumentException>(() => d.Run(SimdLevel.Scalar));
    }

    [Fact]
    public void Pooled_seven_bit_convolution_equals_convolution_then_pool()
    {
        var g = Conv(8, 12, 14, 10, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1);
        var c = SevenBitConv(new Random(306), g);
        var full = c.Run(SimdLevel.Vector512);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512 })
        {
            var y = new byte[g.M * (g.OH / 2) * (g.OW / 2)];
            Kernels.ConvU8S8MaxPool2x2(c.X, g, c.InputZeroPoint, c.W, Kernels.PackConvU8S7Weights(c.W, g), c.Bias, c.Multiplier, c.Shift, c.OutputZeroPoint, c.ClampMin, c.ClampMax, new byte[Kernels.ConvU8S8ScratchLength(g)], new int[Kernels.ConvU8S8AccumulatorLength(g)], y, level, sevenBit: true);
            for (int m = 0; m < g.M; m++)
            {
                for (int ph = 0; ph < g.OH / 2; ph++)
                {
                    for (int pw = 0; pw < g.OW / 2; pw++)
                    {
                        int at = (m * g.OH * g.OW) + (2 * ph * g.OW) + (2 * pw);
                        byte max = Math.Max(Math.Max(full[at], full[at + 1]), Math.Max(full[at + g.OW], full[at + g.OW + 1]));
                        Assert.Equal(max, y[(((m * (g.OH / 2)) + ph) * (g.OW / 2)) + pw]);
                    }
                }
            }
        }
    }
}
