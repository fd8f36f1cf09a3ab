using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Tests.Onnx;

/// <summary>
/// Malformed models end in a coded model error naming the tensor or node, before anything is allocated
/// from their sizes (issue 13). The models are in <see cref="HostileOnnxModels"/>.
/// </summary>
public class HostileOnnxModelTests
{
    /// <summary>Far below what any of the hostile models asked for (0.5 to 12 GB), far above what checking them takes.</summary>
    private const long AllocationBound = 64L << 20;

    public static TheoryData<string> Cases() => [.. HostileOnnxModels.All.Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hostile_model_ends_in_its_coded_model_error_naming_the_node_without_allocating_from_its_sizes(string name)
    {
        var model = HostileOnnxModels.All.Single(m => m.Name == name);
        string path = Write(model.Build());
        try
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var error = Assert.Throws<OnnxModelException>(() => OnnxFrontEnd.Load(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.True(error.Code == model.Code, $"{model.What}: {error.Code} instead of {model.Code}: {error.Message}");
            Assert.Contains($"'{model.Mentions}'", error.Message);
            Assert.Contains(path, error.Message);
            Assert.True(allocated < AllocationBound, $"{model.What}: {allocated:N0} bytes allocated before the error");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Every_hostile_model_ends_in_a_documented_model_error_code()
    {
        string diagnostics = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "diagnostics.md"));
        Assert.All(HostileOnnxModels.All, m => Assert.Contains($"| {m.Code} | error | engine |", diagnostics));
        Assert.Equal(HostileOnnxModels.All.Count, HostileOnnxModels.All.Select(m => m.Name).Distinct().Count());
    }

    /// <summary>Found by the fuzzer: Google.Protobuf throws ArgumentOutOfRangeException for this, which the CLI would report as a bad option.</summary>
    [Fact]
    public void Length_prefix_near_int_max_is_BOPT1002_not_an_argument_error()
    {
        // A graph holding a node of 2^31-1 bytes that holds an input name of 5,120 bytes.
        string path = Write([0x08, 0x07, 0x3A, 0x0A, 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x0A, 0x80, 0x28, 0x61]);
        try
        {
            var error = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path));
            Assert.Equal("BOPT1002", error.Code);
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Sparse_initializer_becomes_the_dense_weight_of_a_matmul()
    {
        var builder = new OnnxModelBuilder();
        builder.Graph.SparseInitializer.Add(HostileOnnxModels.Sparse("w", [4, 2], [1, 6], [5f, 7f]));
        builder.Node("MatMul", "mm", ["x", "w"], ["y"]).Output("y", 2);
        var network = Lower(builder);

        var dense = Assert.IsType<DenseLayer>(Assert.Single(network.Layers));
        // w = [[0,5],[0,0],[0,0],[7,0]] as [K=4, N=2]; Dense rows are per output: [0,0,0,7] and [5,0,0,0].
        Assert.Equal([0, 0, 0, 7, 5, 0, 0, 0], dense.Weights);
    }

    [Fact]
    public void Sparse_initializer_with_coordinates_becomes_the_same_dense_weight()
    {
        var builder = new OnnxModelBuilder();
        builder.Graph.SparseInitializer.Add(HostileOnnxModels.Sparse("w", [4, 2], [0, 1, 3, 0], [5f, 7f], coordinates: true));
        builder.Node("MatMul", "mm", ["x", "w"], ["y"]).Output("y", 2);
        var dense = Assert.IsType<DenseLayer>(Assert.Single(Lower(builder).Layers));
        Assert.Equal([0, 0, 0, 7, 5, 0, 0, 0], dense.Weights);
    }

    [Fact]
    public void Dense_initializer_with_external_data_is_refused_before_anything_reads_it()
    {
        var builder = new OnnxModelBuilder();
        var w = new TensorProto { Name = "w", DataType = 1, Dims = { 4, 2 }, DataLocation = TensorProto.Types.DataLocation.External };
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        builder.Initializer(w).Node("MatMul", "mm", ["x", "w"], ["y"]).Output("y", 2);
        string path = Write(builder.ToBytes());
        try
        {
            var error = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path));
            Assert.Equal("BOPT1004", error.Code);
            Assert.Contains("'w'", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Folding_within_the_budget_still_works_for_range_constant_of_shape_and_negative_steps()
    {
        var builder = new OnnxModelBuilder();
        builder.Scalar("start", 10L).Scalar("limit", -14L).Scalar("delta", -3L).Node("Range", "range", ["start", "limit", "delta"], ["r"]) // 10, 7, ..., -11
            .Int64s("shape", [8]).Node("ConstantOfShape", "cos", ["shape"], ["ones"], OnnxModelBuilder.Attr("value", new TensorProto { DataType = 7, Dims = { 1 }, Int64Data = { 1 } }))
            .Node("Add", "sum", ["r", "ones"], ["sum"]) // 11, 8, ..., -10
            .Int64s("starts", [-1]).Int64s("ends", [long.MinValue]).Int64s("axes", [0]).Int64s("steps", [-1])
            .Node("Slice", "reverse", ["sum", "starts", "ends", "axes", "steps"], ["reversed"]) // -10, -7, ..., 11
            .Node("Cast", "to_float", ["reversed"], ["values"], OnnxModelBuilder.Attr("to", 1L))
            .Int64s("kn", [4, 2]).Node("Reshape", "as_matrix", ["values", "kn"], ["w"])
            .Node("MatMul", "mm", ["x", "w"], ["y"]).Output("y", 2);
        var dense = Assert.IsType<DenseLayer>(Assert.Single(Lower(builder).Layers));
        Assert.Equal([-10f, -4f, 2f, 8f, -7f, -1f, 5f, 11f], dense.Weights); // w = [[-10,-7],[-4,-1],[2,5],[8,11]], one row per output
    }

    private static Network Lower(OnnxModelBuilder builder)
    {
        string path = Write(builder.ToBytes());
        try
        {
            return OnnxFrontEnd.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Write(byte[] model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"hostile-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        return path;
    }
}
