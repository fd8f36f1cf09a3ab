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

    private Network Lower(OnnxModelBuilder builder)
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, Guid.NewGuid().ToString("N") + ".onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return OnnxFrontEnd.Load(path);
    }
}
