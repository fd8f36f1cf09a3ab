using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class CastF32Tests
{
    private static readonly float[] Special = [0f, -0f, 0.5f, -0.5f, 0.99999994f, -1.5f, 2.5f, 1e7f + 0.5f, 16777215f, -16777216f, 3e9f, float.Epsilon, float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    [Fact]
    public void Truncate_rounds_toward_zero_and_makes_negative_zero_the_integer_zero()
    {
        var y = new float[Special.Length];
        Kernels.CastF32(CastMode.Truncate, Special, y);

        Assert.Equal([0f, 0f, 0f, 0f, 0f, -1f, 2f, 1e7f, 16777215f, -16777216f, 3e9f, 0f], y[..12]);
        Assert.All(y[..5], v => Assert.False(float.IsNegative(v), "−0 must become +0"));
        Assert.True(float.IsNaN(y[12]));
        Assert.Equal([float.PositiveInfinity, float.NegativeInfinity], y[13..]);
    }

    [Fact]
    public void NotZero_is_one_for_every_value_but_zero_including_NaN()
    {
        var y = new float[Special.Length];
        Kernels.CastF32(CastMode.NotZero, Special, y);

        Assert.Equal([0f, 0f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f], y);
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin_at_every_length(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(601);
        foreach (var mode in new[] { CastMode.Truncate, CastMode.NotZero })
        {
            for (int length = 0; length <= 300; length++)
            {
                var x = RandomFloats(random, length, -4, 4);
                for (int i = 0; i < length; i += 7)
                {
                    x[i] = Special[i % Special.Length];
                }

                var scalar = new float[length];
                var vector = new float[length];
                Kernels.CastF32(mode, x, scalar, SimdLevel.Scalar);
                Kernels.CastF32(mode, x, vector, simd);
                Assert.True(scalar.AsSpan().SequenceEqual(vector), $"{mode} {level} length {length}");
            }
        }
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Kernels.CastF32(CastMode.Truncate, new float[3], new float[4]));
    }
}
