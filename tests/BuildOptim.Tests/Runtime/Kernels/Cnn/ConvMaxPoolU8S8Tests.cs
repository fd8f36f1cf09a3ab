using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class ConvMaxPoolU8S8Tests
{
    /// <summary>
    /// FashionCnn's stem (wide rows of 30 for 28 outputs, 14 pooled columns: one vector and an overlapping one), odd output
    /// sizes (the last row and column dropped), pooled rows narrower than a vector, a 1×1 convolution read in place, groups,
    /// direct, small-plane (8 × 8: a block of 16 channels and one of 8) and scalar depthwise convolutions, and stride 2.
    /// </summary>
    private static readonly ConvGeometry[] Geometries =
    [
        Conv(1, 28, 28, 16, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(3, 19, 37, 13, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(4, 9, 11, 7, 3, 3),
        Conv(16, 8, 8, 12, 1, 1),
        Conv(12, 10, 37, 24, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 2),
        Conv(16, 14, 14, 16, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 16),
        Conv(8, 16, 34, 8, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 8),
        Conv(24, 8, 8, 24, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 24),
        Conv(5, 33, 70, 11, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // Single input channel, stride 1 (the direct stem at Vector512, its AVX2 twin at Vector256; patches of at most 10
        // taps): odd sizes (27 → 13 pooled), 35 pooled columns (steps of 16, 16 and 3; in AVX2 four of 8 and 3), 10 taps
        // (2 × 5, asymmetric pads), 3 × 3 dilated, one tap over 33 channels; and 16 and 25 taps, past the direct stem (the
        // matrix product takes them).
        Conv(1, 27, 27, 5, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(1, 9, 70, 17, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(1, 12, 12, 3, 2, 5, padTop: 1, padLeft: 2, padBottom: 0, padRight: 2),
        Conv(1, 15, 20, 7, 3, 3, padTop: 2, padLeft: 2, padBottom: 1, padRight: 2, dilationH: 2, dilationW: 2),
        Conv(1, 6, 5, 33, 1, 1),
        Conv(1, 12, 12, 3, 4, 4, padTop: 2, padLeft: 1, padBottom: 1, padRight: 2),
        Conv(1, 28, 28, 16, 5, 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2),
    ];

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Equals_the_convolution_then_the_pool_bit_for_bit(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(401);
        foreach (var g in Geometries)
        {
            Assert.True(Kernels.ConvU8S8MaxPool2x2Fits(g), $"{g}");
            var c = ConvU8S8Tests.RandomQuantizedConv(random, g);

            // Negative multipliers turn the requantization around: those channels pool the smallest accumulator.
            var multiplier = c.Multiplier.Select((m, i) => i % 3 == 1 ? -m : m).ToArray();
            foreach (var conv in new[] { c, c.With(multiplier: multiplier), c.With(packedWeights: Kernels.PackConvU8S8Weights(c.W, g)) })
            {
                var pool = Pool(g.M, g.OH, g.OW, 2, 2, strideH: 2, strideW: 2);
                var expected = new byte[pool.OutputLength];
                Kernels.MaxPoolU8(conv.Run(SimdLevel.Scalar), pool, expected);
                AssertBytesEqual(expected, RunPooled(conv, simd), $"{level} {g}");
            }
        }
    }

    [Fact]
    public void Channel_ranges_pooled_apart_give_the_whole_output()
    {
        // How PlanRunner splits a pooled convolution across threads: whole 6-channel blocks of the packed weights, the matching
        // slices of bias, multipliers and shifts, and the pooled output of those channels.
        var g = Conv(3, 19, 37, 20, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1);
        var c = ConvU8S8Tests.RandomQuantizedConv(new Random(404), g);
        var packed = Kernels.PackConvU8S8Weights(c.W, g);
        var expected = RunPooled(c.With(packedWeights: packed), SimdLevel.Vector512);
        int pooled = (g.OH / 2) * (g.OW / 2);
        int pairs = (g.PatchLength + 1) / 2;
        var y = new byte[expected.Length];
        foreach (var (first, end) in new[] { (0, 6), (6, 18), (18, 20) })
        {
            var slice = g with { M = end - first };
            Kernels.ConvU8S8MaxPool2x2(
                c.X, slice, c.InputZeroPoint, c.W.AsSpan(first * g.PatchLength, slice.M * g.PatchLength),
                packed.AsSpan(first / 6 * pairs * 6, Kernels.ConvU8S8PackedWeightsLength(slice)),
                c.Bias.AsSpan(first, slice.M), c.Multiplier.AsSpan(first, slice.M), c.Shift.AsSpan(first, slice.M), c.OutputZeroPoint, c.ClampMin, c.ClampMax,
                new byte[Kernels.ConvU8S8ScratchLength(slice, packedWeights: true)], new int[Kernels.ConvU8S8AccumulatorLength(slice)], y.AsSpan(first * pooled, slice.M * pooled));
        }

        AssertBytesEqual(expected, y, $"{g}");
    }

    [Fact]
    public void Shapes_it_cannot_pool_in_one_pass_are_refused()
    {
        // 64 · 64 wide pixels of a 3 × 3 patch over 128 channels span several pixel blocks.
        var large = Conv(128, 64, 64, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1);
        Assert.False(Kernels.ConvU8S8MaxPool2x2Fits(large));
        Assert.False(Kernels.ConvU8S8MaxPool2x2Fits(Conv(2, 1, 8, 4, 1, 1)));
        var c = ConvU8S8Tests.RandomQuantizedConv(new Random(402), large);
        Assert.Throws<ArgumentException>(() => RunPooled(c, SimdLevel.Scalar));
        var small = ConvU8S8Tests.RandomQuantizedConv(new Random(403), Geometries[2]);
        Assert.Throws<ArgumentException>(() => RunPooled(small, SimdLevel.Scalar, outputLength: (small.G.M * (small.G.OH / 2) * (small.G.OW / 2)) + 1));
    }

    private static byte[] RunPooled(ConvU8S8Tests.QuantizedConv c, SimdLevel level, int? outputLength = null)
    {
        var g = c.G;
        var y = new byte[outputLength ?? g.M * (g.OH / 2) * (g.OW / 2)];
        Kernels.ConvU8S8MaxPool2x2(c.X, g, c.InputZeroPoint, c.W, c.PackedWeights, c.Bias, c.Multiplier, c.Shift, c.OutputZeroPoint, c.ClampMin, c.ClampMax, new byte[Kernels.ConvU8S8ScratchLength(g)], new int[Kernels.ConvU8S8AccumulatorLength(g)], y, level);
        return y;
    }
}
