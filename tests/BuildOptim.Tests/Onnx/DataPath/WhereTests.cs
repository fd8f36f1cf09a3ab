using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Onnx.DataPath;

/// <summary>Where on runtime tensors and constants, as ONNX Runtime computes it.</summary>
public class WhereTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_attention_mask_fills_masked_scores(bool int8)
    {
        // scores [1, 2, 3, 3], mask [1, 1, 1, 3] from the input ids, fill value a constant.
        var scores = Enumerable.Range(0, 18).Select(i => (i % 7) - 3f).ToArray();
        var model = new TypedModel()
            .Input("scores", scores, 1, 2, 3, 3)
            .Input("ids", new long[] { 101, 2023, 0 }, 1, 1, 1, 3)
            .Initializer("pad", new long[] { 0 })
            .Initializer("fill", new[] { -3.4028235e38f })
            .Node("Equal", ["ids", "pad"], ["masked"])
            .Node("Where", ["masked", "fill", "scores"], ["filled"])
            .Output("filled");

        model.AssertMatchesOnnxRuntime(int8);
    }

    [Fact]
    public void Integer_operands_broadcast_three_ways()
    {
        new TypedModel()
            .Input("c", new[] { true, false }, 2, 1)
            .Input("x", new long[] { 1, 2, 3 }, 3)
            .Input("y", new long[] { -7 }, 1)
            .Node("Where", ["c", "x", "y"], ["z"])
            .Output("z", 7)
            .AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Where_on_constants_folds()
    {
        var model = new TypedModel()
            .Input("x", new[] { 1f, 2f, 3f }, 3)
            .Initializer("c", new[] { true, false, true }, 3)
            .Initializer("a", new[] { 10f, 20f, 30f }, 3)
            .Initializer("b", new[] { -1f })
            .Node("Where", ["c", "a", "b"], ["k"])
            .Node("Add", ["x", "k"], ["y"])
            .Output("y");

        Assert.DoesNotContain(model.Lower().Layers, l => l is WhereLayer);
        model.AssertMatchesOnnxRuntime();
    }
}
