using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class SoftmaxF32Tests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Matches_a_double_precision_reference_for_every_group(bool log)
    {
        var random = new Random(10);
        foreach (int axisSize in new[] { 1, 2, 3, 10, 17, 100, 1000 })
        {
            int groups = axisSize >= 100 ? 2 : 5;
            var x = new float[axisSize * groups];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)((random.NextDouble() - 0.5) * 40);
            }

            var y = new float[x.Length];
            Kernels.SoftmaxF32(x, axisSize, log, y);
            var expected = Reference(x, axisSize, log);
            for (int i = 0; i < x.Length; i++)
            {
                double tolerance = log ? 1e-5 * (1 + Math.Abs(expected[i])) : (1e-5 * expected[i]) + 1e-30;
                Assert.True(Math.Abs(y[i] - expected[i]) <= tolerance, $"axis {axisSize}, element {i}: {y[i]:R} vs {expected[i]:R}");
            }
        }
    }

    [Fact]
    public void Probabilities_sum_to_one_and_large_inputs_do_not_overflow()
    {
        float[] x = [1000f, 1001f, -1000f, 88f, 89f, 90f];
        var y = new float[6];
        Kernels.SoftmaxF32(x, 3, log: false, y);
        Assert.Equal(0.26894142, y[0], 1e-6);
        Assert.Equal(0.73105858, y[1], 1e-6);
        Assert.Equal(0, y[2]);
        Assert.Equal(1, y[3] + y[4] + y[5], 1e-6);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void In_place_gives_the_same_result(bool log)
    {
        var random = new Random(11);
        var x = Enumerable.Range(0, 60).Select(_ => (float)random.NextDouble() * 10).ToArray();
        var y = new float[60];
        Kernels.SoftmaxF32(x, 12, log, y);
        Kernels.SoftmaxF32(x, 12, log, x);
        Assert.Equal(y, x);
    }

    [Theory]
    [InlineData(10, 0)]
    [InlineData(10, 3)]
    [InlineData(9, 2)]
    public void Lengths_that_are_not_whole_groups_are_rejected(int length, int axisSize)
        => Assert.Throws<ArgumentException>(() => Kernels.SoftmaxF32(new float[length], axisSize, false, new float[length]));

    [Theory]
    [InlineData(new float[] { 1, 3, 3, 2 }, 1)]
    [InlineData(new float[] { 5, 5, 5 }, 0)]
    [InlineData(new float[] { -7, -2, -2, -9 }, 1)]
    [InlineData(new float[] { float.NegativeInfinity, float.NegativeInfinity }, 0)]
    [InlineData(new float[] { 0.5f }, 0)]
    [InlineData(new float[0], -1)]
    public void ArgMax_returns_the_first_largest_index(float[] x, int expected)
        => Assert.Equal(expected, Kernels.ArgMax(x));

    private static double[] Reference(float[] x, int axisSize, bool log)
    {
        var y = new double[x.Length];
        for (int start = 0; start < x.Length; start += axisSize)
        {
            double max = double.NegativeInfinity;
            for (int i = start; i < start + axisSize; i++)
            {
                max = Math.Max(max, x[i]);
            }

            double sum = 0;
            for (int i = start; i < start + axisSize; i++)
            {
                sum += Math.Exp(x[i] - max);
            }

            for (int i = start; i < start + axisSize; i++)
            {
                y[i] = log ? x[i] - max - Math.Log(sum) : Math.Exp(x[i] - max) / sum;
            }
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Every_level_gives_the_scalar_twins_outputs_bit_for_bit(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(78);
        foreach (bool log in new[] { false, true })
        {
            foreach (int axisSize in new[] { 1, 2, 7, 8, 15, 16, 17, 31, 33, 78, 128, 129, 1000 })
            {
                var x = Enumerable.Range(0, axisSize * 3).Select(_ => (float)((random.NextDouble() - 0.5) * 30)).ToArray();
                x[0] = axisSize > 3 ? float.NegativeInfinity : x[0];
                var expected = new float[x.Length];
                var actual = new float[x.Length];
                Kernels.SoftmaxF32(x, axisSize, log, expected, SimdLevel.Scalar);
                Kernels.SoftmaxF32(x, axisSize, log, actual, simd);
                Assert.Equal(expected, actual);
                Kernels.SoftmaxF32(x, axisSize, log, x, simd);
                Assert.Equal(expected, x);
            }
        }
    }
}
