using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// Small real PyTorch exports of the model families users bring (tests/TestData/families/README.md): a MobileNetV3-small
/// with hard-swish as PyTorch writes it at opset 13 and as hand-written ReLU6 code exports at opset 11, a tiny ViT at opsets
/// 17 and 14, and a log-mel keyword spotter at opset 15. Each compiles in fp32 to ONNX Runtime's outputs on real inputs, and in
/// int8 (the default) keeps its accuracy on real data.
/// </summary>
public sealed class ExportedFamilyTests(ITestOutputHelper output) : ScratchFolderTest
{
    /// <summary>Each model: its file, calibration data, labelled evaluation data, and the int8 accuracy drop allowed (points).</summary>
    private static readonly Dictionary<string, (string Calibration, string Evaluation, double MaxInt8Drop)> s_models = new()
    {
        ["mobilenet_v3_small.onnx"] = (FashionCalibration, FashionEvaluation, 1.0),
        ["mobilenet_v3_small_clip.onnx"] = (FashionCalibration, FashionEvaluation, 1.0),
        ["tiny_vit.onnx"] = (FashionCalibration, FashionEvaluation, 1.0),
        ["tiny_vit_opset14.onnx"] = (FashionCalibration, FashionEvaluation, 1.0),
        ["audio_kws.onnx"] = (Family("audio_calib.npy"), Family("audio_eval.npz"), 1.0),
    };

    public static TheoryData<string> ModelFiles => [.. s_models.Keys];

    private static string FashionCalibration => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "calib.npy");

    private static string FashionEvaluation => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "eval.npz");

    internal static string Family(string file) => Path.Combine(TestPaths.TestData, "families", file);

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void Fp32_plan_gives_onnx_runtimes_outputs_on_real_inputs(string model)
    {
        var (_, evaluation, _) = s_models[model];
        var options = new CompressionOptions
        {
            ModelPath = Family(model),
            Quantize = QuantizeMode.None,
            EvaluationPath = evaluation,
            OutputDirectory = Path.Combine(Root, "fp32"),
        };

        var result = Compressor.Run(options);

        Assert.True(result.ArtifactsWritten, result.SummaryLine);
        var network = OnnxFrontEnd.Load(options.ModelPath);
        var inputs = DataSets.LoadInputs(evaluation, network);
        float[] reference = OrtReference.Run(options.ModelPath, network, inputs);
        float[] plan = NpyReader.Read(Path.Combine(options.OutputDirectory, Compressor.EvaluationOutputsFileName)).Data;
        Assert.Equal(reference.Length, plan.Length);
        int outputs = network.OutputLength;
        double worstCosine = 1, worstError = 0, largest = 0;
        for (int s = 0; s < inputs.SampleCount; s++)
        {
            var expected = reference.AsSpan(s * outputs, outputs);
            var actual = plan.AsSpan(s * outputs, outputs);
            worstCosine = Math.Min(worstCosine, Cosine(expected, actual));
            for (int i = 0; i < outputs; i++)
            {
                worstError = Math.Max(worstError, Math.Abs(expected[i] - actual[i]));
                largest = Math.Max(largest, Math.Abs(expected[i]));
            }
        }

        output.WriteLine($"{model}: {inputs.SampleCount} samples, worst cosine {worstCosine:F7}, max |error| {worstError:E2}, largest output {largest:F2}");
        // Logits of a few units: the plan's float arithmetic differs from ONNX Runtime's by summation order only.
        Assert.True(worstCosine >= 0.9999, $"{model}: worst cosine {worstCosine} over {inputs.SampleCount} samples");
        Assert.True(worstError <= 2e-5 * Math.Max(1, largest), $"{model}: max |error| {worstError} (largest output {largest})");
        Assert.Equal(1.0, result.Report.Metrics!.Agreement);
    }

    [Theory]
    [MemberData(nameof(ModelFiles))]
    public void Int8_default_compiles_and_keeps_the_accuracy_on_real_data(string model)
    {
        var (calibration, evaluation, maxDrop) = s_models[model];
        var result = Compressor.Run(new CompressionOptions
        {
            ModelPath = Family(model),
            CalibrationPath = calibration,
            EvaluationPath = evaluation,
            MaxAccuracyDrop = maxDrop,
            OutputDirectory = Path.Combine(Root, "int8"),
        });

        var metrics = result.Report.Metrics!;
        output.WriteLine(result.SummaryLine);
        Assert.True(result.Report.Gate.Passed, result.SummaryLine);
        Assert.Equal("Int8", result.Report.Precision);
        Assert.True(metrics.OriginalAccuracy >= 0.75, result.SummaryLine);
        Assert.True(metrics.AccuracyDropPoints <= maxDrop, result.SummaryLine);
        Assert.True(metrics.Agreement >= 0.97, result.SummaryLine);
        if (model != "audio_kws.onnx")
        {
            // Every convolution and fully connected layer runs on codes (the keyword spotter keeps its mel matrix in float: below).
            Assert.All(result.Report.Layers.Where(l => l.Summary.Kind.StartsWith("Conv", StringComparison.Ordinal) || l.Summary.Kind.StartsWith("DepthwiseConv", StringComparison.Ordinal)
                || l.Summary.Kind.StartsWith("Dense", StringComparison.Ordinal)), l => Assert.Equal("Int8", l.Summary.Precision));
        }
    }

    [Fact]
    public void MobileNetV3_hard_swish_in_both_exported_forms_becomes_the_same_layers()
    {
        var opset13 = OnnxFrontEnd.Load(Family("mobilenet_v3_small.onnx"));
        var handWritten = OnnxFrontEnd.Load(Family("mobilenet_v3_small_clip.onnx"));

        // Stem, the expansions and depthwise convolutions of the last three blocks, the last 1x1 conv and the classifier.
        Assert.Equal(9, opset13.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.HardSwish }));
        // The gate of each squeeze-excitation block.
        Assert.Equal(4, opset13.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.HardSigmoid, Alpha: 1f / 6, Beta: 0.5f }));
        Assert.DoesNotContain(handWritten.Layers, l => l is ActivationLayer { Kind: ActivationKind.Clip } || l is BinaryLayer { Kind: BinaryKind.Div });
        Assert.Equal(Kinds(opset13), Kinds(handWritten));
    }

    [Theory]
    [InlineData("tiny_vit.onnx")]
    [InlineData("tiny_vit_opset14.onnx")]
    public void Tiny_vit_lowers_to_layer_norms_gelus_and_attention_matmuls(string model)
    {
        // Opset 17 writes LayerNormalization nodes; opset 14 writes each out, and FuseLayerNorm makes them the same layers.
        var network = OnnxFrontEnd.Load(Family(model));

        Assert.Equal(5, network.Layers.OfType<LayerNormLayer>().Count());
        Assert.Equal(2, network.Layers.Count(l => l is ActivationLayer { Kind: ActivationKind.Gelu }));
        Assert.Equal(2, network.Layers.OfType<SoftmaxLayer>().Count());
        Assert.Equal(4, network.Layers.OfType<MatMulLayer>().Count());
    }

    [Fact]
    public void Audio_front_end_and_written_out_layer_norm_lower_to_conv_matmul_log_reduce_max_and_max()
    {
        var network = OnnxFrontEnd.Load(Family("audio_kws.onnx"));

        Assert.Equal([2000], network.InputShape);
        Assert.Contains(network.Layers, l => l is ConvLayer { KW: 128, StrideW: 64 });
        Assert.Contains(network.Layers, l => l is ActivationLayer { Kind: ActivationKind.Log });
        Assert.Contains(network.Layers, l => l is ReduceLayer);
        Assert.Single(network.Layers.OfType<LayerNormLayer>());
        Assert.Contains(network.Layers, l => l is BinaryMathLayer { Kind: BinaryMathKind.Max });
    }

    [Fact]
    public void Int8_log_mel_front_end_keeps_the_power_the_mel_energies_and_the_log_in_float_and_ONNX_Runtimes_outputs()
    {
        var result = Compressor.Run(new CompressionOptions
        {
            ModelPath = Family("audio_kws.onnx"),
            CalibrationPath = Family("audio_calib.npy"),
            EvaluationPath = Family("audio_eval.npz"),
            OutputDirectory = Path.Combine(Root, "int8"),
        });

        var precision = result.Report.Layers.ToDictionary(l => l.Summary.Name, l => l.Summary.Precision);
        // The STFT convolution's output is signed: it stays on codes. Its power, the mel energies and their log do not.
        Assert.Equal("Int8", precision["/frontend/Conv"]);
        Assert.All(["/frontend/Pow", "/frontend/Pow_1", "/frontend/Add", "/frontend/MatMul", "/frontend/Log"], name => Assert.Equal("Float32", precision[name]));
        // After the log, the classifier is quantized again.
        Assert.All(["/frontend/Sub", "/proj/MatMul", "/dense/MatMul", "/temporal/Conv", "/head/Gemm"], name => Assert.Equal("Int8", precision[name]));
        Assert.True(result.Report.Metrics!.MeanCosine >= 0.999, result.SummaryLine);
    }

    private static List<string> Kinds(Network network) => network.Layers.Select(l => l is ActivationLayer a ? a.Kind.ToString() : l.GetType().Name).ToList();

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }

        return dot / Math.Sqrt(aa * bb);
    }
}
