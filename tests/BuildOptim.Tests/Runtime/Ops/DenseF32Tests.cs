using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Ops;

/// <summary>The fp32 Dense layer over many rows (a transformer's tokens) runs as one matrix product: same results as per row, within fp32 rounding.</summary>
public sealed class DenseF32Tests : ScratchFolderTest
{
    private const int K = 24, N = 19;

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
    /// The matrix product pads the rows to a multiple of 16 (9 and 78 tokens run as 16 and 80): the padding must change no
    /// output, each being the bias plus the products fused in ascending order, as in the scalar loop.
    /// </remarks>
    [Theory]
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

    /// <summary>x [rows, K] · W [K, N] + b as an ONNX MatMul and Add, compiled in fp32 (one Dense layer) and run.</summary>
    private float[] RunDense(int rows, float[] weights, float[] bias, float[] x)
    {
        var builder = new OnnxModelBuilder(features: rows * K)
            .Int64s("shape", [1, rows, K], 3)
            .Floats("W", weights, K, N)
            .Floats("b", bias, N)
            .Int64s("flat", [1, rows * N], 2)
            .Node("Reshape", "tokens", ["x", "shape"], ["t"])
            .Node("MatMul", "project", ["t", "W"], ["m"])
            .Node("Add", "bias", ["m", "b"], ["p"])
            .Node("Reshape", "out", ["p", "flat"], ["y"])
            .Output("y", rows * N);
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, $"dense{rows}.onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        var plan = PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.None, null).Bytes;
        using var runner = new PlanRunner(ModelPlan.FromBytes(plan));
        var y = new float[rows * N];
        runner.Run(x, y);
        return y;
    }
}
