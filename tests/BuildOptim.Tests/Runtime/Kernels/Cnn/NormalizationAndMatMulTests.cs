using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class NormalizationAndMatMulTests
{
    [Fact]
    public void LrnF32_matches_double_reference_for_odd_and_even_sizes()
    {
        var random = new Random(601);
        foreach (var (channels, spatial, size) in new[] { (5, 25, 3), (8, 13, 5), (7, 4, 4), (3, 9, 1), (4, 6, 11), (1, 3, 2) })
        {
            var x = RandomFloats(random, channels * spatial, -3, 3);
            const float alpha = 1e-2f, beta = 0.75f, bias = 1.5f;
            var y = new float[x.Length];
            Kernels.LrnF32(x, channels, spatial, size, alpha, beta, bias, y);
            var expected = new double[x.Length];
            for (int c = 0; c < channels; c++)
            {
                for (int s = 0; s < spatial; s++)
                {
                    double sum = 0;
                    for (int i = Math.Max(0, c - ((size - 1) / 2)); i <= Math.Min(channels - 1, c + (size / 2)); i++)
                    {
                        sum += (double)x[(i * spatial) + s] * x[(i * spatial) + s];
                    }

                    expected[(c * spatial) + s] = x[(c * spatial) + s] / Math.Pow(bias + (alpha / size * sum), beta);
                }
            }

            AssertClose(expected, y, default, 1e-5, 1e-7, $"[{channels}, {spatial}] size {size}");
        }
    }

    [Fact]
    public void LrnF32_rejects_running_in_place()
    {
        var x = new float[12];
        Assert.Throws<ArgumentException>(() => Kernels.LrnF32(x, 3, 4, 3, 1e-4f, 0.75f, 1, x));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxAxisF32_normalizes_along_the_middle_axis(bool log)
    {
        var random = new Random(602);
        foreach (var (outer, axis, inner) in new[] { (1, 10, 1), (3, 4, 5), (1, 21, 64), (2, 1, 7), (4, 3, 1), (0, 3, 2), (2, 0, 3) })
        {
            var x = RandomFloats(random, outer * axis * inner, -20, 20);
            var y = new float[x.Length];
            Kernels.SoftmaxAxisF32(x, outer, axis, inner, log, y);
            var expected = new double[x.Length];
            for (int o = 0; o < outer && axis > 0; o++)
            {
                for (int j = 0; j < inner; j++)
                {
                    double max = Enumerable.Range(0, axis).Max(i => x[(((o * axis) + i) * inner) + j]);
                    double sum = Enumerable.Range(0, axis).Sum(i => Math.Exp(x[(((o * axis) + i) * inner) + j] - max));
                    for (int i = 0; i < axis; i++)
                    {
                        double v = x[(((o * axis) + i) * inner) + j] - max;
                        expected[(((o * axis) + i) * inner) + j] = log ? v - Math.Log(sum) : Math.Exp(v) / sum;
                    }
                }
            }

            AssertClose(expected, y, default, 1e-5, 1e-6, $"log {log} [{outer}, {axis}, {inner}]");
        }
    }

    [Fact]
    public void SoftmaxAxisF32_with_inner_1_equals_SoftmaxF32()
    {
        var x = RandomFloats(new Random(603), 60, -5, 5);
        var expected = new float[60];
        var y = new float[60];
        Kernels.SoftmaxF32(x, 12, false, expected);
        Kernels.SoftmaxAxisF32(x, 5, 12, 1, false, y);
        AssertBitIdentical(expected, y, "inner 1");
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void GemmF32_is_the_fused_multiply_add_loop_bit_for_bit_at_every_width(string level)
    {
        // Rows in blocks of 6 and 4 and single ones, strips of 16 and 8 columns and single columns, packed or not, with and
        // without an initial value: every output is init, then a[i, p] · b[p, j] added with one rounding in the order of p.
        var simd = SimdLevels.Parse(level);
        var random = new Random(605);
        // With MatMulF32PanelLength's scratch and no init, the 512-bit path packs strips of 32 columns for the dense layers'
        // micro-tiles (an attention product: 78 × 32 by 32 × 78); rows ldy apart, wider than n, as a convolution writes them.
        foreach (var (m, k, n) in new[] { (1, 1, 1), (6, 9, 16), (7, 33, 19), (13, 144, 49), (5, 64, 40), (11, 3, 8), (17, 20, 35), (78, 32, 78), (9, 32, 9), (25, 7, 64) })
        {
            var a = RandomFloats(random, m * k);
            var b = RandomFloats(random, k * n);
            var init = RandomFloats(random, m);
            foreach (bool withInit in new[] { false, true })
            {
                foreach (int panel in new[] { 0, 16 * (k + m), Kernels.MatMulF32PanelLength(m, k) })
                {
                    int ldy = n + (panel % 3);
                    var wide = Enumerable.Repeat(float.NaN, ((m - 1) * ldy) + n).ToArray();
                    Kernels.GemmF32(a, b, withInit ? init : default, m, k, n, float.NegativeInfinity, float.PositiveInfinity, wide, ldy, new float[panel], simd);
                    var y = new float[m * n];
                    for (int i = 0; i < m; i++)
                    {
                        wide.AsSpan(i * ldy, n).CopyTo(y.AsSpan(i * n, n));
                        Assert.All(wide.AsSpan((i * ldy) + n, i == m - 1 ? 0 : ldy - n).ToArray(), v => Assert.True(float.IsNaN(v), "past n, row untouched"));
                    }

                    var expected = new float[m * n];
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            float acc = withInit ? init[i] : 0;
                            for (int p = 0; p < k; p++)
                            {
                                acc = MathF.FusedMultiplyAdd(a[(i * k) + p], b[(p * n) + j], acc);
                            }

                            expected[(i * n) + j] = acc;
                        }
                    }

                    AssertBitIdentical(expected, y, $"{level} m={m} k={k} n={n} init={withInit} panel={panel}");
                }
            }
        }
    }

    [Fact]
    public void MatMulF32_matches_double_reference_with_batch_broadcasting()
    {
        var random = new Random(604);
        foreach (var (batch, m, k, n) in new[] { (1, 1, 1, 1), (1, 3, 4, 3), (2, 3, 4, 3), (3, 7, 33, 19), (2, 5, 64, 40), (1, 1, 300, 10), (4, 13, 8, 1), (2, 0, 3, 4), (1, 4, 0, 5) })
        {
            foreach (var (broadcastA, broadcastB) in new[] { (false, false), (true, false), (false, true) })
            {
                var a = RandomFloats(random, (broadcastA ? 1 : batch) * m * k);
                var b = RandomFloats(random, (broadcastB ? 1 : batch) * k * n);
                var y = new float[batch * m * n];
                Kernels.MatMulF32(a, b, batch, m, k, n, broadcastA, broadcastB, y);
                var expected = new double[y.Length];
                var magnitude = new double[y.Length];
                for (int t = 0; t < batch; t++)
                {
                    for (int i = 0; i < m; i++)
                    {
                        for (int j = 0; j < n; j++)
                        {
                            for (int p = 0; p < k; p++)
                            {
                                double term = (double)a[((broadcastA ? 0 : t) * m * k) + (i * k) + p] * b[((broadcastB ? 0 : t) * k * n) + (p * n) + j];
                                expected[(t * m * n) + (i * n) + j] += term;
                                magnitude[(t * m * n) + (i * n) + j] += Math.Abs(term);
                            }
                        }
                    }
                }

                AssertClose(expected, y, magnitude, 1e-5, 1e-7, $"[{batch}, {m}, {k}] × [{k}, {n}] broadcast {broadcastA}/{broadcastB}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void MatMulF32_simd_path_is_bit_identical_to_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(605);
        foreach (var (m, k, n) in new[] { (1, 1, 1), (4, 16, 16), (5, 7, 9), (9, 33, 47), (13, 100, 31), (3, 5, 128) })
        {
            var a = RandomFloats(random, 2 * m * k);
            var b = RandomFloats(random, 2 * k * n);
            var scalar = new float[2 * m * n];
            var vector = new float[2 * m * n];
            Kernels.MatMulF32(a, b, 2, m, k, n, false, false, scalar, SimdLevel.Scalar);
            Kernels.MatMulF32(a, b, 2, m, k, n, false, false, vector, simd);
            AssertBitIdentical(scalar, vector, $"{level} [{m}, {k}] × [{k}, {n}]");
        }
    }

    [Fact]
    public void MatMulF32_rejects_mismatched_lengths()
    {
        Assert.Throws<ArgumentException>(() => Kernels.MatMulF32(new float[12], new float[11], 2, 2, 3, 2, false, false, new float[8]));
        Assert.Throws<ArgumentException>(() => Kernels.MatMulF32(new float[6], new float[12], 2, 2, 3, 2, true, false, new float[7]));
        Assert.Throws<ArgumentException>(() => Kernels.MatMulF32(new float[6], new float[6], 2, 2, 3, 2, true, false, new float[8]));
    }
}
