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

    private Network Lower(OnnxModelBuilder builder)
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, Guid.NewGuid().ToString("N") + ".onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return OnnxFrontEnd.Load(path);
    }
}
