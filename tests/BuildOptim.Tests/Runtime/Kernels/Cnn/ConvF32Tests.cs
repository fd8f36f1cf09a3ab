using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class ConvF32Tests
{
    /// <summary>Strides 1–3, symmetric and asymmetric pads, dilations, groups, depthwise, 1×1, even and odd kernels, 1-D as H = 1.</summary>
    internal static readonly ConvGeometry[] Geometries =
    [
        Conv(3, 9, 11, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(3, 15, 13, 5, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(4, 10, 9, 6, 5, 3, strideH: 3, strideW: 2, padTop: 2, padLeft: 1, padBottom: 0, padRight: 2),
        Conv(6, 12, 12, 6, 3, 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2, group: 3),
        Conv(8, 7, 7, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 8),
        Conv(8, 14, 15, 8, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 8),
        Conv(5, 11, 13, 5, 5, 5, strideH: 3, strideW: 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2, group: 5),
        Conv(3, 2, 2, 3, 5, 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, group: 3),
        Conv(4, 6, 45, 4, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 4),
        Conv(4, 9, 10, 8, 3, 3, padTop: 1, padLeft: 0, padBottom: 1, padRight: 2, group: 4),
        Conv(16, 5, 5, 32, 1, 1),
        Conv(16, 6, 7, 12, 1, 1, strideH: 2, strideW: 2),
        Conv(4, 5, 5, 6, 1, 1, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(5, 1, 40, 7, 1, 5, strideW: 2, padLeft: 2, padRight: 1),
        Conv(5, 1, 33, 5, 1, 3, padLeft: 1, padRight: 1, dilationW: 3, group: 5),
        Conv(2, 6, 6, 4, 2, 2, strideH: 2, strideW: 2, padBottom: 1, padRight: 1, group: 2),
        Conv(1, 1, 1, 3, 1, 1),
        Conv(3, 17, 19, 10, 7, 7, strideH: 2, strideW: 2, padTop: 3, padLeft: 3, padBottom: 3, padRight: 3),
        Conv(3, 20, 20, 10, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(2, 23, 37, 5, 3, 3, strideW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(32, 4, 4, 17, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),

        // Several im2col blocks (the patch of 288 / 576 values makes blocks of 224 / 112 pixels): blocks that start inside an
        // output row, a last block with a partial strip (420 = 224 + 196), and one of a single pixel (225 = 2 · 112 + 1).
        Conv(32, 20, 21, 7, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(64, 30, 30, 6, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
    ];

    [Fact]
    public void Matches_double_precision_reference_for_every_geometry()
    {
        var random = new Random(101);
        foreach (var g in Geometries)
        {
            var (x, w, bias) = RandomConv(random, g);
            var y = new float[g.OutputLength];
            Kernels.ConvF32(x, g, w, bias, float.NegativeInfinity, float.PositiveInfinity, new float[Kernels.ConvF32ScratchLength(g)], y);
            var (expected, magnitude) = ConvReference(x, g, w, bias);
            AssertClose(expected, y, magnitude, 1e-5, 1e-6, $"{g}");
        }
    }

    [Fact]
    public void Fused_clamp_applies_after_the_bias()
    {
        var random = new Random(102);
        foreach (var (min, max) in new[] { (0f, float.PositiveInfinity), (0f, 6f), (-0.5f, 0.25f) })
        {
            foreach (var g in Geometries)
            {
                var (x, w, bias) = RandomConv(random, g, scale: 4);
                var y = new float[g.OutputLength];
                Kernels.ConvF32(x, g, w, bias, min, max, new float[Kernels.ConvF32ScratchLength(g)], y);
                var (expected, magnitude) = ConvReference(x, g, w, bias);
                var clamped = expected.Select(v => Math.Clamp(v, min, max)).ToArray();
                AssertClose(clamped, y, magnitude, 1e-5, 1e-6, $"clamp [{min}, {max}] {g}");
            }
        }
    }

    [Fact]
    public void Missing_bias_counts_as_zero()
    {
        var random = new Random(103);
        foreach (var g in Geometries)
        {
            var (x, w, _) = RandomConv(random, g);
            var y = new float[g.OutputLength];
            Kernels.ConvF32(x, g, w, ReadOnlySpan<float>.Empty, float.NegativeInfinity, float.PositiveInfinity, new float[Kernels.ConvF32ScratchLength(g)], y);
            var (expected, magnitude) = ConvReference(x, g, w, null);
            AssertClose(expected, y, magnitude, 1e-5, 1e-6, $"{g}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(104);
        foreach (var g in Geometries)
        {
            var (x, w, bias) = RandomConv(random, g);
            var scratch = new float[Kernels.ConvF32ScratchLength(g)];
            var scalar = new float[g.OutputLength];
            var vector = new float[g.OutputLength];
            Kernels.ConvF32(x, g, w, bias, -0.75f, 0.75f, scratch, scalar, SimdLevel.Scalar);
            Kernels.ConvF32(x, g, w, bias, -0.75f, 0.75f, scratch, vector, simd);
            AssertBitIdentical(scalar, vector, $"{level} {g}");
        }
    }

    [Fact]
    public void Scratch_holds_the_im2col_matrix_and_one_packed_strip()
    {
        // Depthwise: none. Pointwise: the strip (16 columns of the 16-value patch) and 16 outputs per channel. Otherwise the
        // im2col matrix too.
        Assert.Equal(0, Kernels.ConvF32ScratchLength(Conv(8, 7, 7, 8, 3, 3, group: 8)));
        Assert.Equal(16 * (16 + 32), Kernels.ConvF32ScratchLength(Conv(16, 5, 5, 32, 1, 1)));
        Assert.Equal((3 * 3 * 3 * 7 * 9) + (16 * ((3 * 3 * 3) + 8)), Kernels.ConvF32ScratchLength(Conv(3, 9, 11, 8, 3, 3)));

        // A patch of 576 values: blocks of 112 pixels, not the whole 56 × 56 image.
        Assert.Equal((576 * 112) + (16 * (576 + 64)), Kernels.ConvF32ScratchLength(Conv(64, 56, 56, 64, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1)));
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        var g = Conv(3, 9, 11, 8, 3, 3);
        var scratch = new float[Kernels.ConvF32ScratchLength(g)];
        float inf = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength - 1], g, new float[8 * 27], new float[8], -inf, inf, scratch, new float[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength], g, new float[8 * 27 + 1], new float[8], -inf, inf, scratch, new float[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength], g, new float[8 * 27], new float[7], -inf, inf, scratch, new float[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength], g, new float[8 * 27], new float[8], -inf, inf, scratch[1..], new float[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength], g, new float[8 * 27], new float[8], -inf, inf, scratch, new float[g.OutputLength + 1]));
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength], g, new float[8 * 27], new float[8], 1, 0, scratch, new float[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.ConvF32(new float[g.InputLength], g with { Group = 2 }, new float[8 * 27], new float[8], -inf, inf, scratch, new float[g.OutputLength]));
    }

    internal static (float[] X, float[] W, float[] Bias) RandomConv(Random random, ConvGeometry g, float scale = 1)
        => (RandomFloats(random, g.InputLength, -scale, scale), RandomFloats(random, g.M * g.PatchLength), RandomFloats(random, g.M));
}
