using System.Globalization;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// Packs BuildOptim and builds fresh projects outside the repository with the real SDK, the real
/// task, CLI, generator and runtime. Slow (each build is tens of seconds): filter with
/// <c>--filter Category!=EndToEnd</c> for a quick run.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class PackagedBuildTests
{
    private const string ModelKey = "mlp_tanh";
    private const string SummaryPrefix = "BuildOptim:";
    private const string CacheHit = "[cache hit ";
    private readonly PackagedBuildFixture _fixture;

    public PackagedBuildTests(PackagedBuildFixture fixture)
    {
        _fixture = fixture;
    }

    private TestApp BuiltClassifier()
    {
        _fixture.RequirePackage();
        Assert.True(_fixture.ClassifierBuild!.Succeeded, _fixture.ClassifierBuild.ToString());
        return _fixture.Classifier!;
    }

    [Fact]
    public void Fresh_project_builds_compresses_once_and_embeds_the_plan_without_native_dependencies()
    {
        TestApp app = BuiltClassifier();

        Assert.Single(SummaryLines(_fixture.ClassifierBuild!));
        Assert.True(File.Exists(Path.Combine(_fixture.ClassifierSnapshot!, ModelKey, "model.bopt")));
        Assert.True(_fixture.ClassifierRun!.Succeeded, _fixture.ClassifierRun.ToString());

        string output = Path.Combine(app.Directory, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "BuildOptim.Runtime.dll")));
        Assert.Empty(Directory.EnumerateFiles(output, "*onnxruntime*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(output, "*.onnx", SearchOption.AllDirectories));
        Assert.DoesNotContain("OnnxRuntime", File.ReadAllText(Path.Combine(output, "App.deps.json")));
    }

    [Fact]
    public void App_runs_the_generated_model_without_allocating()
    {
        BuiltClassifier();
        CommandResult run = _fixture.ClassifierRun!;
        Assert.True(run.Succeeded, run.ToString());

        string line = Assert.Single(Lines(run), l => l.StartsWith("allocated-bytes-1000-runs ", StringComparison.Ordinal));
        Assert.Equal("allocated-bytes-1000-runs 0", line);
    }

    [Fact]
    public void App_gets_its_class_names_scores_and_a_pool_through_the_package()
    {
        BuiltClassifier();
        CommandResult run = _fixture.ClassifierRun!;
        Assert.True(run.Succeeded, run.ToString());

        // "label 0 <index> <name> <probability> <class count>": the name may hold spaces, the rest does not.
        string line = Assert.Single(Lines(run), l => l.StartsWith("label 0 ", StringComparison.Ordinal));
        string[] parts = line.Split(' ');
        int index = int.Parse(parts[2], CultureInfo.InvariantCulture);
        Assert.Equal(TestApp.ClassNames[index], string.Join(' ', parts[3..^2]));
        float score = float.Parse(parts[^2], CultureInfo.InvariantCulture);
        Assert.InRange(score, 1f / TestApp.ClassNames.Length, 1f);
        Assert.Equal(TestApp.ClassNames.Length, int.Parse(parts[^1], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void App_outputs_are_bit_identical_to_the_build_time_evaluation()
    {
        BuiltClassifier();
        string[][] app = AppOutputs(_fixture.ClassifierRun!);

        // Written by the CLI during the gate, from the very plan the app embeds.
        NdArray buildTime = NpyReader.Read(Path.Combine(_fixture.ClassifierSnapshot!, ModelKey, "evaluation-outputs.npy"));

        Assert.Equal(BitPatterns(buildTime), app);
    }

    [Fact]
    public void App_outputs_are_bit_identical_to_the_packaged_cli_running_the_plan()
    {
        TestApp app = BuiltClassifier();
        string outputs = Path.Combine(_fixture.Root, "run-plan-outputs.npy");

        CommandResult runPlan = DotNetCli.Run(app.Directory, _fixture.PackagedTool, "run-plan",
            Path.Combine(_fixture.ClassifierSnapshot!, ModelKey, "model.bopt"), "--input", app.EvaluationData, "--out", outputs);

        Assert.True(runPlan.Succeeded, runPlan.ToString());
        Assert.Equal(BitPatterns(NpyReader.Read(outputs)), AppOutputs(_fixture.ClassifierRun!));
    }

    [Fact]
    public void The_app_prints_the_builds_summary_line_that_dotnet_run_hides()
    {
        BuiltClassifier();
        string buildLine = Assert.Single(SummaryLines(_fixture.ClassifierBuild!)).Trim();

        string printed = Assert.Single(Lines(_fixture.ClassifierRun!), l => l.StartsWith("summary ", StringComparison.Ordinal))["summary ".Length..].TrimEnd();

        Assert.StartsWith(SummaryPrefix + " mlp_tanh.onnx -> MlpTanhModel (int8): ", printed);
        Assert.Contains("gate passed", printed);
        Assert.StartsWith(printed + "; report: ", buildLine); // the same line, less the machine's path to report.html
    }

    /// <remarks>Rebuilds the fixture's app; the tests above read what its first build produced.</remarks>
    [Fact]
    public void Build_recompresses_only_when_the_model_data_or_options_change_and_takes_the_rest_from_the_cache()
    {
        TestApp app = BuiltClassifier();
        string plan = app.PlanOf(ModelKey);

        CommandResult noChange = app.Build();
        Assert.True(noChange.Succeeded, noChange.ToString());
        Assert.Empty(SummaryLines(noChange));

        // A comment in the project file changes no option: no work at all.
        app.WriteProject("""
            <!-- The classifier of this app. -->
            <ModelToCompress Include="Models/mlp_tanh.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" ClassNames="Data/classes.txt"  />
            """);
        CommandResult commented = app.Build();
        Assert.True(commented.Succeeded, commented.ToString());
        Assert.Empty(SummaryLines(commented));

        // A touched but unchanged data file: the same content key, so the artifacts come from the cache.
        DateTime before = File.GetLastWriteTimeUtc(plan);
        File.SetLastWriteTimeUtc(app.CalibrationData, DateTime.UtcNow.AddSeconds(2));
        CommandResult dataTouched = app.Build();
        Assert.True(dataTouched.Succeeded, dataTouched.ToString());
        Assert.Contains(CacheHit, Assert.Single(SummaryLines(dataTouched)));
        Assert.True(File.GetLastWriteTimeUtc(plan) > before, "model.bopt was not put in place again after the calibration file was touched");

        // A second configuration: a cache hit, so no engine run (its own build line would not say so), the same plan.
        CommandResult release = app.Build("-c", "Release");
        Assert.True(release.Succeeded, release.ToString());
        string releaseLine = Assert.Single(SummaryLines(release));
        Assert.Contains(CacheHit, releaseLine);
        Assert.Contains("gate passed", releaseLine);
        string releasePlan = Path.Combine(app.Directory, "obj", "Release", "net10.0", "buildoptim", ModelKey, "model.bopt");
        Assert.EndsWith("; report: " + Path.Combine(Path.GetDirectoryName(releasePlan)!, "report.html"), releaseLine.TrimEnd());
        Assert.Equal(File.ReadAllBytes(plan), File.ReadAllBytes(releasePlan));

        // An option change misses the cache: the engine runs.
        app.WriteProject("""
            <ModelToCompress Include="Models/mlp_tanh.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" ClassNames="Data/classes.txt" MaxAccuracyDrop="4.5" />
            """);
        CommandResult metadataChanged = app.Build();
        Assert.True(metadataChanged.Succeeded, metadataChanged.ToString());
        Assert.DoesNotContain(CacheHit, Assert.Single(SummaryLines(metadataChanged)));

        // The ClassNames file is an input of the compression like the data.
        // (Touched now, not in the future: a later build must find its outputs newer than the file.)
        File.SetLastWriteTimeUtc(Path.Combine(app.Directory, "Data", "classes.txt"), DateTime.UtcNow);
        CommandResult namesTouched = app.Build();
        Assert.True(namesTouched.Succeeded, namesTouched.ToString());
        Assert.Single(SummaryLines(namesTouched));

        // No file changes at all: only the options file can tell.
        CommandResult gateChanged = app.Build("-p:BuildOptimGate=Warning");
        Assert.True(gateChanged.Succeeded, gateChanged.ToString());
        Assert.DoesNotContain(CacheHit, Assert.Single(SummaryLines(gateChanged)));

        CommandResult sameGateAgain = app.Build("-p:BuildOptimGate=Warning");
        Assert.True(sameGateAgain.Succeeded, sameGateAgain.ToString());
        Assert.Empty(SummaryLines(sameGateAgain));

        // BuildOptimReportDir is not an option of the compression: an up-to-date build copies both reports there.
        CommandResult reportDir = app.Build("-p:BuildOptimGate=Warning", "-p:BuildOptimReportDir=reports");
        Assert.True(reportDir.Succeeded, reportDir.ToString());
        Assert.Empty(SummaryLines(reportDir));
        Assert.Equal(File.ReadAllBytes(Path.Combine(app.ArtifactsOf(ModelKey), "report.html")), File.ReadAllBytes(Path.Combine(app.Directory, "reports", ModelKey + ".report.html")));
        Assert.True(File.Exists(Path.Combine(app.Directory, "reports", ModelKey + ".report.json")));
    }

    [Fact]
    public void Build_fails_with_BOPT2001_when_accuracy_drops_past_gate_and_leaves_its_reports_and_the_class_signature_in_obj()
    {
        _fixture.RequirePackage();
        TestApp app = TestApp.CreateClassifier(_fixture, "gate-fails", """Prune="Magnitude" Sparsity="0.95" MaxAccuracyDrop="0.05" """);

        CommandResult build = app.Build();

        Assert.False(build.Succeeded, build.ToString());
        string error = Assert.Single(ErrorLines(build).Distinct());
        Assert.Contains("error BOPT2001", error);
        Assert.Contains("Sparsity=0.95 (Magnitude) removes 95 % of the weights", error); // the advice, with its figures
        Assert.False(File.Exists(app.PlanOf(ModelKey)), "a failed gate left model.bopt behind");
        Assert.Contains("\nplan=absent\n", File.ReadAllText(Path.Combine(app.ArtifactsOf(ModelKey), "model.boptgen")));
        Assert.DoesNotContain("CS0246", build.Output);

        // The failing build is the one that needs a diagnosis: both reports stay in obj/, and the build line says where.
        string html = Path.Combine(app.ArtifactsOf(ModelKey), "report.html");
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(app.ArtifactsOf(ModelKey), "report.json")));
        Assert.False(report.RootElement.GetProperty("gate").GetProperty("passed").GetBoolean());
        Assert.Contains("Gate FAILED (BOPT2001)", File.ReadAllText(html));
        string summary = Assert.Single(SummaryLines(build));
        Assert.Contains("gate FAILED: accuracy drop ", summary);
        Assert.EndsWith("; report: " + html, summary.TrimEnd());

        // Still failing on the next build, from the cache: nothing up to date or cached hides the gate.
        CommandResult again = app.Build();
        Assert.False(again.Succeeded, again.ToString());
        Assert.Contains("error BOPT2001", Assert.Single(ErrorLines(again).Distinct()));
        Assert.Contains(CacheHit, Assert.Single(SummaryLines(again)));

        // The IDE's design-time build compresses nothing and compiles Program.cs against the class generated from the
        // model's signature: no CS0246 while the model fails its gate.
        CommandResult designTime = app.Build("-t:Compile", "-p:DesignTimeBuild=true");
        Assert.True(designTime.Succeeded, designTime.ToString());
        Assert.DoesNotContain("CS0246", designTime.Output);
        Assert.Empty(SummaryLines(designTime));
    }

    [Fact]
    public void Missing_calibration_file_fails_with_BOPT1101_naming_the_item_and_the_file()
    {
        _fixture.RequirePackage();
        TestApp app = TestApp.CreateEmpty(_fixture, "missing-calibration",
            """<ModelToCompress Include="Models/mlp_tanh.onnx" Calibration="Data/missing.npy" />""");
        app.CopyTestData("models/mlp_tanh.onnx", "Models/mlp_tanh.onnx");

        CommandResult build = app.Build();

        Assert.False(build.Succeeded, build.ToString());
        string error = Assert.Single(ErrorLines(build).Distinct());
        Assert.StartsWith(app.ProjectFile, error);
        Assert.Contains("error BOPT1101", error);
        Assert.Contains("ModelToCompress 'Models/mlp_tanh.onnx'", error);
        Assert.Contains("Data/missing.npy", error);
    }

    [Fact]
    public void Corrupt_onnx_file_fails_with_BOPT1002_naming_the_file()
    {
        _fixture.RequirePackage();
        TestApp app = TestApp.CreateEmpty(_fixture, "corrupt-model",
            """<ModelToCompress Include="Models/broken.onnx" Calibration="Data/calib.npy" />""");
        app.WriteFile("Models/broken.onnx", "this is not a protobuf, just text pretending to be a model");
        app.CopyTestData("models/mlp_tanh_calib.npy", "Data/calib.npy");

        CommandResult build = app.Build();

        Assert.False(build.Succeeded, build.ToString());
        string error = Assert.Single(ErrorLines(build).Distinct());
        Assert.Contains("error BOPT1002", error);
        Assert.Contains("broken.onnx", error);
        Assert.DoesNotContain("BOPT3001", build.Output);
        Assert.False(Directory.Exists(app.ArtifactsOf("broken")) && Directory.EnumerateFiles(app.ArtifactsOf("broken")).Any());
    }

    private static IEnumerable<string> Lines(CommandResult result) =>
        result.Output.Split('\n').Select(l => l.TrimEnd('\r'));

    private static List<string> SummaryLines(CommandResult build) =>
        Lines(build).Where(l => l.TrimStart().StartsWith(SummaryPrefix, StringComparison.Ordinal)).ToList();

    /// <summary>MSBuild repeats errors in its closing summary; callers take Distinct().</summary>
    private static IEnumerable<string> ErrorLines(CommandResult build) =>
        Lines(build).Where(l => l.Contains(": error ", StringComparison.Ordinal)).Select(l => l.Trim());

    private static string[][] AppOutputs(CommandResult run)
    {
        Assert.True(run.Succeeded, run.ToString());
        return Lines(run)
            .Where(l => l.StartsWith("output ", StringComparison.Ordinal))
            .Select(l => l.Split(' ').Skip(2).ToArray())
            .ToArray();
    }

    private static string[][] BitPatterns(NdArray outputs) =>
        Enumerable.Range(0, outputs.SampleCount)
            .Select(s => outputs.Sample(s).ToArray()
                .Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture))
                .ToArray())
            .ToArray();
}
