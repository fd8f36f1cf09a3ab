using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Onnx;

/// <summary>How the math operators lower: which layer each form becomes, and the forms that are refused.</summary>
public sealed class MathLoweringTests : ScratchFolderTest
{
    [Fact]
    public void Pow_of_a_scalar_constant_exponent_is_a_pow_activation_of_that_exponent()
    {
        var floatExponent = Lower(new OnnxModelBuilder().Scalar("e", 2f).Node("Pow", "pow", ["x", "e"], ["y"]).Output("y"));
        var intExponent = Lower(new OnnxModelBuilder().Int64s("e", [3], 1).Node("Pow", "pow", ["x", "e"], ["y"]).Output("y"));

        var a = Assert.IsType<ActivationLayer>(Assert.Single(floatExponent.Layers));
        var b = Assert.IsType<ActivationLayer>(Assert.Single(intExponent.Layers));
        Assert.Equal((ActivationKind.Pow, 2f), (a.Kind, a.Alpha));
        Assert.Equal((ActivationKind.Pow, 3f), (b.Kind, b.Alpha));
    }

    [Fact]
    public void An_initializer_read_as_data_stays_a_constant_for_the_nodes_that_need_one_and_becomes_one_layer()
    {
        // One scalar 6 for a Div, a Clip bound and a second Div, as exporters that share constants write it.
        var network = Lower(new OnnxModelBuilder().Scalar("six", 6f)
            .Node("Div", "div", ["x", "six"], ["d"]).Node("Clip", "clip", ["d", "", "six"], ["c"]).Node("Div", "again", ["c", "six"], ["y"]).Output("y"));

        Assert.Equal(6f, Assert.Single(network.Layers.OfType<ActivationLayer>()).Beta);
        Assert.Equal(6f, Assert.Single(network.Layers.OfType<ConstantLayer>()).Data.Single());
        Assert.Equal(2, network.Layers.OfType<BinaryLayer>().Count());
    }

    [Fact]
    public void Pow_of_a_tensor_exponent_broadcasts_in_float()
    {
        var network = Lower(new OnnxModelBuilder().Floats("e", [1f, 2f, 3f, 4f], 4).Node("Pow", "pow", ["x", "e"], ["y"]).Output("y"));

        var pow = Assert.Single(network.Layers.OfType<BinaryMathLayer>());
        Assert.Equal(BinaryMathKind.Pow, pow.Kind);
        Assert.Equal([1, 4], network.Value(pow.Output).Shape);
    }

    [Fact]
    public void Max_and_min_of_several_inputs_combine_left_to_right_and_mean_scales_the_sum_by_the_reciprocal()
    {
        var builder = new OnnxModelBuilder().Floats("a", [1f, 2f, 3f, 4f], 4).Floats("b", [0f], 1);
        var max = Lower(builder.Node("Max", "max", ["x", "a", "b"], ["y"]).Output("y"));
        var mean = Lower(new OnnxModelBuilder().Floats("a", [1f, 2f, 3f, 4f], 4).Floats("b", [0f], 1).Node("Mean", "mean", ["x", "a", "b"], ["y"]).Output("y"));

        Assert.Equal([BinaryMathKind.Max, BinaryMathKind.Max], max.Layers.OfType<BinaryMathLayer>().Select(l => l.Kind));
        Assert.Equal(max.Outputs[0], max.Layers[^1].Output);
        Assert.Equal([BinaryKind.Add, BinaryKind.Add, BinaryKind.Mul], mean.Layers.OfType<BinaryLayer>().Select(l => l.Kind));
        Assert.Contains(mean.Layers.OfType<ConstantLayer>(), k => k.Data is [1f / 3]);
    }

    [Theory]
    [InlineData("Max", new long[] { 1, 2 }, new long[] { 1, 4 })]
    [InlineData("Min", new long[] { 1, 4 }, new long[] { 2, 8 })]
    public void Max_and_min_fold_on_shape_constants(string op, long[] a, long[] b)
    {
        var network = Lower(new OnnxModelBuilder().Int64s("a", a).Int64s("b", b).Node(op, "shape", ["a", "b"], ["s"]).Node("Reshape", "reshape", ["x", "s"], ["y"]).Output("y"));

        Assert.Equal([1, 4], network.Value(network.Outputs[0]).Shape);
        Assert.DoesNotContain(network.Layers, l => l is BinaryMathLayer);
    }

    [Fact]
    public void Reduction_over_axes_that_are_not_adjacent_is_one_layer_per_run_innermost_first_then_drops_the_axes()
    {
        var builder = new OnnxModelBuilder { Opset = 18 };
        builder.Graph.Input[0] = OnnxModelBuilder.FloatValue("x", null, 2, 3, 4);
        builder.Int64s("axes", [-1, 1]).Node("ReduceL2", "l2", ["x", "axes"], ["y"], OnnxModelBuilder.Attr("keepdims", 0L));
        builder.Graph.Output.Add(OnnxModelBuilder.FloatValue("y", null, 3));
        var network = Lower(builder);

        var reductions = network.Layers.OfType<ReduceLayer>().ToList();
        Assert.Equal([(ReduceKind.SumSquare, 3), (ReduceKind.Sum, 1)], reductions.Select(r => (r.Kind, r.Axes.Single())));
        Assert.Contains(network.Layers, l => l is ActivationLayer { Kind: ActivationKind.Sqrt });
        Assert.Equal([1, 3], network.Value(network.Outputs[0]).Shape);
    }

    [Theory]
    [InlineData(13, "ReduceMean", false)]
    [InlineData(18, "ReduceMean", true)]
    [InlineData(13, "ReduceSum", true)]
    public void Reduction_axes_are_an_attribute_before_their_opset_and_an_input_from_it(int opset, string op, bool axesInput)
    {
        var builder = new OnnxModelBuilder(opset: opset);
        if (axesInput)
        {
            builder.Int64s("axes", [1]).Node(op, "reduce", ["x", "axes"], ["y"]);
        }
        else
        {
            builder.Node(op, "reduce", ["x"], ["y"], OnnxModelBuilder.Attr("axes", new long[] { 1 }));
        }

        var reduce = Assert.IsType<ReduceLayer>(Assert.Single(Lower(builder.Output("y", 1)).Layers));
        Assert.Equal([1], reduce.Axes);
        Assert.True(reduce.KeepDims);
    }

    [Fact]
    public void Reduction_with_computed_axes_is_BOPT1004_and_no_axes_with_noop_is_a_copy()
    {
        var computed = new OnnxModelBuilder(opset: 18).Node("ReduceMean", "reduce", ["x", "x"], ["y"]).Output("y");
        var noop = Lower(new OnnxModelBuilder(opset: 18).Node("ReduceMax", "reduce", ["x"], ["y"], OnnxModelBuilder.Attr("noop_with_empty_axes", 1L)).Output("y"));

        Assert.Equal(OnnxDiagnostics.UnsupportedModel, Assert.Throws<OnnxModelException>(() => Lower(computed)).Code);
        var copy = Assert.IsType<ReshapeLayer>(Assert.Single(noop.Layers));
        Assert.Equal([1, 4], noop.Value(copy.Output).Shape);
    }

    [Fact]
    public void LayerNormalization_broadcasts_its_scale_to_the_normalized_shape_and_refuses_a_model_that_reads_its_mean()
    {
        OnnxModelBuilder Model(bool readMean)
        {
            var builder = new OnnxModelBuilder(opset: 17).Floats("scale", [2f], 1).Floats("bias", [1f, 2f, 3f, 4f], 1, 4);
            builder.Node("LayerNormalization", "norm", ["x", "scale", "bias"], ["y", "mean", "inv_std"], OnnxModelBuilder.Attr("epsilon", 1e-3f));
            return readMean ? builder.Node("Add", "add", ["y", "mean"], ["z"]).Output("z") : builder.Output("y");
        }

        var norm = Assert.IsType<LayerNormLayer>(Assert.Single(Lower(Model(readMean: false)).Layers));
        var error = Assert.Throws<OnnxModelException>(() => Lower(Model(readMean: true)));

        Assert.Equal((1, 1e-3f), (norm.Axis, norm.Epsilon));
        Assert.Equal([2f, 2f, 2f, 2f], norm.Scale);
        Assert.Equal([1f, 2f, 3f, 4f], norm.Bias!);
        Assert.Equal(OnnxDiagnostics.UnsupportedModel, error.Code);
        Assert.Contains("exposes its Mean or InvStdDev ('mean'); BuildOptim computes Y only.", error.Message);
    }

    private Network Lower(OnnxModelBuilder builder)
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, Guid.NewGuid().ToString("N") + ".onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return OnnxFrontEnd.Load(path);
    }
}
