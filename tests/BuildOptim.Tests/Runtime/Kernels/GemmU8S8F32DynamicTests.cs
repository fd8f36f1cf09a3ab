using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class GemmU8S8F32DynamicTests
{
    /// <summary>The paths this machine runs, scalar twin excepted, by name, each on 8-bit layers and (suffix "/7") on 7-bit ones where it takes them.</summary>
    public static TheoryData<string> VectorPaths
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var path in Enum.GetValues<DynamicGemmPath>())
            {
                foreach (bool sevenBit in new[] { false, true })
                {
                    if (path != DynamicGemmPath.Scalar && Kernels.IsSupported(path) && Kernels.Handles(path, sevenBit))
                    {
                        data.Add(path + (sevenBit ? "/7" : ""));
                    }
                }
            }

            return data;
        }
    }

    private static (DynamicGemmPath Path, bool SevenBit) Parse(string name)
        => (Enum.Parse<DynamicGemmPath>(name.Split('/')[0]), name.EndsWith("/7", StringComparison.Ordinal));

    private static readonly (int N, int K)[] s_shapes = [(1, 1), (3, 5), (17, 33), (40, 2), (384, 384), (1536, 384), (384, 1536), (391, 770), (33, 1)];

    private static readonly int[] s_rows = [1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 78, 128];

    [Theory]
    [MemberData(nameof(VectorPaths))]
    public void Every_path_gives_the_scalar_twins_outputs_bit_for_bit(string pathName)
    {
        var (path, sevenBit) = Parse(pathName);
        var random = new Random(16);
        foreach (var (n, k) in s_shapes)
        {
            foreach (int rows in s_rows)
            {
                if ((long)rows * n * k > 40_000_000 && rows != 78 && rows != 128)
                {
                    continue;
                }

                var layer = Layer.Random(random, rows, n, k, sevenBit);
                var activation = (rows + n) % 3 == 0 ? Activation.Gelu : Activation.None;
                var expected = layer.Run(DynamicGemmPath.Scalar, activation);
                var actual = layer.Run(path, activation);
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{path}: rows={rows}, N={n}, K={k}, first difference at {FirstDifference(expected, actual)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(VectorPaths))]
    public void Extreme_codes_and_weights_stay_exact(string pathName)
    {
        // Rows spanning [−1, 1] give the lowest and highest codes with the zero point in between, rows of equal positive
        // values the highest code everywhere; weights ±127 (±63 on a 7-bit layer) in runs of 3 and of 8 k (a 7-bit
        // tile's int16 sums of four products at their largest, 4 · 127 · 63).
        var (path, sevenBit) = Parse(pathName);
        sbyte top = (sbyte)(sevenBit ? Kernels.SevenBitWeightMax : 127);
        foreach (int k in new[] { 4, 8, 12, 1535, 1536, 4096 })
        {
            foreach (int run in new[] { 3, 8 })
            {
                const int Rows = 7, N = 40;
                var x = new float[Rows * k];
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = i / k >= 4 ? 1f : (i / 7) % 2 == 0 ? 1f : -1f;
                }

                var w = new sbyte[N * k];
                for (int i = 0; i < w.Length; i++)
                {
                    w[i] = (sbyte)((i / run) % 2 == 0 ? top : -top);
                }

                var layer = new Layer(Rows, N, k, x, w, Enumerable.Repeat(0.01f, N).ToArray(), new float[N], sevenBit);
                Assert.Equal(layer.Run(DynamicGemmPath.Scalar, Activation.None), layer.Run(path, Activation.None));
            }
        }
    }

    [Fact]
    public void Seven_bit_rows_are_the_row_formula_with_127_codes()
    {
        var random = new Random(21);
        foreach (int length in new[] { 1, 7, 33, 384, 1000 })
        {
            var row = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() - 0.3) * 10)).ToArray();
            var q = new byte[length];
            var (scale, zeroPoint) = Kernels.QuantizeRowU7Dynamic(row, q, SimdLevel.Vector512);
            float lo = Math.Min(0f, row.Min()), hi = Math.Max(0f, row.Max());
            Assert.Equal((hi - lo) / 127f, scale);
            Assert.Equal((int)Math.Clamp(MathF.Round(-lo / scale), 0f, 127f), zeroPoint);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal((byte)Math.Clamp(MathF.Round(row[i] / scale) + zeroPoint, 0f, 127f), q[i]);
            }

            Assert.True(q.Contains((byte)127) || q.Contains((byte)0), "the row reaches an end of the code range");
        }
    }

    [Fact]
    public void Seven_bit_paths_refuse_weights_outside_63_and_8_bit_layers()
    {
        var weights = new sbyte[] { 1, -63, 63, 64 };
        Assert.Throws<ArgumentException>(() => Kernels.PackDynamicGemmWeights(weights, 1, 4, DynamicGemmPath.Scalar, sevenBit: true));
        Assert.Throws<ArgumentException>(() => Kernels.PackDynamicGemmWeights(weights, 1, 4, DynamicGemmPath.Avx512SevenBit));
        Assert.Throws<ArgumentException>(() => Kernels.PackDynamicGemmWeights(weights, 1, 4, DynamicGemmPath.Avx2SevenBit));
        Assert.False(Kernels.AreSevenBitWeights([-64]));
        Assert.True(Kernels.AreSevenBitWeights([-63, 0, 63]));
    }

    [Fact]
    public void The_scalar_twin_is_the_formula_with_exact_integer_accumulators()
    {
        var random = new Random(3);
        foreach (var (n, k) in new[] { (5, 7), (64, 384), (33, 100) })
        {
            var layer = Layer.Random(random, 6, n, k);
            var actual = layer.Run(DynamicGemmPath.Scalar, Activation.None);
            var colSum = new long[n];
            for (int c = 0; c < n; c++)
            {
                for (int i = 0; i < k; i++)
                {
                    colSum[c] += layer.W[(c * k) + i];
                }
            }

            for (int m = 0; m < 6; m++)
            {
                var codes = new byte[k];
                var (scale, zeroPoint) = Kernels.QuantizeRowU8Dynamic(layer.X.AsSpan(m * k, k), codes, SimdLevel.Scalar);
                for (int c = 0; c < n; c++)
                {
                    long acc = 0;
                    for (int i = 0; i < k; i++)
                    {
                        acc += codes[i] * (long)layer.W[(c * k) + i];
                    }

                    float expected = ((float)(acc - (zeroPoint * colSum[c])) * (scale * layer.ColScale[c])) + layer.Bias[c];
                    Assert.Equal(expected, actual[(m * n) + c]);
                }
            }
        }
    }

    [Fact]
    public void Outputs_are_within_quantization_error_of_the_float_product()
    {
        var random = new Random(5);
        const int Rows = 9, N = 384, K = 384;
        var layer = Layer.Random(random, Rows, N, K);
        var actual = layer.Run(Kernels.ChooseDynamicGemmPath(SimdLevel.Vector512), Activation.None);
        for (int m = 0; m < Rows; m++)
        {
            var row = layer.X.AsSpan(m * K, K);
            float range = Math.Max(0, row.ToArray().Max()) - Math.Min(0, row.ToArray().Min());
            for (int c = 0; c < N; c++)
            {
                double exact = layer.Bias[c], bound = 0;
                for (int i = 0; i < K; i++)
                {
                    double w = layer.W[(c * K) + i] * (double)layer.ColScale[c];
                    exact += row[i] * w;
                    bound += Math.Abs(w);
                }

                // Each code is within half a step (range / 255) of its value, plus float rounding in the epilogue.
                Assert.InRange(actual[(m * N) + c], exact - (bound * range / 255 * 0.5) - 1e-4, exact + (bound * range / 255 * 0.5) + 1e-4);
            }
        }
    }

    [Theory]
    [MemberData(nameof(VectorPaths))]
    public void Channel_slices_write_what_the_whole_product_writes(string pathName)
    {
        var (path, sevenBit) = Parse(pathName);
        var random = new Random(8);
        var layer = Layer.Random(random, 11, 200, 96, sevenBit);
        var weights = Kernels.PackDynamicGemmWeights(layer.W, 200, 96, path, sevenBit);
        var whole = layer.Run(path, Activation.Gelu);
        var sliced = new float[whole.Length];
        var scratch = new byte[weights.ScratchBytes(11)];
        int tile = weights.TileChannels;
        for (int first = 0; first < 200; first += 3 * tile)
        {
            int end = Math.Min(200, first + (3 * tile));
            Kernels.GemmU8S8F32Dynamic(layer.X, 11, weights, layer.ColScale, layer.Bias, Activation.Gelu, float.NegativeInfinity, float.PositiveInfinity, first, end, sliced, scratch);
        }

        Assert.Equal(whole, sliced);
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Row_quantization_is_the_same_at_every_level(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(12);
        float[][] rows =
        [
            [],
            [0f],
            [-0f, 0f, -0f],
            [float.NaN, 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f],
            [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, float.PositiveInfinity, 9f],
            [.. Enumerable.Range(0, 40).Select(i => i == 17 ? float.NaN : i - 20.5f)],
            [.. Enumerable.Range(0, 35).Select(i => i == 3 ? float.NegativeInfinity : i * 0.37f)],
            .. Enumerable.Range(0, 20).Select(i => Enumerable.Range(0, i * 13).Select(_ => (float)((random.NextDouble() - 0.3) * Math.Pow(10, random.Next(-3, 4)))).ToArray()),
        ];
        foreach (var row in rows)
        {
            var expected = new byte[row.Length];
            var actual = new byte[row.Length];
            var a = Kernels.QuantizeRowU8Dynamic(row, expected, SimdLevel.Scalar);
            var b = Kernels.QuantizeRowU8Dynamic(row, actual, simd);
            Assert.Equal(a, b);
            Assert.Equal(expected, actual);
            Assert.Equal(Kernels.MinMaxF32(row, SimdLevel.Scalar), Kernels.MinMaxF32(row, simd));
            Assert.Equal(Kernels.QuantizeRowU7Dynamic(row, expected, SimdLevel.Scalar), Kernels.QuantizeRowU7Dynamic(row, actual, simd));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void The_chosen_path_never_exceeds_the_level_and_runs_here()
    {
        Assert.Equal(DynamicGemmPath.Scalar, Kernels.ChooseDynamicGemmPath(SimdLevel.Scalar));
        Assert.Equal(DynamicGemmPath.Scalar, Kernels.ChooseDynamicGemmPath(SimdLevel.Vector128));
        Assert.NotEqual(DynamicGemmPath.Avx512Pairs, Kernels.ChooseDynamicGemmPath(SimdLevel.Vector256));
        Assert.Equal(DynamicGemmPath.Scalar, Kernels.ChooseDynamicGemmPath(SimdLevel.Vector128, sevenBit: true));
        Assert.NotEqual(DynamicGemmPath.Avx512SevenBit, Kernels.ChooseDynamicGemmPath(SimdLevel.Vector256, sevenBit: true));
        foreach (var level in Enum.GetValues<SimdLevel>())
        {
            Assert.True(Kernels.IsSupported(Kernels.ChooseDynamicGemmPath(level)));
            Assert.True(Kernels.IsSupported(Kernels.ChooseDynamicGemmPath(level, sevenBit: true)));
            Assert.True(Kernels.Handles(Kernels.ChooseDynamicGemmPath(level), sevenBit: false));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_call_allocates_nothing(bool sevenBit)
    {
        var layer = Layer.Random(new Random(1), 16, 384, 384, sevenBit);
        var weights = Kernels.PackDynamicGemmWeights(layer.W, 384, 384, Kernels.ChooseDynamicGemmPath(SimdLevel.Vector512, sevenBit), sevenBit);
        var scratch = new byte[weights.ScratchBytes(16)];
        var y = new float[16 * 384];
        Assert.Equal(0, Allocations.SteadyState(50, () =>
            Kernels.GemmU8S8F32Dynamic(layer.X, 16, weights, layer.ColScale, layer.Bias, Activation.Gelu, float.NegativeInfinity, float.PositiveInfinity, 0, 384, y, scratch)));
    }

    private static int FirstDifference(float[] a, float[] b)
    {
        for (int i = 0; i < a.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed record Layer(int Rows, int N, int K, float[] X, sbyte[] W, float[] ColScale, float[] Bias, bool SevenBit = false)
    {
        public static Layer Random(Random random, int rows, int n, int k, bool sevenBit = false)
        {
            // Rows of different magnitudes and signs (a transformer's tokens), some all positive.
            var x = new float[rows * k];
            for (int m = 0; m < rows; m++)
            {
                double magnitude = LogUniform(random, 0.01, 30), offset = m % 4 == 3 ? magnitude : 0;
                for (int i = 0; i < k; i++)
                {
                    x[(m * k) + i] = (float)(offset + (magnitude * ((random.NextDouble() * 2) - 1)));
                }
            }

            var w = RandomSBytes(random, n * k);
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = sevenBit ? (sbyte)(w[i] >> 1 == -64 ? -63 : w[i] >> 1) : w[i] == sbyte.MinValue ? (sbyte)-127 : w[i];
            }

            var colScale = Enumerable.Range(0, n).Select(_ => (float)LogUniform(random, 1e-4, 1e-1)).ToArray();
            var bias = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            return new Layer(rows, n, k, x, w, colScale, bias, sevenBit);
        }

        public float[] Run(DynamicGemmPath path, Activation activation)
        {
            var weights = Kernels.PackDynamicGemmWeights(W, N, K, path, SevenBit);
            var y = new float[Rows * N];
            Kernels.GemmU8S8F32Dynamic(X, Rows, weights, ColScale, Bias, activation, float.NegativeInfinity, float.PositiveInfinity, 0, N, y, new byte[weights.ScratchBytes(Rows)]);
            return y;
        }
    }
}
