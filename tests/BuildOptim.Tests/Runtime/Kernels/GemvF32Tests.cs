using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class GemvF32Tests
{
    [Theory]
    [InlineData(nameof(Activation.None))]
    [InlineData(nameof(Activation.Relu))]
    public void Matches_a_double_reference_within_1e_5_of_the_term_magnitudes(string activationName)
    {
        var activation = Enum.Parse<Activation>(activationName);
        var random = new Random(32);
        foreach (int k in new[] { 0, 1, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 100, 255, 784 })
        {
            foreach (int n in new[] { 1, 3, 10 })
            {
                var x = RandomFloats(random, k);
                var w = RandomFloats(random, n * k);
                var bias = RandomFloats(random, n);
                var y = new float[n];
                Kernels.GemvF32(x, w, bias, activation, y);
                for (int row = 0; row < n; row++)
                {
                    double exact = bias[row];
                    double magnitude = Math.Abs(bias[row]);
                    for (int i = 0; i < k; i++)
                    {
                        exact += (double)x[i] * w[(row * k) + i];
                        magnitude += Math.Abs((double)x[i] * w[(row * k) + i]);
                    }

                    if (activation == Activation.Relu)
                    {
                        exact = Math.Max(exact, 0);
                    }

                    Assert.True(Math.Abs(y[row] - exact) <= 1e-5 * magnitude, $"K={k}, N={n}, row {row}: {y[row]:R} vs {exact:R}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Dot_simd_path_is_bit_identical_to_scalar_twin_for_every_length_up_to_300(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(34);
        for (int length = 0; length <= 300; length++)
        {
            // Magnitudes spread over 2^±20 make every change of summation order visible in the last bits.
            var x = RandomFloats(random, length).Select(v => MathF.ScaleB(v, random.Next(-20, 21))).ToArray();
            var w = RandomFloats(random, length);
            float scalar = Kernels.DotF32Scalar(x, w);
            float actual = Kernels.DotF32(x, w, simd);
            Assert.True(BitConverter.SingleToInt32Bits(scalar) == BitConverter.SingleToInt32Bits(actual), $"length {length}: {level} = {actual:R}, scalar = {scalar:R}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Gemv_simd_path_is_bit_identical_to_scalar_path(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(35);
        foreach (int k in new[] { 0, 15, 16, 17, 33, 100, 784 })
        {
            var x = RandomFloats(random, k);
            var w = RandomFloats(random, 7 * k);
            var bias = RandomFloats(random, 7);
            var expected = new float[7];
            var actual = new float[7];
            Kernels.GemvF32(x, w, bias, Activation.Tanh, expected, SimdLevel.Scalar);
            Kernels.GemvF32(x, w, bias, Activation.Tanh, actual, simd);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Dot_f32_simd_matches_a_double_reference()
    {
        var random = new Random(33);
        for (int length = 0; length <= 300; length++)
        {
            var x = RandomFloats(random, length);
            var w = RandomFloats(random, length);
            double exact = 0, magnitude = 0;
            for (int i = 0; i < length; i++)
            {
                exact += (double)x[i] * w[i];
                magnitude += Math.Abs((double)x[i] * w[i]);
            }

            Assert.True(Math.Abs(Kernels.DotF32(x, w) - exact) <= 1e-5 * magnitude, $"length {length}");
        }
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
        => Assert.Throws<ArgumentException>(() => Kernels.GemvF32(new float[3], new float[5], new float[2], Activation.None, new float[2]));

    private static float[] RandomFloats(Random random, int length)
        => Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
}
