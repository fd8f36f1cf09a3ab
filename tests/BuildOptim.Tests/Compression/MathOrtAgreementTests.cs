using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Runtime.Data;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// The math operators against ONNX Runtime on small models written in code, in the forms the vendored backend cases do not
/// hold: the fp32 plan gives ONNX Runtime's outputs within the conformance tolerances.
/// </summary>
public sealed class MathOrtAgreementTests : ScratchFolderTest
{
    public static TheoryData<string> Models => [.. s_models.Keys];

    /// <summary>Each model: its opset, input dims after the batch, its nodes and initializers; the output is y.</summary>
    private static readonly Dictionary<string, (int Opset, int[] Dims, Action<OnnxModelBuilder> Body)> s_models = new()
    {
        ["LayerNorm last axis, bias, epsilon 1e-3"] = (17, [3, 16], b => b.Floats("scale", Ramp(16, 0.5f), 16).Floats("bias", Ramp(16, -1f), 16)
            .Node("LayerNormalization", "norm", ["x", "scale", "bias"], ["y"], Attr("epsilon", 1e-3f))),
        ["LayerNorm axis 1 over [3, 16], no bias"] = (17, [3, 16], b => b.Floats("scale", Ramp(48, 0.1f), 3, 16)
            .Node("LayerNormalization", "norm", ["x", "scale"], ["y"], Attr("axis", 1L))),
        ["Pow 2, 3 and 0.5 of constant exponents"] = (13, [3, 16], b => b.Scalar("two", 2f).Scalar("three", 3f).Scalar("half", 0.5f)
            .Node("Abs", "abs", ["x"], ["a"]).Node("Pow", "square", ["x", "two"], ["s"]).Node("Pow", "cube", ["s", "three"], ["c"])
            .Node("Pow", "root", ["a", "half"], ["r"]).Node("Add", "sum", ["c", "r"], ["y"])),
        ["ReduceMean over axes 1 and 3 without keepdims, then Max and Mean"] = (13, [3, 4, 5], b => b
            .Node("ReduceMean", "mean", ["x"], ["m"], Attr("axes", 1L, 3L), Attr("keepdims", 0L)).Node("Neg", "neg", ["m"], ["n"])
            .Node("Max", "max", ["m", "n"], ["p"]).Node("Mean", "avg", ["p", "m", "n"], ["y"])),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Fp32_plan_gives_onnx_runtimes_outputs(string name)
    {
        var (opset, dims, body) = s_models[name];
        const int samples = 8;
        var (path, network, inputs) = OneInputModel.Write(Root, opset, dims, body, seed: 1541, samples, low: -2, width: 6);
        var expected = OrtReference.Run(path, network, inputs);
        var actual = Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes, inputs, samples);

        AssertClose(expected, actual, $"{name}, fp32 plan against ONNX Runtime");

        // The QDQ export with every layer kept in float is the fp32 plan's arithmetic in ONNX nodes.
        string export = Path.Combine(Root, "model.qdq.onnx");
        QdqExporter.Write(export, network, MinMaxCalibrator.Calibrate(network, inputs), network.Layers.Select(l => l.Name).ToHashSet());
        AssertClose(actual, OrtReference.Run(export, network, inputs), $"{name}, fp32 QDQ export in ONNX Runtime against the plan");
    }

    private static void AssertClose(float[] expected, float[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + (1e-4 * Math.Abs(expected[i])), $"{context}: output {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    private static float[] Ramp(int count, float start) => Enumerable.Range(0, count).Select(i => start + (i * 0.125f)).ToArray();
}
