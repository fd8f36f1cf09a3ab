using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Onnx.Lowering;
using BuildOptim.Onnx.Passes;

namespace BuildOptim.Tests.Onnx;

/// <summary>
/// FuseLayerNorm and FuseGelu on the PyTorch export of layernorm_mlp.py, FuseHardSwish on the forms MobileNetV3 exports write (nn.LayerNorm and nn.GELU written out at opset 13,
/// and the hand-written forms Keras and user code produce): each pattern becomes one layer, and the outputs stay ONNX
/// Runtime's.
/// </summary>
public sealed class FusionPassTests : ScratchFolderTest
{
    private static Network Raw(string path) => GraphLowering.LowerModel(OnnxModelLoader.Load(path));

    private static float[] Outputs(Network network, int samples = 64)
    {
        var data = DataSets.LoadInputs(Models.LayerNormMlpCalibration, network);
        return Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes, data, samples);
    }

    [Fact]
    public void FuseLayerNorm_makes_each_written_out_layer_norm_one_layer_with_its_epsilon_scale_and_bias()
    {
        var raw = Raw(Models.LayerNormMlp);
        var fused = FuseLayerNorm.Run(raw);

        var norms = fused.Layers.OfType<LayerNormLayer>().ToList();
        Assert.Equal([1e-5f, 1e-6f], norms.Select(n => n.Epsilon));
        Assert.All(norms, n => Assert.Equal((1, 32, 32), (n.Axis, n.Scale.Length, n.Bias!.Length)));
        Assert.Empty(EliminateDeadLayers.Run(fused).Layers.OfType<ReduceLayer>());
        Assert.Equal(raw.Layers.Count - (2 * 8), fused.Layers.Count);

        // The fused layer runs the written-out operations in their order: the outputs do not move by a bit.
        Assert.Equal(Outputs(raw), Outputs(fused));
    }

    [Fact]
    public void FuseGelu_makes_nn_gelu_and_the_hand_written_gelu_one_activation_each()
    {
        var raw = Raw(Models.LayerNormMlp);
        var fused = EliminateDeadLayers.Run(FuseGelu.Run(raw));

        Assert.Equal(2, fused.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.Gelu }));
        Assert.DoesNotContain(fused.Layers, l => l is ActivationLayer { Kind: ActivationKind.Erf });
        AssertClose(Outputs(raw), Outputs(fused), 1e-5);
    }

    [Fact]
    public void Fused_model_runs_as_onnx_runtime_runs_the_original_in_fp32_and_close_in_int8()
    {
        var network = OnnxFrontEnd.Load(Models.LayerNormMlp);
        var data = DataSets.LoadInputs(Models.LayerNormMlpCalibration, network);
        var reference = OrtReference.Run(Models.LayerNormMlp, network, data);
        var ranges = BuildOptim.Compression.Calibration.MinMaxCalibrator.Calibrate(network, data);
        var int8 = Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.Int8, ranges).Bytes, data, data.SampleCount);

        Assert.Equal(2, network.Layers.OfType<LayerNormLayer>().Count());
        Assert.Equal(2, network.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.Gelu }));
        Assert.Equal(3, network.Layers.OfType<DenseLayer>().Count());
        Assert.Equal(7, network.Layers.Count);
        AssertClose(reference, Outputs(network), 1e-5);
        Assert.True(Metrics.Compute(reference, int8, network.OutputLength, null).MeanCosine >= 0.999);
    }

    [Fact]
    public void Patterns_whose_intermediates_are_read_elsewhere_stay_as_they_are()
    {
        // The Erf of a GELU is also a graph output's input, and the mean of a layer norm is read by another layer.
        var builder = new OnnxModelBuilder(opset: 13).Scalar("root2", 1.41421356f).Scalar("one", 1f).Scalar("half", 0.5f)
            .Node("Div", "div", ["x", "root2"], ["t"]).Node("Erf", "erf", ["t"], ["e"]).Node("Add", "add", ["e", "one"], ["a"])
            .Node("Mul", "mul", ["x", "a"], ["m"]).Node("Mul", "mul_half", ["m", "half"], ["g"])
            .Node("ReduceMean", "mean", ["g"], ["u"], OnnxModelBuilder.Attr("axes", new long[] { -1 })).Node("Sub", "sub", ["g", "u"], ["d"])
            .Node("Mul", "square", ["d", "d"], ["s"]).Node("ReduceMean", "variance", ["s"], ["v"], OnnxModelBuilder.Attr("axes", new long[] { -1 }))
            .Node("Add", "epsilon", ["v", "one"], ["ve"]).Node("Sqrt", "root", ["ve"], ["r"]).Node("Div", "normalize", ["d", "r"], ["n"])
            .Node("Add", "reuse_mean", ["n", "u"], ["n2"]).Node("Add", "reuse_erf", ["n2", "e"], ["y"]).Output("y");
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "shared.onnx");
        File.WriteAllBytes(path, builder.ToBytes());

        var network = OnnxFrontEnd.Load(path);

        Assert.Empty(network.Layers.OfType<LayerNormLayer>());
        Assert.DoesNotContain(network.Layers, l => l is ActivationLayer { Kind: ActivationKind.Gelu });
    }

    [Fact]
    public void FuseHardSwish_makes_each_relu6_and_hard_sigmoid_form_of_hard_swish_one_activation()
    {
        // relu6(x + 3) · (1/6) with one Clip(0, 6); (x · relu6(x + 3)) / 6 with Relu then Clip; 3 + x; x · HardSigmoid(x);
        // and a relu6(x + 3) / 6 whose clip is read elsewhere, which stays as it is.
        var builder = new OnnxModelBuilder(opset: 13).Scalar("three", 3f).Scalar("zero", 0f).Scalar("six", 6f).Scalar("sixth", 1f / 6)
            .Node("Add", "a1", ["x", "three"], ["p1"]).Node("Clip", "c1", ["p1", "zero", "six"], ["r1"]).Node("Mul", "s1", ["r1", "sixth"], ["hsig"])
            .Node("Add", "a2", ["three", "x"], ["p2"]).Node("Relu", "relu2", ["p2"], ["q2"]).Node("Clip", "c2", ["q2", "zero", "six"], ["r2"])
            .Node("Mul", "m2", ["x", "r2"], ["xr2"]).Node("Div", "d2", ["xr2", "six"], ["hswish"])
            .Node("HardSigmoid", "hs3", ["x"], ["g3"], OnnxModelBuilder.Attr("alpha", 1f / 6), OnnxModelBuilder.Attr("beta", 0.5f))
            .Node("Mul", "m3", ["g3", "x"], ["hswish3"])
            .Node("Add", "a4", ["x", "three"], ["p4"]).Node("Clip", "c4", ["p4", "zero", "six"], ["r4"]).Node("Div", "d4", ["r4", "six"], ["h4"])
            .Node("Add", "reuse", ["h4", "r4"], ["kept"])
            .Node("Sum", "sum", ["hsig", "hswish", "hswish3", "kept"], ["y"]).Output("y");
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "hard_swish.onnx");
        File.WriteAllBytes(path, builder.ToBytes());

        var raw = Raw(path);
        var fused = EliminateDeadLayers.Run(FuseHardSwish.Run(raw));

        Assert.Equal(2, fused.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.HardSwish }));
        Assert.Equal(1, fused.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.HardSigmoid, Alpha: 1f / 6, Beta: 0.5f }));
        Assert.Equal(1, fused.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.Clip }));
        var data = new BuildOptim.Runtime.Data.NdArray("x", BuildOptim.Runtime.Data.ElementKind.Float32, [16, 4],
            Enumerable.Range(0, 64).Select(i => (i - 32) * 0.25f).ToArray());
        var plan = Compressor.RunPlan(PlanCompiler.Compile(fused, QuantizeMode.None, null).Bytes, data, 16);
        AssertClose(OrtReference.Run(path, fused, data), plan, 1e-6);
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance + (1e-4 * Math.Abs(expected[i])), $"[{i}] {actual[i]} vs {expected[i]}");
        }
    }
}
