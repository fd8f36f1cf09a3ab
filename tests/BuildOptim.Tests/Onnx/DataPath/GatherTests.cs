using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Onnx.DataPath;

/// <summary>Gather on runtime data or indices (embedding lookups, token picks), as ONNX Runtime computes it.</summary>
public class GatherTests
{
    private static readonly float[] Table = Enumerable.Range(0, 10 * 6).Select(i => (i * 0.37f) - 9f).ToArray();

    private static TypedModel Embedding(long[] ids) => new TypedModel()
        .Input("input_ids", ids, 1, ids.Length)
        .Initializer("word_embeddings", Table, 10, 6)
        .Node("Gather", ["word_embeddings", "input_ids"], ["embedded"])
        .Output("embedded");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_embedding_lookup_picks_rows_of_a_constant_table_by_runtime_token_ids(bool int8)
    {
        var model = Embedding([3, 0, 9, -1, 3]);

        model.AssertMatchesOnnxRuntime(int8);
        Assert.Single(model.Lower().Layers.OfType<GatherLayer>());
    }

    [Fact]
    public void A_token_id_beyond_the_table_fails_the_call()
    {
        var network = Embedding([3, 0]).Lower();
        var runner = new PlanRunner(ModelPlan.FromBytes(PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => runner.RunMany([[3f, 10f]], [new float[12]]));

        Assert.Contains("Gather index 10 is outside [-10, 10)", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Runtime_data_is_picked_by_constant_indices_on_any_axis(int axis)
    {
        // With a scalar index, the axis disappears: the [CLS] token of a sequence is x[:, 0].
        var x = Enumerable.Range(0, 2 * 3 * 4).Select(i => i - 7.5f).ToArray();
        new TypedModel()
            .Input("x", x, 2, 3, 4)
            .Initializer("first", new long[] { 0 })
            .Initializer("picks", new long[] { 1, -1, 0, 1 }, 2, 2)
            .Node("Gather", ["x", "first"], ["scalar"], Attr("axis", (long)axis))
            .Node("Gather", ["x", "picks"], ["picked"], Attr("axis", (long)axis))
            .Output("scalar")
            .Output("picked")
            .AssertMatchesOnnxRuntime();
    }

    [Fact]
    public void Runtime_data_is_picked_by_runtime_int32_indices()
    {
        new TypedModel()
            .Input("x", Enumerable.Range(0, 12).Select(i => i * 1.5f).ToArray(), 3, 4)
            .Input("i", new[] { 2, -3, 1 }, 3)
            .Node("Gather", ["x", "i"], ["y"], Attr("axis", 1L))
            .Output("y")
            .AssertMatchesOnnxRuntime(int8: true);
    }

    [Fact]
    public void Integer_data_keeps_its_type()
    {
        var network = new TypedModel()
            .Input("ids", new long[] { 5, 6, 7 }, 3)
            .Initializer("i", new long[] { 2, 0 }, 2)
            .Node("Gather", ["ids", "i"], ["y"])
            .Output("y", 7)
            .Lower();

        Assert.Equal([ElementType.Int64], network.OutputTypes);
    }

    [Fact]
    public void A_constant_index_out_of_range_is_BOPT1002()
    {
        var model = new TypedModel()
            .Input("x", new[] { 1f, 2f, 3f }, 3)
            .Initializer("i", new long[] { 3 }, 1)
            .Node("Gather", ["x", "i"], ["y"])
            .Output("y");

        var error = Assert.Throws<OnnxModelException>(model.Lower);

        Assert.Equal(OnnxDiagnostics.InvalidModel, error.Code);
        Assert.Contains("has an index 3 out of range [-3, 3)", error.Message);
    }
}
