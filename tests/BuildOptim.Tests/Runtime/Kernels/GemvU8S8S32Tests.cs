using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class GemvU8S8S32Tests
{
    private static readonly int[] Ks = [0, 1, 7, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 288, 784, 1000];
    private static readonly int[] Ns = [0, 1, 3, 10, 17];

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin_and_exact(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(2024);
        foreach (int k in Ks)
        {
            foreach (int n in Ns)
            {
                var x = RandomBytes(random, k);
                var w = RandomSBytes(random, n * k);
                var bias = RandomInts(random, n, -1 << 24, 1 << 24);
                var expected = new int[n];
                var actual = new int[n];
                Kernels.GemvU8S8S32Scalar(x, w, bias, expected);
                Kernels.GemvU8S8S32(x, w, bias, actual, simd);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"K={k}, N={n}");
                for (int row = 0; row < n; row++)
                {
                    Assert.Equal(bias[row] + DotReference(x, w.AsSpan(row * k, k)), expected[row]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Extreme_codes_and_weights_never_saturate_the_int16_pair_sums(string level)
    {
        // Codes 255 (both nibbles 15) against weights of −128 and 127, alternating and uniform, over several flushes of
        // the eight int16 pair sums: the largest |pair sum| a vpmaddubsw path can meet, and its longest int16 run.
        var simd = SimdLevels.Parse(level);
        foreach (int k in new[] { 32, 256, 288, 784, 1024 })
        {
            var x = Enumerable.Repeat((byte)255, k).ToArray();
            var w = new sbyte[4 * k];
            for (int i = 0; i < k; i++)
            {
                w[i] = -128;
                w[k + i] = 127;
                w[(2 * k) + i] = (sbyte)(i % 2 == 0 ? -128 : 127);
                w[(3 * k) + i] = (sbyte)((i / 32) % 2 == 0 ? -128 : 127);
            }

            var expected = new int[4];
            var actual = new int[4];
            Kernels.GemvU8S8S32Scalar(x, w, new int[4], expected);
            Kernels.GemvU8S8S32(x, w, new int[4], actual, simd);
            Assert.Equal(expected, actual);
            Assert.Equal(-255 * 128 * k, actual[0]);
            Assert.Equal(255 * 127 * k, actual[1]);
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Bias_addition_wraps_like_the_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var x = Enumerable.Repeat((byte)255, 100).ToArray();
        var w = Enumerable.Repeat((sbyte)127, 200).ToArray();
        int[] bias = [int.MaxValue, int.MinValue];
        var expected = new int[2];
        var actual = new int[2];
        Kernels.GemvU8S8S32Scalar(x, w, bias, expected);
        Kernels.GemvU8S8S32(x, w, bias, actual, simd);
        Assert.Equal(expected, actual);
        Assert.Equal(unchecked(int.MaxValue + (255 * 127 * 100)), actual[0]);
    }

    [Fact]
    public void Public_entry_point_matches_scalar_twin()
    {
        var random = new Random(5);
        var x = RandomBytes(random, 300);
        var w = RandomSBytes(random, 300 * 12);
        var bias = RandomInts(random, 12);
        var expected = new int[12];
        var actual = new int[12];
        Kernels.GemvU8S8S32Scalar(x, w, bias, expected);
        Kernels.GemvU8S8S32(x, w, bias, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Kernels.GemvU8S8S32(new byte[4], new sbyte[7], new int[2], new int[2]));
        Assert.Throws<ArgumentException>(() => Kernels.GemvU8S8S32(new byte[4], new sbyte[8], new int[1], new int[2]));
    }
}
