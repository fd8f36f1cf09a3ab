using System.Text.Json;

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

    [Fact]
    public void Neuron_merging_pruning_and_weight_sharing_build_and_run_within_1_5_points()
    {
        _fixture.RequirePackage();

        // One app, two models: the MLP with near-duplicate neurons merged and half its hidden neurons removed, the CNN with
        // 16 shared values per layer. The gate (1.5 points against the original fp32 model) runs in the build; the app then
        // measures the generated classes.
        var app = TestApp.CreateEmpty(_fixture, "prune-share", "");
        CopySample(app, Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist"));
        string cnn = Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn");
        File.Copy(Path.Combine(cnn, "Models", "fashion_cnn.onnx"), Path.Combine(app.Directory, "Models", "fashion_cnn.onnx"));
        File.Copy(Path.Combine(cnn, "Data", "calib.npy"), Path.Combine(app.Directory, "Data", "cnn_calib.npy"));
        File.Copy(Path.Combine(cnn, "Data", "eval.npz"), Path.Combine(app.Directory, "Data", "cnn_eval.npz"));
        app.WriteProject("""
            <ModelToCompress Include="Models/fashion_mlp.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz" Prune="Neurons" Sparsity="0.5" MergeNeurons="0.9" MaxAccuracyDrop="1.5" />
            <ModelToCompress Include="Models/fashion_cnn.onnx" Calibration="Data/cnn_calib.npy" Evaluation="Data/cnn_eval.npz" ShareWeights="16" MaxAccuracyDrop="1.5" />
            """);
        app.WriteProgram("""
            using BuildOptim.Runtime.Data;
            using E2EApp;

            static double Accuracy(string path, Func<ReadOnlySpan<float>, int> predict)
            {
                var arrays = NpzReader.Read(path);
                var inputs = arrays.Single(a => a.Name != "labels");
                int[] labels = arrays.Single(a => a.Name == "labels").ToLabels();
                int correct = 0;
                for (int s = 0; s < inputs.SampleCount; s++)
                {
                    correct += predict(inputs.Sample(s)) == labels[s] ? 1 : 0;
                }

                return 100.0 * correct / inputs.SampleCount;
            }

            var mlp = new FashionMlpModel();
            var cnn = new FashionCnnModel();
            Console.WriteLine($"mlp-accuracy {Accuracy(args[0], x => mlp.Predict(x)):F4}");
            Console.WriteLine($"cnn-accuracy {Accuracy(args[1], x => cnn.Predict(x)):F4}");
            """);
        CommandResult built = app.Build();
        Assert.True(built.Succeeded, built.ToString());

        using var mlpReport = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.ArtifactsOf("fashion_mlp"), "report.json")));
        using var cnnReport = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.ArtifactsOf("fashion_cnn"), "report.json")));
        foreach (var report in new[] { mlpReport.RootElement, cnnReport.RootElement })
        {
            Assert.True(report.GetProperty("gate").GetProperty("passed").GetBoolean());
            double drop = report.GetProperty("accuracyDropPoints").GetDouble();
            Assert.True(drop <= 1.5, $"accuracy drop {drop} points");
        }

        // Half the hidden neurons gone: the int8 plan of the whole MLP is 239,936 bytes (docs/benchmarks.md).
        Assert.True(new FileInfo(app.PlanOf("fashion_mlp")).Length < 130_000, $"pruned plan {new FileInfo(app.PlanOf("fashion_mlp")).Length} B");
        Assert.Equal("Neurons", mlpReport.RootElement.GetProperty("options").GetProperty("prune").GetString());
        Assert.Contains(mlpReport.RootElement.GetProperty("layers").EnumerateArray(), l => l.GetProperty("name").GetString() == "/fc1/Gemm" && l.GetProperty("parameterBytes").GetInt64() <= 4 * ((784 * 128) + 128));

        // Near-duplicate neurons merged first (the metadata reaches the engine through the package's targets).
        Assert.Equal(0.9, mlpReport.RootElement.GetProperty("mergeNeurons").GetDouble());
        Assert.Contains(mlpReport.RootElement.GetProperty("layers").EnumerateArray(), l => l.GetProperty("mergedNeurons").GetInt32() > 0);
        Assert.Equal(16, cnnReport.RootElement.GetProperty("chosenClusters").GetInt32());
        Assert.Contains(cnnReport.RootElement.GetProperty("layers").EnumerateArray(), l => l.GetProperty("clusters").GetInt32() == 16);

        // The generated classes compute what the build's gate evaluated.
        CommandResult ran = app.Run(Path.Combine(app.Directory, "Data", "eval.npz"), Path.Combine(app.Directory, "Data", "cnn_eval.npz"));
        Assert.True(ran.Succeeded, ran.ToString());
        Assert.Contains(FormattableString.Invariant($"mlp-accuracy {100 * mlpReport.RootElement.GetProperty("compressed").GetProperty("accuracy").GetDouble():F4}"), ran.Output);
        Assert.Contains(FormattableString.Invariant($"cnn-accuracy {100 * cnnReport.RootElement.GetProperty("compressed").GetProperty("accuracy").GetDouble():F4}"), ran.Output);
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
