using System.Text.Json;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// Issue 17's distillation through the packed package in a real build: a Student trained at build time from the
/// original's outputs, its progress shown at normal verbosity, and the generated class computing what the gate measured.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class DistillationBuildTests
{
    private readonly PackagedBuildFixture _fixture;

    public DistillationBuildTests(PackagedBuildFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void A_student_is_distilled_in_the_build_and_ships_instead_of_the_original()
    {
        _fixture.RequirePackage();
        var app = TestApp.CreateEmpty(_fixture, "distill-student", "");
        string samples = Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist");
        Directory.CreateDirectory(Path.Combine(app.Directory, "Models"));
        Directory.CreateDirectory(Path.Combine(app.Directory, "Data"));
        File.Copy(Path.Combine(samples, "Models", "fashion_mlp.onnx"), Path.Combine(app.Directory, "Models", "fashion_mlp.onnx"));
        File.Copy(Path.Combine(samples, "Data", "calib.npy"), Path.Combine(app.Directory, "Data", "calib.npy"));
        File.Copy(Path.Combine(samples, "Data", "eval.npz"), Path.Combine(app.Directory, "Data", "eval.npz"));
        app.CopyTestData("models/student_784_64_10.onnx", "Models/student.onnx");
        app.CopyTestData("models/fashion_train.npz", "Data/train.npz");
        app.WriteProject("""
            <ModelToCompress Include="Models/fashion_mlp.onnx" Calibration="Data/calib.npy" Evaluation="Data/eval.npz"
                             Student="Models/student.onnx" TrainingData="Data/train.npz" DistillEpochs="50" MaxAccuracyDrop="2.0" />
            """);
        app.WriteProgram("""
            using BuildOptim.Runtime.Data;
            using E2EApp;

            var arrays = NpzReader.Read(args[0]);
            var inputs = arrays.Single(a => a.Name != "labels");
            int[] labels = arrays.Single(a => a.Name == "labels").ToLabels();
            var model = new FashionMlpModel();
            int correct = 0;
            for (int s = 0; s < inputs.SampleCount; s++)
            {
                correct += model.Predict(inputs.Sample(s)) == labels[s] ? 1 : 0;
            }

            Console.WriteLine($"accuracy {100.0 * correct / inputs.SampleCount:F4}");
            """);

        CommandResult built = app.Build("-v:n");
        Assert.True(built.Succeeded, built.ToString());
        Assert.Contains("BuildOptim distill: student epoch 1/50 loss ", built.Output);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.ArtifactsOf("fashion_mlp"), "report.json")));
        var root = report.RootElement;
        Assert.True(root.GetProperty("gate").GetProperty("passed").GetBoolean());
        Assert.Equal("student.onnx", root.GetProperty("distillation").GetProperty("student").GetString());
        Assert.True(new FileInfo(app.PlanOf("fashion_mlp")).Length < 60 * 1024);

        CommandResult ran = app.Run(Path.Combine(app.Directory, "Data", "eval.npz"));
        Assert.True(ran.Succeeded, ran.ToString());
        Assert.Contains(FormattableString.Invariant($"accuracy {100 * root.GetProperty("compressed").GetProperty("accuracy").GetDouble():F4}"), ran.Output);
    }
}
