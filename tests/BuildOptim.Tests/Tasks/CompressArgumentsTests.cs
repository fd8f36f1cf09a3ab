using System.Diagnostics;
using BuildOptim.Tasks;

namespace BuildOptim.Tests.Tasks;

public sealed class CompressArgumentsTests
{
    private static CompressRequest FullRequest() => new()
    {
        ItemSpec = "Models/mlp.onnx",
        ModelPath = "/p/Models/mlp.onnx",
        CalibrationPath = "/p/Data/calib.npy",
        EvaluationPath = "/p/Data/eval.npz",
        Labels = "labels",
        Quantize = "Int8",
        Calibrator = "Entropy",
        Prune = "Magnitude",
        Sparsity = "0.5",
        ShareWeights = "16",
        MergeNeurons = "0.98",
        MaxAccuracyDrop = "1",
        MinAgreement = "0.99",
        Fallback = "Auto",
        Gate = "Warning",
        ClassName = "MlpModel",
        Namespace = "App",
        ResourceName = "BuildOptim.mlp.bopt",
        OutputDirectory = "/p/obj/buildoptim/mlp/",
    };

    [Fact]
    public void Every_set_option_is_passed_after_the_tool_and_the_verb()
    {
        IReadOnlyList<string> args = CompressArguments.Build("/tools/buildoptim.dll", FullRequest());

        Assert.Equal(new[]
        {
            "/tools/buildoptim.dll", "compress", "/p/Models/mlp.onnx",
            "--calibration", "/p/Data/calib.npy", "--evaluation", "/p/Data/eval.npz", "--labels", "labels",
            "--quantize", "Int8", "--calibrator", "Entropy", "--prune", "Magnitude", "--sparsity", "0.5",
            "--share-weights", "16", "--merge-neurons", "0.98", "--max-accuracy-drop", "1", "--min-agreement", "0.99", "--fallback", "Auto",
            "--gate", "Warning", "--class-name", "MlpModel", "--namespace", "App",
            "--resource-name", "BuildOptim.mlp.bopt", "--item", "Models/mlp.onnx", "--out", "/p/obj/buildoptim/mlp/",
        }, args);
    }

    [Fact]
    public void MinCosine_and_EmitOnnx_reach_the_command_line()
    {
        var request = FullRequest();
        request.MinCosine = "0.995";
        request.EmitOnnx = true;

        IReadOnlyList<string> args = CompressArguments.Build("t.dll", request);

        Assert.Equal("0.995", args[args.ToList().IndexOf("--min-cosine") + 1]);
        Assert.Contains("--emit-onnx", args);
        Assert.Equal("--out", args[^2]);
    }

    [Fact]
    public void Image_options_read_from_metadata_reach_the_command_line_in_canonical_spelling()
    {
        using var project = new TempDirectory();
        project.Touch("Models/mlp.onnx");
        project.Touch("Data/images/a.png");
        var item = new Microsoft.Build.Utilities.TaskItem("Models/mlp.onnx");
        foreach (var (name, value) in new[] { ("Calibration", "Data/images/"), ("ImageSize", "224, 224"), ("ImageLayout", "nhwc"), ("ImageChannels", "bgr"), ("ImageScale", "1"), ("ImageMean", "0.485,0.456,0.406"), ("ImageStd", "0.229,0.224,0.225") })
        {
            item.SetMetadata(name, value);
        }

        var diagnostics = new List<TaskDiagnostic>();
        CompressRequest? request = ModelMetadata.Validate(item, project.Path, "p.csproj", null, "Error", "r", "/o", diagnostics);

        Assert.DoesNotContain(diagnostics, d => d.IsError);
        var args = CompressArguments.Build("t.dll", request!).ToList();
        Assert.Equal("224, 224", args[args.IndexOf("--image-size") + 1]);
        Assert.Equal("NHWC", args[args.IndexOf("--image-layout") + 1]);
        Assert.Equal("BGR", args[args.IndexOf("--image-channels") + 1]);
        Assert.Equal("1", args[args.IndexOf("--image-scale") + 1]);
        Assert.Equal("0.485,0.456,0.406", args[args.IndexOf("--image-mean") + 1]);
        Assert.Equal("0.229,0.224,0.225", args[args.IndexOf("--image-std") + 1]);
    }

    [Fact]
    public void Distillation_options_reach_the_command_line()
    {
        var request = FullRequest();
        request.Distill = true;
        request.Student = "/p/student.onnx";
        request.TrainingData = "/p/train.npz";
        request.DistillEpochs = "30";
        request.DistillTemperature = "4";

        var args = CompressArguments.Build("t.dll", request).ToList();

        Assert.Contains("--distill", args);
        Assert.Equal("/p/student.onnx", args[args.IndexOf("--student") + 1]);
        Assert.Equal("/p/train.npz", args[args.IndexOf("--training-data") + 1]);
        Assert.Equal("30", args[args.IndexOf("--distill-epochs") + 1]);
        Assert.Equal("4", args[args.IndexOf("--distill-temperature") + 1]);
        Assert.Equal("--out", args[^2]);
    }

    [Fact]
    public void Unset_options_are_left_out_so_the_CLI_defaults_apply()
    {
        var request = new CompressRequest
        {
            ItemSpec = "m.onnx", ModelPath = "/p/m.onnx", CalibrationPath = "/p/c.npy",
            ResourceName = "BuildOptim.m.bopt", OutputDirectory = "/o/",
        };

        IReadOnlyList<string> args = CompressArguments.Build("t.dll", request);

        Assert.Equal(new[]
        {
            "t.dll", "compress", "/p/m.onnx", "--calibration", "/p/c.npy",
            "--resource-name", "BuildOptim.m.bopt", "--item", "m.onnx", "--out", "/o/",
        }, args);
    }

    [Fact]
    public void NuGet_package_folders_become_host_probing_paths_before_the_tool()
    {
        Assert.Equal(
            new[] { "exec", "--additionalprobingpath", "/home/u/.nuget/packages/", "--additionalprobingpath", "/usr/share/nuget fallback/" },
            CompressArguments.HostArguments("/home/u/.nuget/packages/; /usr/share/nuget fallback/;"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ; ")]
    public void Without_package_folders_the_host_runs_the_tool_directly(string? folders)
    {
        Assert.Empty(CompressArguments.HostArguments(folders));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("two words", "\"two words\"")]
    [InlineData("", "\"\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"C:\my dir\", "\"C:\\my dir\\\\\"")]
    [InlineData(@"C:\no\spaces\", @"C:\no\spaces\")]
    public void Arguments_are_quoted_only_when_needed(string argument, string expected)
    {
        Assert.Equal(expected, CompressArguments.JoinCommandLine(new[] { argument }));
    }

    [UnixFact]
    public void Joined_command_line_reaches_a_child_process_unchanged()
    {
        string[] arguments = { "/a path/with spaces/m.onnx", "quote\"inside", @"back\slash\", @"trailing slash\ and space", "", "x" };

        var start = new ProcessStartInfo("/usr/bin/printf", CompressArguments.JoinCommandLine(new[] { "[%s]\n" }.Concat(arguments)))
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(arguments.Select(a => $"[{a}]"), output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
