using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Onnx.DataPath;

/// <summary>Comparisons and bool connectives on runtime tensors and constants, as ONNX Runtime computes them.</summary>
public class ComparisonTests
{
    [Theory]
    [InlineData("Equal")]
    [InlineData("Less")]
    [InlineData("Greater")]
    [InlineData("LessOrEqual")]
    [InlineData("GreaterOrEqual")]
    public void Comparisons_of_floats_and_of_integers_broadcast_into_bools(string op)
    {
        new TypedModel()
            .Input("x", new[] { 1f, float.NaN, -0f, 3f, 2f, 0f }, 2, 3)
            .Input("y", new[] { 1f, 0f, 2f }, 3)
            .Input("i", new long[] { 5, 0, -3, 7 }, 4, 1)
            .Input("j", new long[] { 0, 5 }, 1, 2)
            .Node(op, ["x", "y"], ["f"])
            .Node(op, ["i", "j"], ["n"])
            .Output("f", 9)
            .Output("n", 9)
            .AssertMatchesOnnxRuntime();
    }

    [Theory]
    [InlineData("And")]
    [InlineData("Or")]
    [InlineData("Xor")]
    public void Connectives_of_bools_broadcast(string op)
    {
        new TypedModel()
            .Input("a", new[] { true, false, true, false, true, true }, 3, 2)
            .Input("b", new[] { true, false }, 2)
            .Node(op, ["a", "b"], ["y"])
            .Output("y", 9)
            .AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Not_negates_a_bool_tensor()
    {
        new TypedModel()
            .Input("a", new[] { true, false, false, true }, 2, 2)
            .Node("Not", ["a"], ["y"])
            .Output("y", 9)
            .AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void A_mask_computed_from_ids_stays_exact_in_an_int8_plan()
    {
        // The padding-mask idiom: ids ≠ pad (Not of Equal), then a float bias where the mask is off.
        var model = new TypedModel()
            .Input("ids", new long[] { 101, 2023, 0, 0 }, 1, 4)
            .Input("x", new[] { 0.5f, -1f, 2f, 3f }, 1, 4)
            .Initializer("pad", new long[] { 0 })
            .Node("Equal", ["ids", "pad"], ["is_pad"])
            .Node("Not", ["is_pad"], ["keep"])
            .Node("Cast", ["keep"], ["keep_f"], OnnxModelBuilder.Attr("to", 1L))
            .Node("Mul", ["x", "keep_f"], ["y"])
            .Output("y")
            .Output("keep", 9);

        model.AssertMatchesOnnxRuntime();
        model.AssertMatchesOnnxRuntime(int8: true, tolerance: 0.05f);
        Assert.Equal([1f, 1f, 0f, 0f], model.RunPlan(int8: true)[1]);
    }

    [Fact]
    public void Comparisons_of_constants_fold_to_bools()
    {
        var model = new TypedModel()
            .Input("x", new[] { 1f, 2f, 3f }, 3)
            .Initializer("a", new long[] { 1, 5, 3 }, 3)
            .Initializer("b", new long[] { 3 })
            .Node("Less", ["a", "b"], ["lt"])
            .Node("Not", ["lt"], ["ge"])
            .Node("Cast", ["ge"], ["ge_f"], OnnxModelBuilder.Attr("to", 1L))
            .Node("Mul", ["x", "ge_f"], ["y"])
            .Output("y");

        Assert.DoesNotContain(model.Lower().Layers, l => l is CompareLayer);
        model.AssertMatchesOnnxRuntime();
    }
}
