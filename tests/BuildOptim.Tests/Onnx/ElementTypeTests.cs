using BuildOptim.Compression;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using Onnx;

namespace BuildOptim.Tests.Onnx;

/// <summary>
/// Int64, int32 and bool tensors at run time: held as the exact floats of their values, typed in the IR so that graph inputs
/// and outputs keep their declared types and integers are never quantized.
/// </summary>
public class ElementTypeTests
{
    private static TypedModel IdsAndFeatures() => new TypedModel()
        .Input("input_ids", new long[] { 101, 7592, 2088, 102 }, 1, 4)
        .Input("features", new[] { -1f, 0.5f, 2f, -3f }, 1, 4)
        .Input("mask", new[] { true, false, true, true }, 1, 4)
        .Input("positions", new[] { 0, 1, 2, 3 }, 1, 4)
        .Node("Identity", ["input_ids"], ["ids_out"])
        .Node("Relu", ["features"], ["relu"])
        .Node("Identity", ["mask"], ["mask_out"])
        .Node("Identity", ["positions"], ["positions_out"])
        .Output("ids_out", 7)
        .Output("relu")
        .Output("mask_out", 9)
        .Output("positions_out", 6);

    [Fact]
    public void Graph_inputs_and_outputs_keep_their_declared_element_types()
    {
        var network = IdsAndFeatures().Lower();

        Assert.Equal([ElementType.Int64, ElementType.Float, ElementType.Bool, ElementType.Int32], network.InputTypes);
        Assert.Equal([ElementType.Int64, ElementType.Float, ElementType.Bool, ElementType.Int32], network.OutputTypes);
    }

    [Fact]
    public void Integer_and_bool_tensors_flow_through_a_plan_as_their_exact_values()
    {
        var model = IdsAndFeatures();

        model.AssertMatchesOnnxRuntime();
        Assert.Equal([101f, 7592f, 2088f, 102f], model.RunPlan()[0]);
        Assert.Equal([1f, 0f, 1f, 1f], model.RunPlan()[2]);
    }

    [Fact]
    public void Integer_arithmetic_stays_exact_in_an_int8_plan()
    {
        // Quantized like an activation, an int64 Add would be off by up to half a step of 2^20 / 255.
        var model = new TypedModel()
            .Input("ids", new long[] { 0, 5, 30000, 1 << 20 }, 4)
            .Initializer("offset", new long[] { 2 }, 1)
            .Node("Add", ["ids", "offset"], ["shifted"])
            .Output("shifted", 7);

        model.AssertMatchesOnnxRuntime(int8: true);
        Assert.Equal([2f, 7f, 30002f, (1 << 20) + 2], model.RunPlan(int8: true)[0]);
    }

    [Fact]
    public void Integer_layers_of_an_int8_plan_run_in_float()
    {
        var network = new TypedModel()
            .Input("ids", new long[] { 1, 2, 3, 4 }, 4)
            .Initializer("offset", new long[] { 2 }, 1)
            .Node("Add", ["ids", "offset"], ["shifted"])
            .Output("shifted", 7)
            .Lower();
        var ranges = network.Values.ToDictionary(v => v.Id, _ => new TensorRange(0, 10));

        var plan = PlanCompiler.Compile(network, QuantizeMode.Int8, ranges);

        Assert.All(plan.Layers, l => Assert.Equal("Float32", l.Precision));
    }

    [Fact]
    public void An_output_declared_with_another_type_than_it_computes_is_BOPT1004()
    {
        var model = new TypedModel()
            .Input("x", new[] { 1f, 2f }, 2)
            .Node("Relu", ["x"], ["y"])
            .Output("y", 7);

        var error = Assert.Throws<OnnxModelException>(model.Lower);

        Assert.Equal(OnnxDiagnostics.UnsupportedModel, error.Code);
        Assert.Contains("Output 'y'", error.Message);
        Assert.Contains("declared Int64 but computes Float", error.Message);
    }

    [Fact]
    public void Qdq_export_declares_integer_inputs_outputs_and_constants_with_their_types()
    {
        var network = new TypedModel()
            .Input("ids", new long[] { 1, 2, 3, 4 }, 4)
            .Initializer("offset", new long[] { 2 }, 1)
            .Node("Add", ["ids", "offset"], ["shifted"])
            .Output("shifted", 7)
            .Lower();
        var ranges = network.Values.ToDictionary(v => v.Id, _ => new TensorRange(0, 10));

        var model = QdqExporter.Export(network, ranges);

        Assert.Equal((int)TensorProto.Types.DataType.Int64, model.Graph.Input.Single().Type.TensorType.ElemType);
        Assert.Equal((int)TensorProto.Types.DataType.Int64, model.Graph.Output.Single().Type.TensorType.ElemType);
        Assert.Equal((int)TensorProto.Types.DataType.Int64, model.Graph.Initializer.Single().DataType);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType is "QuantizeLinear" or "DequantizeLinear");
    }
}
