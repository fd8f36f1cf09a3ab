using BuildOptim.Onnx.Ir;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Onnx.DataPath;

/// <summary>Cast of runtime tensors between float, int64, int32 and bool, and integer Div, as ONNX Runtime computes them.</summary>
public class CastTests
{
    private static readonly float[] Floats = [-2.7f, -1.5f, -0.5f, -0f, 0f, 0.25f, 0.999f, 1f, 2.5f, 3.9f, 1e6f + 0.5f, -7.01f];

    [Theory]
    [InlineData(7, false)]
    [InlineData(6, false)]
    [InlineData(9, false)]
    [InlineData(7, true)]
    [InlineData(9, true)]
    public void Float_to_integer_truncates_and_to_bool_tests_for_zero(int to, bool int8)
    {
        var model = new TypedModel()
            .Input("x", Floats, 3, 4)
            .Node("Cast", ["x"], ["y"], Attr("to", (long)to))
            .Output("y", to);

        model.AssertMatchesOnnxRuntime(int8);
        Assert.Single(model.Lower().Layers.OfType<CastLayer>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(9)]
    public void Int64_converts_to_float_int32_and_bool(int to)
    {
        var model = new TypedModel()
            .Input("ids", new long[] { -3, 0, 1, 2, 16777216, 101 }, 2, 3)
            .Node("Cast", ["ids"], ["y"], Attr("to", (long)to))
            .Output("y", to);

        model.AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void A_bool_mask_cast_to_float_feeds_float_arithmetic()
    {
        // The attention-mask idiom: (1 − float(mask)) · −10000.
        var model = new TypedModel()
            .Input("mask", new long[] { 1, 1, 1, 0, 0 }, 1, 5)
            .Initializer("one", new[] { 1f })
            .Initializer("big", new[] { -10000f })
            .Node("Cast", ["mask"], ["m"], Attr("to", 1L))
            .Node("Sub", ["one", "m"], ["inverted"])
            .Node("Mul", ["inverted", "big"], ["bias"])
            .Output("bias");

        model.AssertMatchesOnnxRuntime();
        model.AssertMatchesOnnxRuntime(int8: true);
    }

    [Fact]
    public void A_cast_that_changes_nothing_the_plan_holds_emits_no_op()
    {
        var model = new TypedModel()
            .Input("ids", new long[] { 4, 5 }, 2)
            .Node("Cast", ["ids"], ["f"], Attr("to", 1L))
            .Node("Relu", ["f"], ["y"])
            .Output("y");

        var plan = BuildOptim.Compression.Planning.PlanCompiler.Compile(model.Lower(), BuildOptim.Compression.QuantizeMode.None, null);

        Assert.DoesNotContain(plan.Layers, l => l.Kind == "Cast");
        model.AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Integer_division_truncates_toward_zero()
    {
        var model = new TypedModel()
            .Input("a", new long[] { 7, -7, 7, -7, 0, 16777215, 9 }, 7)
            .Input("b", new long[] { 2, 2, -2, -2, 5, 3, 9 }, 7)
            .Node("Div", ["a", "b"], ["q"])
            .Output("q", 7);

        model.AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Constant_casts_to_bool_test_for_zero()
    {
        var model = new TypedModel()
            .Input("x", new[] { 1f, 1f, 1f }, 3)
            .Initializer("k", new[] { 0.5f, 0f, -2f }, 3)
            .Node("Cast", ["k"], ["kb"], Attr("to", 9L))
            .Node("Cast", ["kb"], ["kf"], Attr("to", 1L))
            .Node("Mul", ["x", "kf"], ["y"])
            .Output("y");

        model.AssertMatchesOnnxRuntime();
    }
}
