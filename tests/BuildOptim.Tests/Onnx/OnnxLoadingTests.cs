using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Tests.Onnx;

public class OnnxLoadingTests
{
    [Fact]
    public void Sample_model_folds_the_pytorch_shape_subgraph_into_three_dense_layers()
    {
        var graph = OnnxModelLoader.Load(Models.FashionMlp);
        Assert.Equal(13, graph.OpsetVersion);
        Assert.Contains(graph.Nodes, n => n.OpType == "Shape");
        Assert.Contains(graph.Nodes, n => n.OpType == "Concat");

        var model = OnnxFrontEnd.Import(graph);

        Assert.Equal("input", model.InputName);
        Assert.Equal([1, 28, 28], model.InputShape);
        Assert.Equal("logits", model.OutputName);
        Assert.Equal([10], model.OutputShape);
        Assert.True(model.DynamicBatch);
        var dense = model.Layers.OfType<DenseLayer>().ToList();
        Assert.Equal([(784, 256), (256, 128), (128, 10)], dense.Select(d => (d.K, d.N)));
        Assert.Equal(2, dense.Count(d => d.Activation?.Kind == ActivationKind.Relu)); // FuseActivation folded both ReLUs
        Assert.Equal(3, model.Layers.Count(l => l is not ReshapeLayer));
    }

    [Fact]
    public void Flatten_tanh_sigmoid_softmax_model_lowers_in_order()
    {
        var model = Models.Lower(Models.MlpTanh);
        var kinds = model.Layers.Where(l => l is not ReshapeLayer).Select(l => l switch
        {
            DenseLayer d => $"Dense{d.K}x{d.N}",
            ActivationLayer a => a.Kind.ToString(),
            SoftmaxLayer s => $"Softmax{s.AxisSize}",
            _ => "?",
        });
        Assert.Equal(["Dense784x64", "Tanh", "Dense64x32", "Sigmoid", "Dense32x10", "Softmax10"], kinds);
        Assert.Equal("probs", model.OutputName);
    }

    [Fact]
    public void MatMul_plus_Add_is_fused_into_dense_layers_with_bias()
    {
        var model = Models.Lower(Models.MlpMatMul);
        var dense = model.Layers.OfType<DenseLayer>().ToList();
        Assert.Equal(2, dense.Count);
        Assert.Contains(dense[0].Bias, b => b != 0); // FoldBiasAdd moved the Add into the bias
        Assert.DoesNotContain(model.Layers, l => l is BinaryLayer);
        Assert.Equal(ActivationKind.Relu, dense[0].Activation?.Kind);
    }

    [Fact]
    public void Corrupt_file_is_BOPT1002_naming_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"corrupt-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, [0x08, 0x07, 0xFF, 0xFF, 0x12, 0x99, 0x01]);
        try
        {
            var e = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path));
            Assert.Equal("BOPT1002", e.Code);
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_is_BOPT1001()
    {
        var e = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load("/nonexistent/model.onnx"));
        Assert.Equal("BOPT1001", e.Code);
    }

    [Fact]
    public void Unsupported_operator_is_BOPT1003_naming_node_and_op()
    {
        string path = WriteModel(graph =>
        {
            graph.Node.Add(new NodeProto { Name = "my_einsum", OpType = "Einsum", Input = { "x", "w" }, Output = { "y" } });
        });
        try
        {
            var e = Assert.Throws<OnnxModelException>(() => Models.Lower(path));
            Assert.Equal("BOPT1003", e.Code);
            Assert.Contains("'my_einsum'", e.Message);
            Assert.Contains("'Einsum'", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Initializers_listed_as_graph_inputs_are_constants()
    {
        string path = WriteModel(graph =>
        {
            var w = new TensorProto { Name = "w", DataType = 1, Dims = { 4, 2 }, FloatData = { 1, 2, 3, 4, 5, 6, 7, 8 } };
            graph.Initializer.Add(w);
            graph.Input.Add(ValueInfo("w", 4, 2)); // old exporters list initializers as inputs
            graph.Node.Add(new NodeProto { Name = "mm", OpType = "MatMul", Input = { "x", "w" }, Output = { "y" } });
        });
        try
        {
            var model = Models.Lower(path);
            var dense = Assert.IsType<DenseLayer>(Assert.Single(model.Layers));
            Assert.Empty(model.Layers.OfType<ConstantLayer>());
            Assert.Equal([1, 3, 5, 7, 2, 4, 6, 8], dense.Weights); // [N,K] rows from the [K,N] MatMul weight
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Opset_outside_7_to_21_is_BOPT1004()
    {
        string path = WriteModel(graph => graph.Node.Add(new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "y" } }), opset: 6);
        try
        {
            var e = Assert.Throws<OnnxModelException>(() => OnnxModelLoader.Load(path));
            Assert.Equal("BOPT1004", e.Code);
            Assert.Contains("opset 6", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A tiny hand-built model (x: [batch, 4] → y) for error-path tests only.</summary>
    private static string WriteModel(Action<GraphProto> build, int opset = 13)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(ValueInfo("x", null, 4));
        graph.Output.Add(ValueInfo("y", null, 2));
        build(graph);
        var model = new ModelProto { IrVersion = 7, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } } };
        string path = Path.Combine(Path.GetTempPath(), $"toy-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static ValueInfoProto ValueInfo(string name, int? batch, int features)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(batch is { } b ? new TensorShapeProto.Types.Dimension { DimValue = b } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = features });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
