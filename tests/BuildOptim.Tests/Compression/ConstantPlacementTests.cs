using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Compression;

/// <summary>Where an int8 plan keeps a constant: as codes only when a layer that runs on codes may read it.</summary>
public class ConstantPlacementTests
{
    private static ModelPlan Int8Plan(string op)
    {
        var network = new TypedModel()
            .Input("x", new[] { 0.5f, -1f, 2f, 3f }, 1, 4)
            .Initializer("k", new[] { 0.25f, 0.5f, 2f, 4f }, 4)
            .Node(op, ["x", "k"], ["y"])
            .Output("y")
            .Lower();
        var ranges = network.Values.ToDictionary(v => v.Id, _ => new TensorRange(-4, 4));
        return ModelPlan.FromBytes(PlanCompiler.Compile(network, QuantizeMode.Int8, ranges).Bytes);
    }

    [Fact]
    public void A_constant_only_float_layers_read_stays_float_instead_of_being_dequantized_every_call()
    {
        var plan = Int8Plan("Div");

        var constant = plan.Ops.ToArray().Single(o => o.Kind == OpKind.Constant);
        Assert.Equal(BufferKind.Float32, plan.Buffers[constant.Outputs[0]].Kind);
        Assert.DoesNotContain(plan.Ops.ToArray(), o => o.Kind == OpKind.DequantizeU8ToF32 && o.Inputs[0] == constant.Outputs[0]);
    }

    [Fact]
    public void A_constant_an_int8_layer_reads_is_stored_as_codes()
    {
        var plan = Int8Plan("Mul");

        var constant = plan.Ops.ToArray().Single(o => o.Kind == OpKind.Constant);
        Assert.Equal(BufferKind.UInt8, plan.Buffers[constant.Outputs[0]].Kind);
    }
}
