using BuildOptim.Compression;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Tests.Runtime.Ops;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace BuildOptim.Tests.Compression;

/// <summary>The QDQ export of the data-path layers: ONNX Runtime runs it and computes what the int8 plan does.</summary>
public class DataPathExportTests
{
    public static TheoryData<string> Names => new(DataPathOpTests.Models().Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void The_qdq_export_of_each_data_path_op_computes_the_int8_plan_exactly(string name)
    {
        var model = DataPathOpTests.Models().Single(m => m.Name == name).Model;
        var network = model.Lower();
        byte[] qdq = QdqExporter.Export(network, model.Calibrate(network)).ToByteArray();

        var expected = model.RunPlan(int8: true);
        var actual = model.RunOnnxRuntime(qdq, GraphOptimizationLevel.ORT_DISABLE_ALL);

        Assert.Equal(expected.Count, actual.Count);
        for (int o = 0; o < expected.Count; o++)
        {
            Assert.True(expected[o].AsSpan().SequenceEqual(actual[o]), $"{name} output {o}: plan [{string.Join(",", expected[o])}], QDQ [{string.Join(",", actual[o])}]");
        }
    }

    [Fact]
    public void Float_islands_between_int8_layers_export_as_dequantize_float_op_quantize()
    {
        // Mul and Add run on codes; the Slice between them and the masking Where run in float.
        var model = new TypedModel()
            .Input("x", Enumerable.Range(0, 24).Select(i => (i % 9) - 4f).ToArray(), 1, 4, 6)
            .Input("ids", new long[] { 7, 0, 9, 3 }, 1, 4, 1)
            .Initializer("scale", new[] { 0.5f })
            .Initializer("starts", new long[] { 1 }, 1)
            .Initializer("ends", new long[] { 5 }, 1)
            .Initializer("axes", new long[] { 2 }, 1)
            .Initializer("zero", new long[] { 0 })
            .Initializer("fill", new[] { -8f })
            .Node("Mul", ["x", "scale"], ["scaled"])
            .Node("Slice", ["scaled", "starts", "ends", "axes"], ["sliced"])
            .Node("Equal", ["ids", "zero"], ["masked"])
            .Node("Where", ["masked", "fill", "sliced"], ["filled"])
            .Node("Add", ["filled", "filled"], ["y"])
            .Output("y");
        var network = model.Lower();
        var ranges = model.Calibrate(network);
        var precisions = PlanCompiler.Compile(network, QuantizeMode.Int8, ranges).Layers.ToDictionary(l => l.Kind, l => l.Precision);
        Assert.Equal(("Int8", "Float32", "Float32", "Int8"), (precisions["Mul"], precisions["Slice"], precisions["Where"], precisions["Add"]));
        byte[] qdq = QdqExporter.Export(network, ranges).ToByteArray();

        var plan = model.RunPlan(int8: true)[0];
        var exported = model.RunOnnxRuntime(qdq, GraphOptimizationLevel.ORT_DISABLE_ALL)[0];
        var reference = model.RunOnnxRuntime()[0];

        Assert.True(plan.AsSpan().SequenceEqual(exported), $"plan [{string.Join(",", plan)}], QDQ [{string.Join(",", exported)}]");
        Assert.All(plan.Zip(reference), p => Assert.InRange(p.First - p.Second, -0.2f, 0.2f));
    }
}
