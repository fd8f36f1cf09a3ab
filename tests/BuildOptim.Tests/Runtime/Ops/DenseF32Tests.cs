using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Ops;

/// <summary>The fp32 Dense layer over many rows (a transformer's tokens) runs as one matrix product: same results as per row, within fp32 rounding.</summary>
public sealed class DenseF32Tests : ScratchFolderTest
{
    private const int K = 24, N = 19;
    private const int WideN = 100;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(37)]
    public void A_MatMul_by_constant_weights_matches_a_double_reference_for_every_row_count(int rows)
    {
        var random = new Random(rows);
        float[] weights = Enumerable.Range(0, K * N).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] bias = Enumerable.Range(0, N).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] x = Enumerable.Range(0, rows * K).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        float[] y = RunDense(rows, weights, bias, x);

        for (int r = 0; r < rows; r++)
        {
            for (int n = 0; n < N; n++)
            {
                double expected = bias[n];
                for (int k = 0; k < K; k++)
                {
                    expected += (double)x[(r * K) + k] * weights[(k * N) + n];
                }

                Assert.True(Math.Abs(y[(r * N) + n] - expected) < 1e-5, $"row {r}, column {n}: {y[(r * N) + n]} against {expected}");
            }
        }
    }

    /// <remarks>
    /// The matrix product runs the rows in blocks of up to 12 (9 tokens in one, 78 in seven): every output must be the bias
    /// plus the products fused in ascending order, as in the scalar loop, whatever block its row falls in.
    /// </remarks>
    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(78)]
    public void Rows_past_a_multiple_of_16_give_the_fused_scalar_sums_bit_for_bit(int rows)
    {
        var random = new Random(100 + rows);
        float[] weights = Enumerable.Range(0, K * N).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] bias = Enumerable.Range(0, N).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] x = Enumerable.Range(0, rows * K).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        float[] y = RunDense(rows, weights, bias, x);

        for (int r = 0; r < rows; r++)
        {
            for (int n = 0; n < N; n++)
            {
                float expected = bias[n];
                for (int k = 0; k < K; k++)
                {
                    expected = MathF.FusedMultiplyAdd(weights[(k * N) + n], x[(r * K) + k], expected);
                }

                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[(r * N) + n]), $"row {r}, column {n}: {y[(r * N) + n]} against {expected}");
            }
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(9)]
    [InlineData(78)]
    public void A_parallel_runner_splits_the_product_by_panels_and_gives_the_single_thread_outputs_bit_for_bit(int rows)
    {
        // 100 outputs are four panels of 32 (the last one partial); a threshold of 0 splits every such layer.
        var random = new Random(200 + rows);
        float[] weights = Enumerable.Range(0, K * WideN).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] bias = Enumerable.Range(0, WideN).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] x = Enumerable.Range(0, rows * K).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var plan = ModelPlan.FromBytes(CompileDense(rows, WideN, weights, bias));
        using var serial = new PlanRunner(plan);
        var expected = new float[rows * WideN];
        serial.Run(x, expected);

        foreach (int parallelism in new[] { 2, 3, 4 })
        {
            using var runner = new PlanRunner(plan, parallelism, parallelMinimumMacs: 0);
            Assert.NotEmpty(runner.HelperThreads);
            var actual = new float[rows * WideN];
            runner.Run(x, actual);
            Assert.Equal(expected, actual);
            Assert.Equal(0, Allocations.SteadyState(20, () => runner.Run(x, actual)));
        }
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 4)]
    [InlineData(78, 4)]
    public void Two_rows_or_more_pack_the_weights_once_per_plan_into_whole_panels(int rows, int panels)
    {
        // 100 outputs are 4 panels of 32 × K floats (the last one padded with zeros); one row reads the plan's weights in place.
        var random = new Random(300 + rows);
        float[] weights = Enumerable.Range(0, K * WideN).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var plan = ModelPlan.FromBytes(CompileDense(rows, WideN, weights, new float[WideN]));
        using var first = new PlanRunner(plan);
        using var second = new PlanRunner(plan);

        Assert.InRange(first.PreparedBytes, panels * 32L * K * sizeof(float), (panels * 32L * K * sizeof(float)) + 64);
        Assert.Equal(first.PreparedBytes, second.PreparedBytes);
        Assert.Equal(rows == 1 ? 0 : 1, plan.PreparedConstants.Values.Count(v => v is GemmF32Weights)); // the two runners share one packing
    }

    /// <summary>x [rows, K] · W [K, N] + b as an ONNX MatMul and Add, compiled in fp32 (one Dense layer) and run.</summary>
    private float[] RunDense(int rows, float[] weights, float[] bias, float[] x)
    {
        using var runner = new PlanRunner(ModelPlan.FromBytes(CompileDense(rows, N, weights, bias)));
        var y = new float[rows * N];
        runner.Run(x, y);
        return y;
    }

    /// <summary>The fp32 plan of x [rows, K] · W [K, n] + b.</summary>
    private byte[] CompileDense(int rows, int n, float[] weights, float[] bias)
    {
        var builder = new OnnxModelBuilder(features: rows * K)
            .Int64s("shape", [1, rows, K], 3)
            .Floats("W", weights, K, n)
            .Floats("b", bias, n)
            .Int64s("flat", [1, rows * n], 2)
            .Node("Reshape", "tokens", ["x", "shape"], ["t"])
            .Node("MatMul", "project", ["t", "W"], ["m"])
            .Node("Add", "bias", ["m", "b"], ["p"])
            .Node("Reshape", "out", ["p", "flat"], ["y"])
            .Output("y", rows * n);
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, $"dense{rows}x{n}.onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.None, null).Bytes;
    }
}
