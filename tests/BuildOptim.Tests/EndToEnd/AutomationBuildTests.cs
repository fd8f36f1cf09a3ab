namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// Issue 5's automation through the packed package in a real build: a gate that plain int8 fails
/// becomes a passing build with <c>Fallback="Auto"</c>, and the compression searches run in the task.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class AutomationBuildTests
{
    private readonly PackagedBuildFixture _fixture;

    public AutomationBuildTests(PackagedBuildFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void Fallback_auto_turns_a_failing_agreement_gate_into_a_passing_build()
    {
        _fixture.RequirePackage();
        string samples = Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist");

        // Plain int8 of the Fashion-MNIST MLP agrees with fp32 on 99.7% of the evaluation set: MinAgreement=1 fails it.
        var failing = TestApp.CreateEmpty(_fixture, "fallback-none", """
            <ModelToCompress Include="Models/fashion_mlp.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" MinAgreement="1.0" />
            """);
        CopySample(failing, samples);
        CommandResult failed = failing.Build();
        Assert.False(failed.Succeeded, failed.ToString());
        Assert.Contains("BOPT2002", failed.Output);

        var rescued = TestApp.CreateEmpty(_fixture, "fallback-auto", "");
        CopySample(rescued, samples);
        rescued.WriteProject("""
            <ModelToCompress Include="Models/fashion_mlp.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" MinAgreement="1.0" Fallback="Auto" />
            """);
        CommandResult built = rescued.Build();
        Assert.True(built.Succeeded, built.ToString());
        string report = File.ReadAllText(Path.Combine(rescued.ArtifactsOf("fashion_mlp"), "report.json"));
        Assert.Contains("\"passed\": true", report);
        Assert.Matches("\"fallbackLayers\": \\[\\s*\"", report); // at least one layer kept in fp32
        Assert.True(rescued.Run().Succeeded);
    }

    private static void CopySample(TestApp app, string samples)
    {
        foreach (string file in new[] { "Models/fashion_mlp.onnx", "Data/calib.npy", "Data/eval.npz" })
        {
            string destination = Path.Combine(app.Directory, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(Path.Combine(samples, file), destination, overwrite: true);
        }
    }
}
