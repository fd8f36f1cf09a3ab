using BuildOptim.Compression.Planning;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// Builds small plans op by op with <see cref="PlanWriter"/>, so tests of the generated code do not
/// depend on ONNX lowering or calibration.
/// </summary>
internal static class PlanBytes
{
    /// <summary>A plan with one <see cref="OpKind.DenseF32"/> op: <c>y = act(bias + W·x)</c>, W [N,K] row-major; Relu via the clamp.</summary>
    public static byte[] FullyConnectedF32(float[] weights, float[] bias, int k, int n, Activation activation = Activation.None)
    {
        if (weights.Length != n * k || bias.Length != n)
        {
            throw new ArgumentException($"Expected {n * k} weights and {n} biases.");
        }

        if (activation is not (Activation.None or Activation.Relu))
        {
            throw new ArgumentException("Only None and Relu are fused into DenseF32.", nameof(activation));
        }

        var writer = new PlanWriter();
        int input = writer.AddBuffer(BufferKind.Float32, k);
        int output = writer.AddBuffer(BufferKind.Float32, n);
        float min = activation == Activation.Relu ? 0 : float.NegativeInfinity;
        writer.AddOp(
            new DenseF32Parameters(1, k, n, min, float.PositiveInfinity),
            [input],
            [output],
            writer.AddData<float>(weights),
            writer.AddData<float>(bias));
        writer.AddInput(input, k);
        writer.AddOutput(output, n);
        return writer.ToArray();
    }
}
