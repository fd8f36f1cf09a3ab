using System.Globalization;
using System.Text.Json;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Onnx;
using BuildOptim.Runtime.Data;
using BuildOptim.Tests.Compression;
using Xunit.Abstractions;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// The PyTorch model families of tests/TestData/families through the packed BuildOptim in one fresh project with four
/// <c>ModelToCompress</c> items: the MobileNetV3-small in int8 (the default) under the accuracy gate, its hand-written
/// hard-swish twin, the tiny ViT and the log-mel keyword spotter in fp32 (<c>Quantize="None"</c>). The generated classes
/// give ONNX Runtime's outputs (fp32) and the build's own evaluation outputs bit for bit (int8).
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ModelFamilyBuildTests : IClassFixture<ModelFamilyApp>
{
    private readonly PackagedBuildFixture _fixture;
    private readonly ModelFamilyApp _app;
    private readonly ITestOutputHelper _output;

    public ModelFamilyBuildTests(PackagedBuildFixture fixture, ModelFamilyApp app, ITestOutputHelper output)
    {
        _fixture = fixture;
        _app = app;
        _output = output;
    }

    public static TheoryData<string> Fp32Models => ["mobilenet_v3_small_clip", "tiny_vit", "audio_kws"];

    [Theory]
    [MemberData(nameof(Fp32Models))]
    public void Fp32_generated_class_gives_onnx_runtimes_outputs(string model)
    {
        var (build, run) = _app.Get(_fixture);
        Assert.True(build.Succeeded, build.ToString());
        Assert.True(run!.Succeeded, run.ToString());

        string modelPath = ExportedFamilyTests.Family(model + ".onnx");
        var network = OnnxFrontEnd.Load(modelPath);
        var inputs = ModelFamilyApp.Inputs(model, network);
        float[] reference = OrtReference.Run(modelPath, network, inputs);
        float[][] app = ModelFamilyApp.Outputs(run, model);

        Assert.Equal(ModelFamilyApp.Samples, app.Length);
        int length = network.OutputLength;
        for (int s = 0; s < app.Length; s++)
        {
            Assert.Equal(length, app[s].Length);
            for (int i = 0; i < length; i++)
            {
                float expected = reference[(s * length) + i];
                Assert.True(Math.Abs(app[s][i] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{model} sample {s} output {i}: {app[s][i]}, ONNX Runtime {expected}");
            }
        }
    }

    [Fact]
    public void One_build_compresses_the_four_models_at_the_precision_each_item_asks_for()
    {
        var (build, _) = _app.Get(_fixture);
        Assert.True(build.Succeeded, build.ToString());

        string[] summaries = build.Output.Split('\n').Where(l => l.Contains("BuildOptim: ", StringComparison.Ordinal)).Select(l => l.Trim()).ToArray();
        foreach (string line in summaries)
        {
            _output.WriteLine(line);
        }

        Assert.Contains(summaries, l => l.Contains("mobilenet_v3_small.onnx -> MobileNetModel (int8)", StringComparison.Ordinal) && l.Contains("gate passed", StringComparison.Ordinal));
        Assert.Contains(summaries, l => l.Contains("mobilenet_v3_small_clip.onnx -> MobileNetClipModel (float32)", StringComparison.Ordinal));
        Assert.Contains(summaries, l => l.Contains("tiny_vit.onnx -> TinyVitModel (float32)", StringComparison.Ordinal));
        Assert.Contains(summaries, l => l.Contains("audio_kws.onnx -> KeywordSpotterModel (float32)", StringComparison.Ordinal));
    }

    [Fact]
    public void Int8_MobileNetV3_passes_its_gate_and_the_app_computes_the_build_time_evaluation_bit_for_bit()
    {
        var (build, run) = _app.Get(_fixture);
        Assert.True(build.Succeeded, build.ToString());
        string artifacts = _app.App!.ArtifactsOf("mobilenet_v3_small");

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(artifacts, "report.json")));
        var root = report.RootElement;
        _output.WriteLine($"mobilenet_v3_small int8: accuracy {root.GetProperty("original").GetProperty("accuracy")} -> {root.GetProperty("compressed").GetProperty("accuracy")}");
        Assert.True(root.GetProperty("gate").GetProperty("passed").GetBoolean(), root.GetProperty("gate").ToString());
        Assert.Equal("Int8", root.GetProperty("precision").GetString());

        NdArray buildTime = NpyReader.Read(Path.Combine(artifacts, "evaluation-outputs.npy"));
        float[][] app = ModelFamilyApp.Outputs(run!, "mobilenet_v3_small");
        Assert.Equal(ModelFamilyApp.Samples, app.Length);
        for (int s = 0; s < app.Length; s++)
        {
            Assert.Equal(buildTime.Sample(s).ToArray(), app[s]);
        }
    }
}

/// <summary>The app of <see cref="ModelFamilyBuildTests"/>, built and run once, on first use.</summary>
public sealed class ModelFamilyApp
{
    public const int Samples = 8;

    private readonly object _lock = new();
    private (CommandResult Build, CommandResult? Run)? _result;

    public TestApp? App { get; private set; }

    private static string FashionData(string file) => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", file);

    /// <summary>The first <see cref="Samples"/> evaluation inputs of <paramref name="model"/>, as the app reads them.</summary>
    public static NdArray Inputs(string model, BuildOptim.Onnx.Ir.Network network)
    {
        var all = DataSets.LoadInputs(model == "audio_kws" ? ExportedFamilyTests.Family("audio_eval.npz") : FashionData("eval.npz"), network);
        return new NdArray("input", ElementKind.Float32, [Samples, .. all.Shape.Skip(1)], all.Data.AsSpan(0, Samples * all.SampleLength).ToArray());
    }

    /// <summary>The app's lines <c>MODEL SAMPLE x8 x8 ...</c> (float bit patterns) of one model, in sample order.</summary>
    public static float[][] Outputs(CommandResult run, string model) =>
        run.Output.Split('\n').Select(l => l.TrimEnd('\r').Split(' '))
            .Where(parts => parts[0] == model)
            .Select(parts => parts.Skip(2).Select(h => BitConverter.Int32BitsToSingle(int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray())
            .ToArray();

    public (CommandResult Build, CommandResult? Run) Get(PackagedBuildFixture fixture)
    {
        lock (_lock)
        {
            return _result ??= BuildAndRun(fixture);
        }
    }

    private (CommandResult, CommandResult?) BuildAndRun(PackagedBuildFixture fixture)
    {
        fixture.RequirePackage();
        var app = TestApp.CreateEmpty(fixture, "model-families", """
            <ModelToCompress Include="Models/mobilenet_v3_small.onnx" ClassName="MobileNetModel" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" MaxAccuracyDrop="1" />
            <ModelToCompress Include="Models/mobilenet_v3_small_clip.onnx" ClassName="MobileNetClipModel" Quantize="None" Evaluation="Data/eval.npz" />
            <ModelToCompress Include="Models/tiny_vit.onnx" ClassName="TinyVitModel" Quantize="None" Evaluation="Data/eval.npz" />
            <ModelToCompress Include="Models/audio_kws.onnx" ClassName="KeywordSpotterModel" Quantize="None" Evaluation="Data/audio_eval.npz" />
            """);
        foreach (string model in new[] { "mobilenet_v3_small", "mobilenet_v3_small_clip", "tiny_vit", "audio_kws" })
        {
            app.CopyTestData($"families/{model}.onnx", $"Models/{model}.onnx");
        }

        app.CopyTestData("families/audio_eval.npz", "Data/audio_eval.npz");
        Directory.CreateDirectory(Path.Combine(app.Directory, "Data"));
        File.Copy(FashionData("calib.npy"), app.CalibrationData);
        File.Copy(FashionData("eval.npz"), app.EvaluationData);
        app.WriteProgram($$"""
            using BuildOptim.Runtime.Data;
            using E2EApp;

            NdArray images = NpzReader.Read(args[0]).Single(a => a.Name != "labels");
            NdArray audio = NpzReader.Read(args[1]).Single(a => a.Name != "labels");
            var mobileNet = new MobileNetModel();
            var mobileNetClip = new MobileNetClipModel();
            var vit = new TinyVitModel();
            var spotter = new KeywordSpotterModel();
            var output = new float[10];
            for (int s = 0; s < {{Samples}}; s++)
            {
                mobileNet.Run(images.Sample(s), output);
                Print("mobilenet_v3_small", s, output);
                mobileNetClip.Run(images.Sample(s), output);
                Print("mobilenet_v3_small_clip", s, output);
                vit.Run(images.Sample(s), output);
                Print("tiny_vit", s, output);
                spotter.Run(audio.Sample(s), output.AsSpan(0, KeywordSpotterModel.OutputLength));
                Print("audio_kws", s, output.AsSpan(0, KeywordSpotterModel.OutputLength));
            }

            static void Print(string model, int sample, ReadOnlySpan<float> values)
                => Console.WriteLine($"{model} {sample} " + string.Join(" ", values.ToArray().Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            """);

        App = app;
        CommandResult build = app.Build();
        return (build, build.Succeeded ? app.Run(app.EvaluationData, Path.Combine(app.Directory, "Data", "audio_eval.npz")) : null);
    }
}
