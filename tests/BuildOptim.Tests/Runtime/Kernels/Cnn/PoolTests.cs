using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class PoolTests
{
    /// <summary>Strides 1–3, asymmetric pads, dilations, ceil_mode (including a last window starting in the pad), 1-D, row chunking and windows too wide for the row buffer.</summary>
    private static readonly PoolGeometry[] Geometries =
    [
        Pool(3, 9, 11, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Pool(2, 8, 8, 2, 2, strideH: 2, strideW: 2),
        Pool(4, 7, 10, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Pool(3, 10, 9, 3, 2, strideH: 3, strideW: 2, padTop: 2, padLeft: 0, padBottom: 1, padRight: 1),
        Pool(2, 12, 13, 3, 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, dilationH: 2, dilationW: 2),
        Pool(1, 4, 4, 3, 3, strideH: 2, strideW: 2, ceilMode: true),
        Pool(3, 11, 12, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ceilMode: true),
        Pool(3, 2, 2, 3, 3, strideH: 3, strideW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ceilMode: true),
        Pool(2, 9, 9, 2, 2, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, ceilMode: true),
        Pool(3, 1, 32, 1, 2),
        Pool(3, 1, 50, 1, 5, strideW: 3, padLeft: 2, padRight: 1, ceilMode: true),
        Pool(4, 7, 7, 7, 7),
        Pool(2, 40, 45, 5, 5, strideH: 3, strideW: 3, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, ceilMode: true),
        Pool(2, 3, 5000, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Pool(2, 2, 7000, 2, 5, strideW: 3, padLeft: 2, padRight: 2, dilationW: 2),
        Pool(2, 1, 3000, 1, 3000),
        Pool(1, 3, 2600, 2, 2500, strideH: 1, strideW: 50, padTop: 1, padLeft: 7, padBottom: 0, padRight: 9, ceilMode: true),

        // The 2 × 2 stride-2 vector path: FashionCnn's pool (OW = 14, a recomputed tail), OW = 8 exactly, odd input sizes
        // (last row and column unused), and a wide row.
        Pool(16, 28, 28, 2, 2, strideH: 2, strideW: 2),
        Pool(3, 16, 16, 2, 2, strideH: 2, strideW: 2),
        Pool(2, 13, 21, 2, 2, strideH: 2, strideW: 2),
        Pool(2, 4, 130, 2, 2, strideH: 2, strideW: 2),

        // The 3 × 3 stride-2 vector path: ResNet's pool (pad 1) smaller, no pad, odd sizes, ceil mode with and without pad
        // (a last window with one column and one row of x), pads on one side only, and OW = 8 exactly.
        Pool(2, 30, 34, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Pool(2, 17, 40, 3, 3, strideH: 2, strideW: 2),
        Pool(3, 21, 23, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Pool(2, 20, 20, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ceilMode: true),
        Pool(1, 18, 18, 3, 3, strideH: 2, strideW: 2, ceilMode: true),
        Pool(2, 19, 26, 3, 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 1, padBottom: 1, padRight: 0),
        Pool(1, 16, 16, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
    ];

    [Fact]
    public void MaxPoolF32_matches_reference_and_ignores_padding()
    {
        var random = new Random(301);
        foreach (var g in Geometries)
        {
            var x = RandomFloats(random, g.InputLength, -5, -1); // all negative: a padded 0 would win if it counted
            var y = new float[g.OutputLength];
            Kernels.MaxPoolF32(x, g, y);
            var expected = Reference(g, window => window.Inside.Select(i => (double)x[i]).DefaultIfEmpty(double.NegativeInfinity).Max());
            AssertClose(expected, y, default, 0, 0, $"{g}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AveragePoolF32_matches_reference(bool countIncludePad)
    {
        var random = new Random(302);
        foreach (var g in Geometries)
        {
            var x = RandomFloats(random, g.InputLength, -1, 3);
            var y = new float[g.OutputLength];
            Kernels.AveragePoolF32(x, g, countIncludePad, y);
            var expected = Reference(g, w => w.Inside.Sum(i => (double)x[i]) / (countIncludePad ? w.InPadded : w.Inside.Count));
            var magnitude = Reference(g, w => w.Inside.Sum(i => Math.Abs((double)x[i])) / w.Inside.Count);
            AssertClose(expected, y, magnitude, 1e-5, 1e-7, $"count_include_pad {countIncludePad} {g}");
        }
    }

    [Fact]
    public void MaxPoolU8_matches_reference()
    {
        var random = new Random(303);
        foreach (var g in Geometries)
        {
            var x = RandomBytes(random, g.InputLength);
            var y = new byte[g.OutputLength];
            Kernels.MaxPoolU8(x, g, y);
            var expected = Reference(g, w => w.Inside.Select(i => (double)x[i]).Max());
            AssertBytesEqual(Array.ConvertAll(expected, v => (byte)v), y, $"{g}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AveragePoolU8_rounds_the_exact_mean_half_up(bool countIncludePad)
    {
        var random = new Random(304);
        foreach (var g in Geometries)
        {
            var x = RandomBytes(random, g.InputLength);
            byte zeroPoint = (byte)random.Next(256);
            var y = new byte[g.OutputLength];
            Kernels.AveragePoolU8(x, g, countIncludePad, zeroPoint, y);
            var expected = Reference(g, w =>
            {
                long sum = w.Inside.Sum(i => (long)x[i]);
                long count = w.Inside.Count;
                if (countIncludePad)
                {
                    sum += zeroPoint * (w.InPadded - count);
                    count = w.InPadded;
                }

                return ((2 * sum) + count) / (2 * count);
            });
            AssertBytesEqual(Array.ConvertAll(expected, v => (byte)v), y, $"count_include_pad {countIncludePad}, zp {zeroPoint} {g}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AveragePoolU8_stays_within_one_code_of_the_real_average(bool countIncludePad)
    {
        var random = new Random(305);
        foreach (var g in Geometries)
        {
            var real = RandomFloats(random, g.InputLength, -1, 2);
            var (scale, zeroPoint) = QuantParamsFor(real.Min(), real.Max());
            var x = Quantize(real, scale, zeroPoint);
            var y = new byte[g.OutputLength];
            Kernels.AveragePoolU8(x, g, countIncludePad, (byte)zeroPoint, y);
            var average = Reference(g, w => w.Inside.Sum(i => scale * (x[i] - zeroPoint)) / (countIncludePad ? w.InPadded : w.Inside.Count));
            AssertWithinCodes(Array.ConvertAll(average, v => Quantize(v, scale, zeroPoint)), y, 1, $"count_include_pad {countIncludePad} {g}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_scalar_twins(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(306);
        float[] specials = [float.NaN, 0f, -0f, float.PositiveInfinity, float.NegativeInfinity];
        foreach (var g in Geometries)
        {
            var x = RandomFloats(random, g.InputLength, -2, 2);
            for (int i = 0; i < x.Length; i += 97)
            {
                x[i] = specials[(i / 97) % specials.Length];
            }

            var codes = RandomBytes(random, g.InputLength);
            AssertBitIdentical(Run(y => Kernels.MaxPoolF32(x, g, y, SimdLevel.Scalar), g), Run(y => Kernels.MaxPoolF32(x, g, y, simd), g), $"max {level} {g}");
            foreach (bool include in new[] { false, true })
            {
                AssertBitIdentical(Run(y => Kernels.AveragePoolF32(x, g, include, y, SimdLevel.Scalar), g), Run(y => Kernels.AveragePoolF32(x, g, include, y, simd), g), $"average {include} {level} {g}");
                AssertBytesEqual(RunU8(y => Kernels.AveragePoolU8(codes, g, include, 77, y, SimdLevel.Scalar), g), RunU8(y => Kernels.AveragePoolU8(codes, g, include, 77, y, simd), g), $"average u8 {include} {level} {g}");
            }

            AssertBytesEqual(RunU8(y => Kernels.MaxPoolU8(codes, g, y, SimdLevel.Scalar), g), RunU8(y => Kernels.MaxPoolU8(codes, g, y, simd), g), $"max u8 {level} {g}");
        }
    }

    [Fact]
    public void Global_pools_reduce_each_channel()
    {
        var random = new Random(307);
        foreach (var (channels, spatial) in new[] { (1, 1), (3, 25), (4, 32), (3, 33), (16, 49), (2, 63), (5, 12544), (2, 100_003) })
        {
            var x = RandomFloats(random, channels * spatial, -1, 2);
            var codes = RandomBytes(random, channels * spatial);
            var average = new float[channels];
            var max = new float[channels];
            var averageU8 = new byte[channels];
            var maxU8 = new byte[channels];
            Kernels.GlobalAveragePoolF32(x, channels, spatial, average);
            Kernels.GlobalMaxPoolF32(x, channels, spatial, max);
            Kernels.GlobalAveragePoolU8(codes, channels, spatial, averageU8);
            Kernels.GlobalMaxPoolU8(codes, channels, spatial, maxU8);
            for (int c = 0; c < channels; c++)
            {
                var xc = x.AsSpan(c * spatial, spatial).ToArray();
                var qc = codes.AsSpan(c * spatial, spatial).ToArray();
                double total = 0;
                foreach (float v in xc)
                {
                    total += v;
                }

                Assert.Equal((float)(total / spatial), average[c]);
                Assert.Equal(xc.Max(), max[c]);
                long sum = qc.Sum(v => (long)v);
                Assert.Equal((byte)(((2 * sum) + spatial) / (2L * spatial)), averageU8[c]);
                Assert.Equal(qc.Max(), maxU8[c]);

                // A global max through MaxPoolU8 with a [1, spatial] window, as the runtime may emit it.
                var pooled = new byte[1];
                Kernels.MaxPoolU8(qc, new PoolGeometry(1, 1, spatial, 1, spatial, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1), pooled);
                Assert.Equal(qc.Max(), pooled[0]);
            }
        }
    }

    [Fact]
    public void Global_average_on_codes_is_the_rounded_mean_for_every_plane_size_and_extreme_codes()
    {
        // Every size up to 80 (16 to 31 codes take the 16-byte sums, 32 and more the 32-byte ones), the largest and smallest
        // sums, and every tie: the multiply-by-reciprocal division must give the exact quotient.
        var random = new Random(308);
        for (int spatial = 1; spatial <= 80; spatial++)
        {
            var codes = RandomBytes(random, 7 * spatial);
            codes.AsSpan(0, spatial).Fill(255);
            codes.AsSpan(spatial, spatial).Clear();
            for (int i = 0; i < spatial; i++)
            {
                codes[(2 * spatial) + i] = (byte)(i % 2 == 0 ? 254 : 255);
            }

            var y = new byte[7];
            Kernels.GlobalAveragePoolU8(codes, 7, spatial, y);
            for (int c = 0; c < 7; c++)
            {
                long sum = codes.AsSpan(c * spatial, spatial).ToArray().Sum(v => (long)v);
                Assert.Equal((byte)(((2 * sum) + spatial) / (2L * spatial)), y[c]);
            }
        }
    }

    [Fact]
    public void Average_rounds_ties_up()
    {
        // Window means 0.5, 1.5 and 254.5 round up; 0.25 rounds down.
        var g = Pool(1, 1, 8, 1, 2, strideW: 2);
        var y = new byte[4];
        Kernels.AveragePoolU8([0, 1, 1, 2, 254, 255, 0, 0], g, false, 0, y);
        Assert.Equal(new byte[] { 1, 2, 255, 0 }, y);
        Kernels.AveragePoolU8([1, 0, 0, 0], Pool(1, 1, 4, 1, 4), false, 0, y.AsSpan(0, 1));
        Assert.Equal(0, y[0]);
        Kernels.GlobalAveragePoolU8([3, 4], 1, 2, y.AsSpan(0, 1));
        Assert.Equal(4, y[0]);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        var g = Pool(3, 9, 11, 3, 3, strideH: 2, strideW: 2);
        Assert.Throws<ArgumentException>(() => Kernels.MaxPoolF32(new float[g.InputLength + 1], g, new float[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.AveragePoolF32(new float[g.InputLength], g, false, new float[g.OutputLength - 1]));
        Assert.Throws<ArgumentException>(() => Kernels.MaxPoolU8(new byte[g.InputLength], g with { StrideH = 0 }, new byte[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.AveragePoolU8(new byte[g.InputLength - 1], g, true, 0, new byte[g.OutputLength]));
        Assert.Throws<ArgumentException>(() => Kernels.GlobalAveragePoolF32(new float[10], 3, 3, new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.GlobalMaxPoolU8(new byte[9], 3, 3, new byte[2]));
    }

    private static double[] Reference(PoolGeometry g, Func<(List<int> Inside, int InPadded), double> reduce)
    {
        var y = new double[g.OutputLength];
        for (int c = 0; c < g.C; c++)
        {
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++)
                {
                    y[(((c * g.OH) + oh) * g.OW) + ow] = reduce(PoolWindow(g, c, oh, ow));
                }
            }
        }

        return y;
    }

    private static float[] Run(Action<float[]> kernel, PoolGeometry g)
    {
        var y = new float[g.OutputLength];
        kernel(y);
        return y;
    }

    private static byte[] RunU8(Action<byte[]> kernel, PoolGeometry g)
    {
        var y = new byte[g.OutputLength];
        kernel(y);
        return y;
    }
}
