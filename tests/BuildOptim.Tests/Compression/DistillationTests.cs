using System.Diagnostics;
using System.Text.Json;
using BuildOptim.Compression;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// Knowledge distillation through the engine (<see cref="Compressor.Run(CompressionOptions)"/>): the goals of issue 17
/// on the FashionMnist MLP, the report, determinism, and the errors. The training images are the first 10 000 of
/// Fashion-MNIST's training set (tests/TestData/models/fashion_train.npz, made by make_distillation_data.py).
/// </summary>
public sealed class DistillationTests(ITestOutputHelper output) : ScratchFolderTest
{
    private static string TrainingImages => Path.Combine(TestPaths.TestData, "models", "fashion_train.npz");

    private static string Student => Path.Combine(TestPaths.TestData, "models", "student_784_64_10.onnx");

    [Fact]
    public void Fine_tuning_brings_the_mlp_pruned_to_a_fifth_of_its_neurons_within_one_point_of_the_original()
    {
        var pruned = Models.FashionMlpOptions(Path.Combine(Root, "pruned")) with { Prune = PruneMode.Neurons, Sparsity = 0.8, Gate = GateMode.Off };
        var plain = Compressor.Run(pruned).Report;
        var clock = Stopwatch.StartNew();
        var lines = new List<string>();
        var distilled = Compressor.Run(pruned with { OutputDirectory = Path.Combine(Root, "distilled"), Distill = true, TrainingDataPath = TrainingImages }, lines.Add).Report;
        output.WriteLine($"without Distill: drop {plain.Metrics!.AccuracyDropPoints:F1} pt; with Distill: drop {distilled.Metrics!.AccuracyDropPoints:F1} pt ({clock.Elapsed.TotalSeconds:F1} s)");
        lines.ForEach(output.WriteLine);

        Assert.True(plain.Metrics.AccuracyDropPoints > 2.0, $"without Distill the pruned MLP loses {plain.Metrics.AccuracyDropPoints:F1} pt");
        Assert.True(distilled.Metrics.AccuracyDropPoints <= 1.0, $"with Distill it loses {distilled.Metrics.AccuracyDropPoints:F1} pt");
        Assert.Equal(plain.CompressedBytes, distilled.CompressedBytes);

        var d = distilled.Distillation!;
        Assert.Equal("fashion_mlp.onnx", d.Teacher);
        Assert.Null(d.Student);
        Assert.Equal(9_000, d.TrainingSamples);
        Assert.Equal(1_000, d.HeldBackSamples);
        Assert.True(d.Labels);
        var stage = Assert.Single(d.Stages);
        Assert.Equal("fineTune", stage.Stage);
        Assert.Equal(stage.Epochs.Count, lines.Count);
        Assert.StartsWith("fine-tune epoch 1/10 loss ", lines[0]);
        Assert.True(stage.Epochs.Max(e => e.Agreement) > stage.InitialAgreement);
    }

    [Fact]
    public void An_untrained_student_distilled_from_the_mlp_is_within_two_points_and_its_int8_plan_under_60_KB()
    {
        var options = Models.FashionMlpOptions(Path.Combine(Root, "student")) with
        {
            StudentPath = Student,
            TrainingDataPath = TrainingImages,
            DistillEpochs = 50,
            MaxAccuracyDrop = 2.0,
        };
        var clock = Stopwatch.StartNew();
        var result = Compressor.Run(options, output.WriteLine);
        var report = result.Report;
        output.WriteLine($"teacher {report.Metrics!.OriginalAccuracy:P2}, student int8 {report.Metrics.CompressedAccuracy:P2}, plan {report.CompressedBytes} bytes ({clock.Elapsed.TotalSeconds:F1} s)");

        Assert.True(report.Gate.Passed, report.Gate.Message);
        Assert.True(report.Metrics.AccuracyDropPoints <= 2.0);
        Assert.True(report.CompressedBytes < 60 * 1024, $"{report.CompressedBytes} bytes");
        Assert.Equal("student_784_64_10.onnx", report.Distillation!.Student);
        Assert.Equal("fashion_mlp.onnx", report.Distillation.Teacher);
        Assert.Equal("student", Assert.Single(report.Distillation.Stages).Stage);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(options.OutputDirectory, Compressor.ReportFileName)));
        var distillation = json.RootElement.GetProperty("distillation");
        Assert.Equal("student_784_64_10.onnx", distillation.GetProperty("student").GetString());
        Assert.Equal(9_000, distillation.GetProperty("trainingSamples").GetInt32());
        var epochs = distillation.GetProperty("stages")[0].GetProperty("epochs");
        Assert.Equal(distillation.GetProperty("epochs").GetInt32(), epochs.GetArrayLength());
        Assert.True(epochs[0].GetProperty("loss").GetDouble() > epochs[epochs.GetArrayLength() - 1].GetProperty("loss").GetDouble());
    }

    /// <summary>
    /// Issue 17's CNN goal: the FashionCnn sample (depthwise conv, ReLU6, residual add) with 16 shared weights per
    /// layer is within 0.5 pt of its fp32 original once fine-tuned. The training images are [N,1,28,28], the CNN's
    /// input as they are. An epoch over 9 000 images costs 8–25 s on the 2-core VM (idle to shared), so 2 epochs at
    /// T = 4 (measured: 89.2 % against 89.5 %; without Distill 88.7 %; the defaults, up to 10 epochs at T = 2, stop
    /// early after 7 at 88.8 %: docs/distillation.md).
    /// </summary>
    [Fact]
    public void Fine_tuning_brings_the_cnn_with_16_shared_weights_within_half_a_point_of_the_original()
    {
        var shared = Models.FashionCnnOptions(Path.Combine(Root, "shared")) with { ShareWeights = 16, Gate = GateMode.Off };
        var plain = Compressor.Run(shared).Report;
        var clock = Stopwatch.StartNew();
        var lines = new List<string>();
        var distilled = Compressor.Run(shared with
        {
            OutputDirectory = Path.Combine(Root, "distilled"),
            Distill = true,
            TrainingDataPath = TrainingImages,
            DistillEpochs = 2,
            DistillTemperature = 4,
        }, lines.Add).Report;
        output.WriteLine($"fp32 {plain.Metrics!.OriginalAccuracy:P2}; ShareWeights=16 int8 {plain.Metrics.CompressedAccuracy:P2} (drop {plain.Metrics.AccuracyDropPoints:F1} pt); "
            + $"with Distill {distilled.Metrics!.CompressedAccuracy:P2} (drop {distilled.Metrics.AccuracyDropPoints:F1} pt), {clock.Elapsed.TotalSeconds:F1} s; plan {distilled.CompressedBytes} bytes");
        lines.ForEach(output.WriteLine);

        Assert.True(distilled.Metrics.AccuracyDropPoints <= 0.5, $"with Distill the shared CNN loses {distilled.Metrics.AccuracyDropPoints:F1} pt");
        Assert.True(plain.Metrics.AccuracyDropPoints > distilled.Metrics.AccuracyDropPoints, $"without Distill it loses {plain.Metrics.AccuracyDropPoints:F1} pt");
        Assert.Equal(plain.CompressedBytes, distilled.CompressedBytes);

        var d = distilled.Distillation!;
        Assert.Equal("fashion_cnn.onnx", d.Teacher);
        Assert.Equal(9_000, d.TrainingSamples);
        var stage = Assert.Single(d.Stages);
        Assert.Equal("fineTune", stage.Stage);
        Assert.True(stage.Epochs.Max(e => e.Agreement) > stage.InitialAgreement);
    }

    [Fact]
    public void Magnitude_pruned_weights_stay_pruned_while_the_rest_learns()
    {
        var pruned = Models.FashionMlpOptions(Path.Combine(Root, "pruned")) with { Prune = PruneMode.Magnitude, Sparsity = 0.9, Gate = GateMode.Off };
        var plain = Compressor.Run(pruned).Report;
        var distilled = Compressor.Run(pruned with { OutputDirectory = Path.Combine(Root, "distilled"), Distill = true, TrainingDataPath = TrainingImages }).Report;
        output.WriteLine($"Magnitude 0.9: drop {plain.Metrics!.AccuracyDropPoints:F1} pt without Distill, {distilled.Metrics!.AccuracyDropPoints:F1} pt with");

        Assert.True(distilled.Metrics.AccuracyDropPoints < 5.0 && plain.Metrics.AccuracyDropPoints > 20.0);
        var dense = distilled.Layers.Where(l => l.Summary.Kind.StartsWith("Dense", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, dense.Count);
        Assert.All(dense, l => Assert.True(l.Summary.Sparsity > 0.899, $"{l.Summary.Name}: sparsity {l.Summary.Sparsity}"));
        Assert.Equal(plain.Layers.Select(l => l.Summary.Sparsity), distilled.Layers.Select(l => l.Summary.Sparsity));
    }

    [Fact]
    public void The_same_inputs_give_byte_identical_artifacts()
    {
        var options = new CompressionOptions
        {
            ModelPath = Models.MlpTanh,
            CalibrationPath = Models.SmallCalibration,
            EvaluationPath = Models.SmallEvaluation,
            OutputDirectory = Path.Combine(Root, "a"),
            Prune = PruneMode.Magnitude,
            Sparsity = 0.5,
            ShareWeights = 16,
            Distill = true,
            TrainingDataPath = TrainingImages,
            DistillEpochs = 2,
            Gate = GateMode.Off,
        };
        Compressor.Run(options);
        Compressor.Run(options with { OutputDirectory = Path.Combine(Root, "b") });
        var files = Directory.GetFiles(Path.Combine(Root, "a")).Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal).ToList();
        Assert.Contains(Compressor.PlanFileName, files);
        foreach (string file in files)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Root, "a", file)), File.ReadAllBytes(Path.Combine(Root, "b", file)));
        }

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "a", Compressor.ReportFileName)));
        Assert.Equal("fineTune", json.RootElement.GetProperty("distillation").GetProperty("stages")[0].GetProperty("stage").GetString());
    }

    [Fact]
    public void The_CLI_prints_one_progress_line_per_epoch()
    {
        var stdout = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--gate", "Off", "--distill", "--distill-epochs", "3", "--out", Path.Combine(Root, "cli")],
            stdout, TextWriter.Null);
        Assert.Equal(0, exit);
        var progress = stdout.ToString().Split('\n').Where(l => l.StartsWith(Compressor.ProgressPrefix, StringComparison.Ordinal)).ToList();
        Assert.InRange(progress.Count, 1, 3);
        Assert.Matches(@"^BuildOptim distill: fine-tune epoch 1/3 loss \d+\.\d{4} agreement \d+\.\d{2} % \(\d+\.\d s\)", progress[0]);
    }

    [Fact]
    public void A_student_with_other_shapes_than_the_model_is_BOPT1201()
    {
        Directory.CreateDirectory(Root);
        string student = Path.Combine(Root, "tiny.onnx");
        File.WriteAllBytes(student, new OnnxModelBuilder(4).ReluOutput().ToBytes());
        var e = Assert.Throws<CompressionException>(() => Compressor.Run(Models.FashionMlpOptions(Path.Combine(Root, "out")) with { StudentPath = student }));
        Assert.Equal("BOPT1201", e.Code);
        Assert.Contains("a Student must take and give what 'fashion_mlp.onnx' does", e.Message);
    }

    [Fact]
    public void Evaluating_on_the_training_data_is_warning_BOPT1209()
    {
        var result = Compressor.Run(new CompressionOptions
        {
            ModelPath = Models.MlpTanh, CalibrationPath = Models.SmallCalibration, EvaluationPath = Models.SmallEvaluation,
            TrainingDataPath = Models.SmallEvaluation, Distill = true, DistillEpochs = 1, Gate = GateMode.Warning,
            OutputDirectory = Path.Combine(Root, "out"),
        });
        var warning = Assert.Single(result.Warnings, w => w.Code == "BOPT1209");
        Assert.Contains("evaluated on its TrainingData", warning.Message);
    }

    [Fact]
    public void Distill_without_training_or_calibration_data_is_BOPT1202()
    {
        var e = Assert.Throws<CompressionException>(() => Compressor.Run(new CompressionOptions
        {
            ModelPath = Models.MlpTanh, OutputDirectory = Path.Combine(Root, "out"), Quantize = QuantizeMode.None, Distill = true,
        }));
        Assert.Equal("BOPT1202", e.Code);
        Assert.Contains("TrainingData", e.Message);
    }
}
