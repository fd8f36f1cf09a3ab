namespace BuildOptim.Tests.EndToEnd;

/// <summary>A careless project, built for real through the package: colliding classes, a gate failing as a warning, a killed run's leftovers.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class HostileBuildTests
{
    private readonly PackagedBuildFixture _fixture;

    public HostileBuildTests(PackagedBuildFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void Colliding_classes_fail_early_a_gate_warning_repeats_until_fixed_and_clean_removes_staging_leftovers()
    {
        _fixture.RequirePackage();
        var app = TestApp.CreateEmpty(_fixture, "hostile-items", """
            <ModelToCompress Include="Models/my_model.onnx" Quantize="None" />
            <ModelToCompress Include="Models/my-model.onnx" Quantize="None" />
            """);
        app.CopyTestData("models/mlp_tanh.onnx", "Models/my_model.onnx");
        app.CopyTestData("models/mlp_tanh.onnx", "Models/my-model.onnx");
        app.CopyTestData("models/mlp_tanh_calib.npy", "Data/calib.npy");
        app.CopyTestData("models/mlp_eval.npz", "Data/eval.npz");

        // 1. Both give MyModel: one coded error per item, before anything is compressed.
        CommandResult colliding = app.Build();
        Assert.False(colliding.Succeeded, colliding.ToString());
        Assert.Contains("error BOPT1205", colliding.Output);
        Assert.DoesNotContain("BuildOptim: ", colliding.Output);
        Assert.DoesNotContain("CS0246", colliding.Output);

        // 2. A gate failing as a warning: said on the compressing build and on the up-to-date one after it.
        app.WriteProject("""
            <ModelToCompress Include="Models/my_model.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" MaxAccuracyDrop="100" MinCosine="1" />
            """);
        CommandResult warned = app.Build("-p:BuildOptimGate=Warning");
        Assert.True(warned.Succeeded, warned.ToString());
        Assert.Single(WarningLines(warned, "BOPT2004"));
        Assert.Contains("BuildOptim: ", warned.Output);

        CommandResult upToDate = app.Build("-p:BuildOptimGate=Warning");
        Assert.True(upToDate.Succeeded, upToDate.ToString());
        Assert.DoesNotContain("BuildOptim: ", upToDate.Output);
        Assert.Single(WarningLines(upToDate, "BOPT2004"));

        app.WriteProject("""
            <ModelToCompress Include="Models/my_model.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" MaxAccuracyDrop="100" MinCosine="0.5" />
            """);
        CommandResult passing = app.Build("-p:BuildOptimGate=Warning");
        Assert.True(passing.Succeeded, passing.ToString());
        Assert.Empty(WarningLines(passing, "BOPT2004"));

        // 3. A killed compression's staging folder: gone after dotnet clean, with the artifacts and the reports.
        string staging = Path.Combine(app.ArtifactsOf("my_model"), ".buildoptim-staging-" + int.MaxValue);
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "model.bopt"), "half-written");
        CommandResult clean = DotNetCli.Run(app.Directory, "clean");
        Assert.True(clean.Succeeded, clean.ToString());
        Assert.False(Directory.Exists(staging));
        Assert.False(File.Exists(app.PlanOf("my_model")));
        Assert.False(File.Exists(Path.Combine(app.ArtifactsOf("my_model"), "report.html")));
    }

    [Fact]
    public void A_project_on_net8_fails_once_with_BOPT1206_before_compressing_and_without_compiler_errors()
    {
        _fixture.RequirePackage();
        var app = TestApp.CreateEmpty(_fixture, "net8-app", """<ModelToCompress Include="Models/mlp_tanh.onnx" Quantize="None" />""");
        app.CopyTestData("models/mlp_tanh.onnx", "Models/mlp_tanh.onnx");
        File.WriteAllText(app.ProjectFile, File.ReadAllText(app.ProjectFile).Replace("<TargetFramework>net10.0</TargetFramework>", "<TargetFramework>net8.0</TargetFramework>", StringComparison.Ordinal));

        CommandResult build = app.Build();

        Assert.False(build.Succeeded, build.ToString());
        Assert.Contains("error BOPT1206", build.Output);
        Assert.Contains("'net8.0'", build.Output);
        Assert.DoesNotContain("BuildOptim: ", build.Output);
        Assert.DoesNotContain("error CS", build.Output);
    }

    /// <summary>MSBuild repeats warnings in its closing summary: distinct lines.</summary>
    private static List<string> WarningLines(CommandResult build, string code) =>
        build.Output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("warning " + code, StringComparison.Ordinal)).Distinct().ToList();
}
