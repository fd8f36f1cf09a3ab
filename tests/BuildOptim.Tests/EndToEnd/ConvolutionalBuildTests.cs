using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using BuildOptim.Compression.Reporting;
using BuildOptim.Runtime.Data;
using BuildOptim.TestShared;
using Xunit.Abstractions;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// Convolutional models through the packed BuildOptim, each built once (see
/// <see cref="ConvolutionalApps"/>) and then asserted on from several angles:
/// the real ResNet-18 (CNTK export, opset 8, 224×224) under the cosine gate, and the FashionCnn
/// sample (BatchNorm, depthwise conv, ReLU6, residual add) under the accuracy gate.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ConvolutionalBuildTests : IClassFixture<ConvolutionalApps>
{
    private readonly PackagedBuildFixture _fixture;
    private readonly ConvolutionalApps _apps;
    private readonly ITestOutputHelper _output;

    public ConvolutionalBuildTests(PackagedBuildFixture fixture, ConvolutionalApps apps, ITestOutputHelper output)
    {
        _fixture = fixture;
        _apps = apps;
        _output = output;
    }

    // ---------------------------------------------------------------- ResNet-18

    [Fact]
    public void ResNet18_compresses_in_a_build_past_the_cosine_gate_to_under_a_third_and_a_half_of_its_size()
    {
        BuiltApp app = ResNet18();

        using JsonDocument report = ReadReport(app);
        JsonElement root = report.RootElement;
        double cosine = root.GetProperty("cosine").GetProperty("mean").GetDouble();
        long originalBytes = root.GetProperty("originalBytes").GetInt64();
        long compressedBytes = root.GetProperty("compressedBytes").GetInt64();
        _output.WriteLine($"report: cosine mean {cosine}, {originalBytes:N0} -> {compressedBytes:N0} bytes");

        Assert.True(root.GetProperty("gate").GetProperty("passed").GetBoolean(), root.GetProperty("gate").ToString());
        Assert.Equal("cosine", root.GetProperty("gate").GetProperty("metric").GetString());
        Assert.True(cosine >= 0.99, $"cosine mean {cosine} < 0.99");
        Assert.Equal(new FileInfo(ConvolutionalApps.ResNet18ModelPath).Length, originalBytes);
        Assert.True(compressedBytes < originalBytes / 3.5, $"compressedBytes {compressedBytes} is not below originalBytes / 3.5 = {originalBytes / 3.5:F0}");
    }

    [Fact]
    public void ResNet18_generated_class_outputs_are_bit_identical_to_the_build_time_evaluation()
    {
        BuiltApp app = ResNet18();

        string[][] appOutputs = AppOutputs(app.Run!);
        NdArray buildTime = NpyReader.Read(Path.Combine(app.Artifacts, "evaluation-outputs.npy"));

        Assert.Equal(ConvolutionalApps.ResNet18Samples, buildTime.SampleCount);
        Assert.Equal(512, buildTime.SampleLength);
        Assert.Equal(BitPatterns(buildTime), appOutputs);
        Assert.Equal(appOutputs, AppOutputs(app.Run!, "parallel-output "));
    }

    [Fact]
    public void ResNet18_app_runs_without_allocating_and_ships_no_model_file_nor_native_runtime()
    {
        BuiltApp app = ResNet18();

        Assert.Equal("allocated-bytes-5-runs 0", SingleLine(app.Run!, "allocated-bytes-5-runs "));
        Assert.Equal("allocated-bytes-5-parallel-runs 0", SingleLine(app.Run!, "allocated-bytes-5-parallel-runs "));
        AssertNoModelFileNorNativeRuntime(app.App);
    }

    // ---------------------------------------------------------------- FashionCnn sample

    [Fact]
    public void FashionCnn_builds_through_the_package_past_the_half_point_accuracy_gate()
    {
        BuiltApp app = FashionCnn();

        using JsonDocument report = ReadReport(app);
        JsonElement gate = report.RootElement.GetProperty("gate");
        Assert.True(gate.GetProperty("passed").GetBoolean(), gate.ToString());
        Assert.Equal(0.5, report.RootElement.GetProperty("options").GetProperty("maxAccuracyDrop").GetDouble());
        AssertNoModelFileNorNativeRuntime(app.App);
    }

    [Fact]
    public void FashionCnn_app_accuracy_equals_the_reported_compressed_accuracy_and_runs_without_allocating()
    {
        BuiltApp app = FashionCnn();

        Assert.Equal("allocated-bytes-1000-runs 0", SingleLine(app.Run!, "allocated-bytes-1000-runs "));

        // "correct C of N"
        string[] counts = SingleLine(app.Run!, "correct ").Split(' ');
        int correct = int.Parse(counts[1], CultureInfo.InvariantCulture);
        int samples = int.Parse(counts[3], CultureInfo.InvariantCulture);

        using JsonDocument report = ReadReport(app);
        JsonElement root = report.RootElement;
        double reported = root.GetProperty("compressed").GetProperty("accuracy").GetDouble();
        _output.WriteLine($"app: {correct}/{samples} correct; report: compressed.accuracy {reported}, original.accuracy {root.GetProperty("original").GetProperty("accuracy")}");

        Assert.Equal(samples, root.GetProperty("evaluationSamples").GetInt32());
        Assert.Equal(Math.Round((double)correct / samples, 6), reported);
    }

    [Fact]
    public void FashionCnn_app_outputs_are_bit_identical_to_the_build_time_evaluation()
    {
        BuiltApp app = FashionCnn();

        NdArray buildTime = NpyReader.Read(Path.Combine(app.Artifacts, "evaluation-outputs.npy"));

        Assert.Equal(BitPatterns(buildTime), AppOutputs(app.Run!));
    }

    // ---------------------------------------------------------------- helpers

    private BuiltApp ResNet18() => Require(_apps.ResNet18(_fixture));

    private BuiltApp FashionCnn() => Require(_apps.FashionCnn(_fixture));

    private BuiltApp Require(BuiltApp app)
    {
        _output.WriteLine(app.Timing);
        Assert.True(app.Build.Succeeded, app.Build.ToString());
        Assert.NotNull(app.Run);
        Assert.True(app.Run.Succeeded, app.Run.ToString());
        foreach (string line in Lines(app.Run).Where(l => l.StartsWith("info ", StringComparison.Ordinal)))
        {
            _output.WriteLine("app: " + line["info ".Length..]);
        }
        return app;
    }

    private static JsonDocument ReadReport(BuiltApp app) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(app.Artifacts, "report.json")));

    private static void AssertNoModelFileNorNativeRuntime(TestApp app)
    {
        string bin = Path.Combine(app.Directory, "bin");
        Assert.True(File.Exists(Path.Combine(bin, "Debug", "net10.0", "BuildOptim.Runtime.dll")));
        Assert.Empty(Directory.EnumerateFiles(bin, "*.onnx", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(bin, "*onnxruntime*", SearchOption.AllDirectories));
        Assert.DoesNotContain("OnnxRuntime", File.ReadAllText(Path.Combine(bin, "Debug", "net10.0", "App.deps.json")));
    }

    private static IEnumerable<string> Lines(CommandResult result) =>
        result.Output.Split('\n').Select(l => l.TrimEnd('\r'));

    private static string SingleLine(CommandResult run, string prefix) =>
        Assert.Single(Lines(run), l => l.StartsWith(prefix, StringComparison.Ordinal));

    private static string[][] AppOutputs(CommandResult run, string prefix = "output ") =>
        Lines(run)
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => l.Split(' ').Skip(2).ToArray())
            .ToArray();

    private static string[][] BitPatterns(NdArray outputs) =>
        Enumerable.Range(0, outputs.SampleCount)
            .Select(s => outputs.Sample(s).ToArray()
                .Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture))
                .ToArray())
            .ToArray();
}

/// <summary>An app built once: the build (timed), its first run, and its artifacts folder.</summary>
public sealed record BuiltApp(TestApp App, CommandResult Build, CommandResult? Run, string Artifacts, string Timing);

/// <summary>
/// Builds each convolutional app at most once per test class, on first use (a build costs a minute
/// or more). Needs the collection's <see cref="PackagedBuildFixture"/>, hence the lazy entry points.
/// </summary>
public sealed class ConvolutionalApps
{
    public const int ResNet18Samples = 8;
    private const int ResNet18Side = ResNetInputs.Side;

    private readonly object _lock = new();
    private BuiltApp? _resNet18;
    private BuiltApp? _fashionCnn;

    /// <summary>
    /// ResNet18.onnx from the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18, restored by the
    /// test project (ExcludeAssets="all": never copied to bin) and located through assembly metadata.
    /// </summary>
    public static string ResNet18ModelPath =>
        typeof(ConvolutionalApps).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ResNet18Model").Value!;

    public static string FashionCnnSample => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn");

    public BuiltApp ResNet18(PackagedBuildFixture fixture)
    {
        lock (_lock)
        {
            return _resNet18 ??= BuildResNet18(fixture);
        }
    }

    public BuiltApp FashionCnn(PackagedBuildFixture fixture)
    {
        lock (_lock)
        {
            return _fashionCnn ??= BuildFashionCnn(fixture);
        }
    }

    private static BuiltApp BuildResNet18(PackagedBuildFixture fixture)
    {
        fixture.RequirePackage();
        Assert.True(File.Exists(ResNet18ModelPath), $"ResNet18.onnx is not at '{ResNet18ModelPath}': restore tests/BuildOptim.Tests.");

        TestApp app = TestApp.CreateEmpty(fixture, "resnet18", """
            <ModelToCompress Include="Models/ResNet18.onnx" Calibration="Data/calib.npy" MinCosine="0.99" />
            """);
        Directory.CreateDirectory(Path.Combine(app.Directory, "Models"));
        File.Copy(ResNet18ModelPath, Path.Combine(app.Directory, "Models", "ResNet18.onnx"));
        Directory.CreateDirectory(Path.Combine(app.Directory, "Data"));
        WriteResNetCalibration(app.CalibrationData);
        app.WriteProgram("""
            using System.Diagnostics;
            using BuildOptim.Runtime.Data;
            using E2EApp;

            NdArray inputs = NpyReader.Read(args[0]);
            var model = new ResNet18Model();
            var output = new float[ResNet18Model.OutputLength];

            model.Run(inputs.Sample(0), output); // warm-up
            long start = Stopwatch.GetTimestamp();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                model.Run(inputs.Sample(i % inputs.SampleCount), output);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before; // read before formatting rents a buffer
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            Console.WriteLine($"allocated-bytes-5-runs {allocated}");
            Console.WriteLine($"info {elapsed.TotalMilliseconds / 5:F1} ms per Run (ResNet-18, 224x224, batch 1)");

            for (int s = 0; s < inputs.SampleCount; s++)
            {
                model.Run(inputs.Sample(s), output);
                Console.WriteLine($"output {s} " + string.Join(" ", output.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            }

            // The same class with its convolutions split across two threads.
            var parallel = new ResNet18Model(2);
            // One warm-up run (the JIT's first compilations); the helpers are the instance's own threads, so nothing is
            // allocated after it (on the thread pool, 1,936 B went to its new workers over the next five runs).
            parallel.Run(inputs.Sample(0), output);

            start = Stopwatch.GetTimestamp();
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                parallel.Run(inputs.Sample(i % inputs.SampleCount), output);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            elapsed = Stopwatch.GetElapsedTime(start);
            Console.WriteLine($"allocated-bytes-5-parallel-runs {allocated}");
            Console.WriteLine($"info {elapsed.TotalMilliseconds / 5:F1} ms per Run with parallelism 2");
            for (int s = 0; s < inputs.SampleCount; s++)
            {
                parallel.Run(inputs.Sample(s), output);
                Console.WriteLine($"parallel-output {s} " + string.Join(" ", output.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            }
            """);

        return BuildAndRun(app, "ResNet18", app.CalibrationData);
    }

    private static BuiltApp BuildFashionCnn(PackagedBuildFixture fixture)
    {
        fixture.RequirePackage();
        string model = Path.Combine(FashionCnnSample, "Models", "fashion_cnn.onnx");
        Assert.True(File.Exists(model), $"The FashionCnn sample model is missing: '{model}'.");

        TestApp app = TestApp.CreateEmpty(fixture, "fashion-cnn", """
            <ModelToCompress Include="Models/fashion_cnn.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" MaxAccuracyDrop="0.5" />
            """);
        CopyInto(app, model, "Models/fashion_cnn.onnx");
        CopyInto(app, Path.Combine(FashionCnnSample, "Data", "calib.npy"), "Data/calib.npy");
        CopyInto(app, Path.Combine(FashionCnnSample, "Data", "eval.npz"), "Data/eval.npz");
        app.WriteProgram("""
            using System.Diagnostics;
            using BuildOptim.Runtime.Data;
            using E2EApp;

            IReadOnlyList<NdArray> arrays = NpzReader.Read(args[0]);
            NdArray images = arrays.Single(a => a.Name != "labels");
            int[] labels = arrays.Single(a => a.Name == "labels").ToLabels();
            var model = new FashionCnnModel();
            var output = new float[FashionCnnModel.OutputLength];

            model.Run(images.Sample(0), output); // warm-up
            long start = Stopwatch.GetTimestamp();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                model.Run(images.Sample(i % images.SampleCount), output);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before; // read before formatting rents a buffer
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            Console.WriteLine($"allocated-bytes-1000-runs {allocated}");
            Console.WriteLine($"info {elapsed.TotalMicroseconds / 1000:F1} µs per Run (FashionCnn, batch 1)");

            int correct = 0;
            for (int s = 0; s < images.SampleCount; s++)
            {
                if (model.Predict(images.Sample(s)) == labels[s])
                {
                    correct++;
                }
            }
            Console.WriteLine($"correct {correct} of {images.SampleCount}");

            for (int s = 0; s < images.SampleCount; s++)
            {
                model.Run(images.Sample(s), output);
                Console.WriteLine($"output {s} " + string.Join(" ", output.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            }
            """);

        return BuildAndRun(app, "fashion_cnn", app.EvaluationData);
    }

    /// <summary>
    /// Real Fashion-MNIST images made into ResNet-18 inputs: the first 8 evaluation images,
    /// nearest-neighbour upscaled 28→224, replicated to 3 channels, normalized (x − 0.45) / 0.225.
    /// </summary>
    private static void WriteResNetCalibration(string path)
    {
        string source = Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist", "Data", "eval.npz");
        var data = ResNetInputs.UpscaledFashionImages(source, ResNet18Samples);
        NpyWriter.WriteFloat32(path, data, [ResNet18Samples, 3, ResNet18Side, ResNet18Side]);
    }

    private static void CopyInto(TestApp app, string source, string appPath)
    {
        string destination = Path.Combine(app.Directory, appPath);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Copy(source, destination, overwrite: true);
    }

    /// <summary>Times one build (with MSBuild's performance summary for the breakdown), then runs the app once.</summary>
    private static BuiltApp BuildAndRun(TestApp app, string modelKey, string runArgument)
    {
        var stopwatch = Stopwatch.StartNew();
        CommandResult build = app.Build("-clp:PerformanceSummary");
        stopwatch.Stop();

        string timing = $"{modelKey}: dotnet build took {stopwatch.Elapsed.TotalSeconds:F1} s ({(build.Succeeded ? "succeeded" : "FAILED")})"
            + string.Concat(TaskTimes(build).Select(t => $"\n  {t}"));
        CommandResult? run = build.Succeeded ? app.Run(runArgument) : null;
        return new BuiltApp(app, build, run, app.ArtifactsOf(modelKey), timing);
    }

    /// <summary>The heaviest tasks of MSBuild's "Task Performance Summary" (lines like <c>61234 ms  CompressModel  1 calls</c>).</summary>
    private static IEnumerable<string> TaskTimes(CommandResult build)
    {
        string[] lines = build.Output.Split('\n').Select(l => l.Trim()).ToArray();
        int start = Array.FindIndex(lines, l => l.StartsWith("Task Performance Summary", StringComparison.Ordinal));
        if (start < 0)
        {
            return [];
        }
        return lines.Skip(start + 1)
            .TakeWhile(l => l.Length > 0)
            .Select(l => (Line: l, Parts: l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Where(t => t.Parts.Length >= 3 && t.Parts[1] == "ms" && int.TryParse(t.Parts[0], CultureInfo.InvariantCulture, out _))
            .OrderByDescending(t => int.Parse(t.Parts[0], CultureInfo.InvariantCulture))
            .Take(5)
            .Select(t => $"{t.Parts[2]}: {t.Parts[0]} ms");
    }
}
