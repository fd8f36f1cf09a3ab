using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Onnx.DataPath;

/// <summary>Slice, Split, Expand and Tile on runtime tensors (and Split, Expand, Tile on constants), as ONNX Runtime computes them.</summary>
public class SliceTests
{
    private static readonly float[] X = Enumerable.Range(0, 3 * 4 * 5).Select(i => (i * 0.5f) - 7f).ToArray();

    [Theory]
    [InlineData(new long[] { 0, 1 }, new long[] { 2, 3 }, new long[] { 0, 2 }, new long[] { 1, 1 })]
    [InlineData(new long[] { -1, 10 }, new long[] { -4, -100 }, new long[] { 1, 2 }, new long[] { -1, -2 })]
    [InlineData(new long[] { 1 }, new long[] { long.MaxValue }, new long[] { -1 }, new long[] { 2 })]
    [InlineData(new long[] { 2, 0 }, new long[] { 1, 3 }, new long[] { 0, 1 }, new long[] { 1, 1 })]
    [InlineData(new long[] { 2 }, new long[] { long.MinValue }, new long[] { 0 }, new long[] { -1 })]
    public void Slice_of_runtime_data_clamps_and_steps_as_numpy_does(long[] starts, long[] ends, long[] axes, long[] steps)
    {
        var model = new TypedModel()
            .Input("x", X, 3, 4, 5)
            .Initializer("starts", starts, starts.Length)
            .Initializer("ends", ends, ends.Length)
            .Initializer("axes", axes, axes.Length)
            .Initializer("steps", steps, steps.Length)
            .Node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
            .Output("y");

        model.AssertMatchesOnnxRuntime();
        model.AssertMatchesOnnxRuntime(int8: true);
        Assert.Single(model.Lower().Layers.OfType<SliceLayer>());
    }

    [Fact]
    public void Slice_keeps_integer_data_exact()
    {
        new TypedModel()
            .Input("ids", new long[] { 101, 7, 8, 9, 102 }, 1, 5)
            .Initializer("starts", new long[] { 1 }, 1)
            .Initializer("ends", new long[] { -1 }, 1)
            .Initializer("axes", new long[] { 1 }, 1)
            .Node("Slice", ["ids", "starts", "ends", "axes"], ["y"])
            .Output("y", 7)
            .AssertMatchesOnnxRuntime(int8: true);
    }

    [Fact]
    public void Split_by_a_split_input_makes_one_slice_per_output()
    {
        // Attention's fused QKV projection split into Q, K and V.
        var model = new TypedModel(opset: 13)
            .Input("qkv", X, 3, 4, 5)
            .Initializer("split", new long[] { 1, 3, 1 }, 3)
            .Node("Split", ["qkv", "split"], ["q", "k", "v"], Attr("axis", -1L))
            .Output("q")
            .Output("k")
            .Output("v");

        model.AssertMatchesOnnxRuntime();
        model.AssertMatchesOnnxRuntime(int8: true);
        Assert.Equal(3, model.Lower().Layers.OfType<SliceLayer>().Count());
    }

    [Theory]
    [InlineData(11, 0)]
    [InlineData(18, 3)]
    [InlineData(18, 2)]
    public void Split_into_equal_parts_by_attribute_or_num_outputs_with_a_smaller_last_part(int opset, int parts)
    {
        var outputs = Enumerable.Range(0, parts == 0 ? 2 : parts).Select(i => "y" + i).ToArray();
        var model = new TypedModel(opset).Input("x", X, 3, 4, 5);
        var attributes = opset < 13 ? new[] { Attr("axis", 2L), Attr("split", 3L, 2L) } : [Attr("axis", 2L), Attr("num_outputs", (long)parts)];
        model.Node("Split", ["x"], outputs, attributes);
        foreach (string output in outputs)
        {
            model.Output(output);
        }

        model.AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Split_of_a_constant_folds_each_part()
    {
        var model = new TypedModel(opset: 13)
            .Input("x", new[] { 1f, 2f }, 2)
            .Initializer("k", new[] { 10f, 20f, 30f, 40f }, 4)
            .Node("Split", ["k"], ["a", "b"])
            .Node("Add", ["x", "a"], ["ya"])
            .Node("Mul", ["x", "b"], ["yb"])
            .Output("ya")
            .Output("yb");

        Assert.DoesNotContain(model.Lower().Layers, l => l is SliceLayer);
        model.AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void A_split_that_does_not_add_up_is_BOPT1002()
    {
        var model = new TypedModel(opset: 13)
            .Input("x", X, 3, 4, 5)
            .Initializer("split", new long[] { 2, 2 }, 2)
            .Node("Split", ["x", "split"], ["a", "b"])
            .Output("a")
            .Output("b");

        var error = Assert.Throws<OnnxModelException>(model.Lower);
        Assert.Equal(OnnxDiagnostics.InvalidModel, error.Code);
        Assert.Contains("splits an axis of 3 into [2,2]", error.Message);
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 3, 1, 5 })]
    [InlineData(new long[] { 1 })]
    public void Expand_broadcasts_runtime_data_to_a_constant_shape(long[] shape)
    {
        var model = new TypedModel()
            .Input("x", Enumerable.Range(0, 3 * 5).Select(i => i * 1.25f).ToArray(), 3, 1, 5)
            .Initializer("shape", shape, shape.Length)
            .Node("Expand", ["x", "shape"], ["y"])
            .Output("y");

        model.AssertMatchesOnnxRuntime();
        model.AssertMatchesOnnxRuntime(int8: true);
    }

    [Fact]
    public void Expand_of_an_integer_mask_keeps_its_type()
    {
        new TypedModel()
            .Input("mask", new long[] { 1, 1, 0 }, 1, 1, 1, 3)
            .Initializer("shape", new long[] { 1, 2, 3, 3 }, 4)
            .Node("Expand", ["mask", "shape"], ["y"])
            .Output("y", 7)
            .AssertMatchesOnnxRuntime();
    }

    [Theory]
    [InlineData(new long[] { 2, 1, 3 })]
    [InlineData(new long[] { 1, 1, 1 })]
    [InlineData(new long[] { 3, 2, 2 })]
    [InlineData(new long[] { 1, 0, 2 })]
    public void Tile_repeats_runtime_data_along_each_dim(long[] repeats)
    {
        var model = new TypedModel()
            .Input("x", X, 3, 4, 5)
            .Initializer("repeats", repeats, 3)
            .Node("Tile", ["x", "repeats"], ["y"])
            .Output("y");

        model.AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Expand_and_Tile_of_constants_fold()
    {
        var model = new TypedModel()
            .Input("x", new float[2 * 3 * 4], 2, 3, 4)
            .Initializer("k", new[] { 1f, 2f, 3f }, 3, 1)
            .Initializer("shape", new long[] { 2, 3, 1 }, 3)
            .Initializer("repeats", new long[] { 1, 1, 4 }, 3)
            .Node("Expand", ["k", "shape"], ["e"])
            .Node("Tile", ["e", "repeats"], ["t"])
            .Node("Add", ["x", "t"], ["y"])
            .Output("y");

        Assert.DoesNotContain(model.Lower().Layers, l => l is ExpandLayer or TileLayer);
        model.AssertMatchesOnnxRuntime();
    }
}
