using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Onnx.Lowering;
using BuildOptim.Onnx.Passes;

namespace BuildOptim.Tests.Onnx;

/// <summary>Each graph pass on real exported models: it changes the graph as intended and leaves the outputs unchanged.</summary>
public class GraphPassTests
{
    private static string FashionCnn => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Models", "fashion_cnn.onnx");

    private static string FashionCnnEval => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "eval.npz");

    private static Network Raw(string path) => GraphLowering.LowerModel(OnnxModelLoader.Load(path));

    /// <summary>fp32 outputs of a network on the first samples of an evaluation file.</summary>
    private static float[] Outputs(Network network, string evaluation, int samples = 16)
    {
        var data = DataSets.LoadInputs(evaluation, network);
        var plan = PlanCompiler.Compile(network, QuantizeMode.None, null);
        return Compressor.RunPlan(plan.Bytes, data, Math.Min(samples, data.SampleCount));
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 + 1e-4 * Math.Abs(expected[i]), $"[{i}] {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void FoldBatchNorm_removes_every_batch_norm_of_the_pytorch_cnn_without_changing_outputs()
    {
        var raw = Raw(FashionCnn);
        Assert.Equal(4, raw.Layers.OfType<ChannelAffineLayer>().Count());
        var folded = FoldBatchNorm.Run(raw);
        Assert.Empty(folded.Layers.OfType<ChannelAffineLayer>());
        Assert.Equal(raw.Layers.Count - 4, folded.Layers.Count);
        AssertClose(Outputs(raw, FashionCnnEval), Outputs(folded, FashionCnnEval));
    }

    [Fact]
    public void FuseActivation_moves_relu_and_relu6_into_the_convolutions_and_the_residual_add()
    {
        var raw = FoldBatchNorm.Run(Raw(FashionCnn));
        var fused = FuseActivation.Run(raw);
        var convs = fused.Layers.OfType<ConvLayer>().ToList();
        Assert.Contains(convs, c => c.Activation?.Kind == ActivationKind.Relu);
        Assert.Contains(convs, c => c.Activation is { Kind: ActivationKind.Clip, Min: 0, Max: 6 });
        Assert.Contains(fused.Layers.OfType<BinaryLayer>(), b => b is { Kind: BinaryKind.Add, Activation.Kind: ActivationKind.Relu });
        Assert.Empty(fused.Layers.OfType<ActivationLayer>());
        Assert.NotEmpty(raw.Layers.OfType<ActivationLayer>());
        AssertClose(Outputs(raw, FashionCnnEval), Outputs(fused, FashionCnnEval));
    }

    [Fact]
    public void FoldBiasAdd_turns_matmul_plus_add_into_a_dense_bias()
    {
        var raw = Raw(Models.MlpMatMul);
        Assert.Equal(2, raw.Layers.OfType<BinaryLayer>().Count(b => b.Kind == BinaryKind.Add));
        var folded = FoldBiasAdd.Run(raw);
        Assert.Empty(folded.Layers.OfType<BinaryLayer>());
        AssertClose(Outputs(raw, Models.SmallEvaluation), Outputs(folded, Models.SmallEvaluation));
    }

    [Fact]
    public void EliminateDeadLayers_drops_layers_no_output_depends_on()
    {
        var network = Raw(Models.FashionMlp);
        int unused = network.Values.Count;
        network.Values.Add(new NetworkValue(unused, "unused", [1, 10]));
        var withDead = network.With([.. network.Layers, new ActivationLayer { Name = "dead", Inputs = [network.Outputs[0]], Output = unused, Kind = ActivationKind.Tanh }]);
        var cleaned = EliminateDeadLayers.Run(withDead);
        Assert.DoesNotContain(cleaned.Layers, l => l.Name == "dead");
        Assert.Equal(network.Layers.Count, cleaned.Layers.Count);
    }

    [Fact]
    public void Constant_folding_removes_the_pytorch_shape_subgraph()
    {
        var graph = OnnxModelLoader.Load(Models.FashionMlp);
        Assert.Contains(graph.Nodes, n => n.OpType == "Gather");
        var network = Raw(Models.FashionMlp);
        Assert.All(network.Layers, l => Assert.True(l is DenseLayer or ActivationLayer or ReshapeLayer, l.GetType().Name));
        Assert.Single(network.Layers.OfType<ReshapeLayer>());
    }
}
