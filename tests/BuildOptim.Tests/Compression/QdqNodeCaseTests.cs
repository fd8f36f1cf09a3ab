using BuildOptim.Compression;
using BuildOptim.Compression.Conformance;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// The QDQ export of each layer type, on the vendored ONNX backend cases of its operators: ONNX Runtime runs the export
/// (unfused, as QDQ semantics define it) and gives the plan's outputs, in int8 within one step of the output's codes and
/// in fp32 (every layer kept in float) within float rounding.
/// </summary>
public sealed class QdqNodeCaseTests
{
    /// <summary>The operators whose cases this runs, as case-name prefixes.</summary>
    private static readonly string[] s_prefixes =
    [
        "test_exp", "test_log", "test_abs", "test_neg", "test_sqrt", "test_reciprocal", "test_erf", "test_gelu", "test_pow",
        "test_max", "test_min", "test_mean", "test_reduce_sum", "test_reduce_mean", "test_reduce_max", "test_reduce_min",
        "test_reduce_sum_square", "test_reduce_l2",
    ];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string directory in ConformanceRunner.FindCases(Path.Combine(TestPaths.TestData, "onnx-node")))
        {
            string name = Path.GetFileName(directory);
            if (s_prefixes.Any(p => name == p || name.StartsWith(p + "_", StringComparison.Ordinal)))
            {
                data.Add(name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Qdq_export_runs_in_onnx_runtime_as_the_plan_runs(string name)
    {
        var c = ConformanceRunner.Load(Path.Combine(TestPaths.TestData, "onnx-node", name));
        var network = c.Network;
        var ranges = ConformanceRunner.Calibrate(network, c.Inputs);
        var everyLayer = network.Layers.Select(l => l.Name).ToHashSet();
        foreach (bool int8 in new[] { true, false })
        {
            var floatLayers = int8 ? null : everyLayer;
            var plan = PlanCompiler.Compile(network, int8 ? QuantizeMode.Int8 : QuantizeMode.None, int8 ? ranges : null);
            var runner = new PlanRunner(ModelPlan.FromBytes(plan.Bytes));
            using var session = new InferenceSession(QdqExporter.Export(network, ranges, floatLayers).ToByteArray(), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
            foreach (var inputs in c.Inputs)
            {
                var planOutputs = network.Outputs.Select(o => new float[network.Value(o).Length]).ToList();
                runner.RunMany(inputs.Select(t => t.Floats!).ToList(), planOutputs);
                var ortOutputs = RunOnnxRuntime(session, network, inputs.Select(t => t.Floats!).ToList());
                for (int o = 0; o < planOutputs.Count; o++)
                {
                    // One code of the output's scale where the plan keeps codes; float rounding otherwise.
                    double step = int8 ? ranges[network.Outputs[o]].ToQuantParams().Scale : 0;
                    for (int i = 0; i < planOutputs[o].Length; i++)
                    {
                        float expected = planOutputs[o][i], actual = ortOutputs[o][i];
                        double allowed = (1.01 * step) + 1e-5 + (1e-4 * Math.Abs(expected));
                        Assert.True(
                            float.IsNaN(expected) ? float.IsNaN(actual) : expected == actual || Math.Abs(expected - actual) <= allowed,
                            $"{name} {(int8 ? "int8" : "fp32")}: output {o}[{i}] is {actual} in ONNX Runtime, {expected} in the plan");
                    }
                }
            }
        }
    }

    private static List<float[]> RunOnnxRuntime(InferenceSession session, Network network, List<float[]> inputs)
    {
        var names = network.Inputs.Select(v => network.Value(v).Name).ToArray();
        var values = network.Inputs.Select((v, i) => OrtValue.CreateTensorValueFromMemory(inputs[i], network.Value(v).Shape.Select(d => (long)d).ToArray())).ToArray();
        try
        {
            using var results = session.Run(new RunOptions(), names, values, network.Outputs.Select(v => network.Value(v).Name).ToArray());
            return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToList();
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }
}
