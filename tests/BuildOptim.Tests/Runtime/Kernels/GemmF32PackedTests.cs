using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary>The fp32 GEMM on packed weights (the Dense layer over a transformer's tokens) against the plain fused loop.</summary>
public class GemmF32PackedTests
{
    private static readonly int[] s_rows = [1, 2, 3, 6, 7, 9, 11, 12, 13, 16, 17, 24, 25, 78];

    // N and K on both sides of the 32-output panel and the 16- and 8-lane vectors; K = 0 leaves the bias.
    private static readonly (int N, int K)[] s_shapes = [(1, 1), (5, 3), (8, 0), (16, 7), (31, 17), (32, 32), (33, 40), (70, 1), (100, 129), (384, 64)];

    /// <summary>
    /// The reference: <c>clamp(bias[j] + Σ_p x[i, p] · W[j, p])</c> with W as the plan stores it ([N, K]), summed from the
    /// bias in ascending p with one fused multiply-add per product, one output at a time.
    /// </summary>
    private static float[] Reference(float[] x, int m, float[] w, float[] bias, int n, int k, float min, float max)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float acc = bias[j];
                for (int p = 0; p < k; p++)
                {
                    acc = MathF.FusedMultiplyAdd(x[(i * k) + p], w[(j * k) + p], acc);
                }

                y[(i * n) + j] = acc < min ? min : acc > max ? max : acc;
            }
        }

        return y;
    }

    private static float[] RandomFloats(Random random, int length, double scale = 1)
        => Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.5) * 2 * scale)).ToArray();

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Every_level_gives_the_fused_loop_bit_for_bit_for_awkward_shapes(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(32);
        foreach (var (n, k) in s_shapes)
        {
            var w = RandomFloats(random, n * k);
            var bias = RandomFloats(random, n);
            var packed = Kernels.PackGemmF32Weights(w, n, k);
            var paddedBias = Kernels.PadGemmF32Bias(bias, packed);
            foreach (int m in s_rows)
            {
                var x = RandomFloats(random, m * k, 3);
                var (min, max) = m % 3 == 0 ? (-0.5f, 0.75f) : (float.NegativeInfinity, float.PositiveInfinity);
                var expected = Reference(x, m, w, bias, n, k, min, max);
                var actual = new float[m * n];
                Kernels.GemmF32Packed(x, m, packed, paddedBias, min, max, 0, n, actual, simd);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{simd}: M={m}, N={n}, K={k}: first difference at {FirstDifference(expected, actual)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Slices_of_whole_panels_compute_their_outputs_only_and_together_the_whole_product(string level)
    {
        // What a parallel runner does: outputs [first, end) on whole panels of 32, the last slice ending at N.
        var simd = SimdLevels.Parse(level);
        var random = new Random(33);
        const int M = 9, N = 100, K = 45;
        var w = RandomFloats(random, N * K);
        var bias = RandomFloats(random, N);
        var x = RandomFloats(random, M * K);
        var packed = Kernels.PackGemmF32Weights(w, N, K);
        var paddedBias = Kernels.PadGemmF32Bias(bias, packed);
        var expected = Reference(x, M, w, bias, N, K, float.NegativeInfinity, float.PositiveInfinity);

        var actual = Enumerable.Repeat(float.NaN, M * N).ToArray();
        Kernels.GemmF32Packed(x, M, packed, paddedBias, float.NegativeInfinity, float.PositiveInfinity, 32, 64, actual, simd);
        for (int i = 0; i < M * N; i++)
        {
            Assert.Equal(i % N is >= 32 and < 64, !float.IsNaN(actual[i]));
        }

        Kernels.GemmF32Packed(x, M, packed, paddedBias, float.NegativeInfinity, float.PositiveInfinity, 0, 32, actual, simd);
        Kernels.GemmF32Packed(x, M, packed, paddedBias, float.NegativeInfinity, float.PositiveInfinity, 64, N, actual, simd);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Panels_hold_32_outputs_per_step_of_k_zero_past_N_from_a_64_byte_boundary()
    {
        const int N = 40, K = 3;
        var w = Enumerable.Range(0, N * K).Select(i => (float)(i + 1)).ToArray();
        var packed = Kernels.PackGemmF32Weights(w, N, K);

        Assert.Equal(2, packed.Panels);
        var panels = packed.Packed;
        Assert.Equal(2 * 32 * K, panels.Length);
        for (int q = 0; q < 2; q++)
        {
            for (int p = 0; p < K; p++)
            {
                for (int t = 0; t < 32; t++)
                {
                    int j = (q * 32) + t;
                    Assert.Equal(j < N ? w[(j * K) + p] : 0f, panels[(q * 32 * K) + (p * 32) + t]);
                }
            }
        }

        unsafe
        {
            fixed (float* start = panels)
            {
                Assert.Equal(0, (long)start % 64);
            }
        }
    }

    [Fact]
    public void Operands_that_do_not_fit_the_weights_are_refused()
    {
        var packed = Kernels.PackGemmF32Weights(new float[70 * 4], 70, 4);
        var bias = Kernels.PadGemmF32Bias(new float[70], packed);
        var x = new float[3 * 4];
        var y = new float[3 * 70];
        const float Lo = float.NegativeInfinity, Hi = float.PositiveInfinity;

        Assert.Throws<ArgumentException>(() => Kernels.GemmF32Packed(x, 4, packed, bias, Lo, Hi, 0, 70, y, SimdLevel.Vector512)); // x too short
        Assert.Throws<ArgumentException>(() => Kernels.GemmF32Packed(x, 3, packed, bias, Lo, Hi, 0, 70, y.AsSpan(1), SimdLevel.Vector512));
        Assert.Throws<ArgumentException>(() => Kernels.GemmF32Packed(x, 3, packed, bias.AsSpan(1), Lo, Hi, 0, 70, y, SimdLevel.Vector512));
        Assert.Throws<ArgumentException>(() => Kernels.GemmF32Packed(x, 3, packed, bias, Lo, Hi, 16, 70, y, SimdLevel.Vector512)); // not a panel
        Assert.Throws<ArgumentException>(() => Kernels.GemmF32Packed(x, 3, packed, bias, Lo, Hi, 0, 40, y, SimdLevel.Vector512));
        Assert.Throws<ArgumentException>(() => Kernels.GemmF32Packed(x, 3, packed, bias, Lo, Hi, 0, 71, y, SimdLevel.Vector512));
        Assert.Throws<ArgumentException>(() => Kernels.PackGemmF32Weights(new float[10], 3, 4));
    }

    [Fact]
    public void A_call_allocates_nothing()
    {
        const int M = 9, N = 70, K = 50;
        var random = new Random(34);
        var packed = Kernels.PackGemmF32Weights(RandomFloats(random, N * K), N, K);
        var bias = Kernels.PadGemmF32Bias(RandomFloats(random, N), packed);
        var x = RandomFloats(random, M * K);
        var y = new float[M * N];

        // The partial last panel goes through a stack tile: nothing on the heap either.
        Assert.Equal(0, Allocations.SteadyState(200, () => Kernels.GemmF32Packed(x, M, packed, bias, -1f, 1f, 0, N, y, SimdLevel.Vector512)));
        Assert.Contains(y, v => v != 0);
    }

    private static int FirstDifference(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
