using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Evaluation;

/// <summary>Runs a serialized plan through the Runtime, exactly as the generated class does.</summary>
internal static class PlanOutputs
{
    public static float[] Run(byte[] planBytes, NdArray inputs, int sampleCount)
    {
        var runner = new PlanRunner(ModelPlan.FromBytes(planBytes));
        var outputs = new float[(long)sampleCount * runner.OutputLength];
        for (int s = 0; s < sampleCount; s++)
        {
            runner.Run(inputs.Sample(s), outputs.AsSpan(s * runner.OutputLength, runner.OutputLength));
        }

        return outputs;
    }
}

/// <summary>What kind of output a model has, which decides the metrics that make sense for it.</summary>
internal static class ModelKinds
{
    /// <summary>A single output of [batch, classes] with more than one class: top-1 metrics make sense.</summary>
    public static bool IsClassifier(Network model) => model.Outputs.Count == 1 && model.OutputShape.Length == 1 && model.OutputLength > 1;
}
