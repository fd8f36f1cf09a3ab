using BuildOptim.Tasks;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tests.Shared;

/// <summary>The option schema is the one source for every front: the targets, the task, the CLI and the docs follow it.</summary>
public sealed class OptionSchemaTests
{
    private static readonly string[] s_metadata =
    [
        "ClassName", "Namespace", "Calibration", "Evaluation", "Labels", "Quantize", "Calibrator", "Prune", "Sparsity", "ShareWeights",
        "MergeNeurons", "MaxAccuracyDrop", "MinAgreement", "MinCosine", "Fallback", "EmitOnnx", "Distill", "Student", "TrainingData",
        "DistillEpochs", "DistillTemperature", "InputShape", "Tokenizer", "ImageSize", "ImageLayout", "ImageChannels", "ImageScale",
        "ImageMean", "ImageStd",
    ];

    [Fact]
    public void Every_item_metadata_is_part_of_the_options_file_that_keeps_builds_incremental()
    {
        string targets = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "build", "BuildOptim.targets"));
        Assert.All(s_metadata, name => Assert.True(
            targets.Contains($"{name}=%(_BuildOptimModel.{name})", StringComparison.Ordinal) || targets.Contains($"{name}=%(_BuildOptimModel._{name}Path)", StringComparison.Ordinal),
            $"{name} is missing from the options line of _BuildOptimWriteOptions"));
    }

    [Fact]
    public void Every_item_metadata_and_its_flag_are_documented()
    {
        string usage = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "usage.md"));
        Assert.All(s_metadata, name => Assert.Contains($"`{name}`", usage));
        Assert.All(["--calibration", "--evaluation", "--labels", "--quantize", "--calibrator", "--prune", "--sparsity", "--share-weights",
            "--merge-neurons", "--max-accuracy-drop", "--min-agreement", "--min-cosine", "--fallback", "--emit-onnx", "--gate", "--class-name", "--namespace",
            "--distill", "--student", "--training-data", "--distill-epochs", "--distill-temperature", "--input-shape", "--tokenizer",
            "--image-size", "--image-layout", "--image-channels", "--image-scale", "--image-mean", "--image-std"],
            flag => Assert.Contains($"`{flag}`", usage));
    }

    [Theory]
    [InlineData("Sparsity", "0.96")]
    [InlineData("Sparsity", "-0.1")]
    [InlineData("ShareWeights", "1")]
    [InlineData("ShareWeights", "257")]
    [InlineData("MinAgreement", "1.01")]
    [InlineData("MinCosine", "-2")]
    [InlineData("MergeNeurons", "1.5")]
    [InlineData("Calibrator", "KL")]
    [InlineData("DistillEpochs", "0")]
    [InlineData("DistillEpochs", "2.5")]
    [InlineData("DistillTemperature", "0.5")]
    [InlineData("DistillTemperature", "101")]
    [InlineData("ImageSize", "224")]
    [InlineData("ImageSize", "0,224")]
    [InlineData("ImageSize", "5000,10")]
    [InlineData("ImageLayout", "CHW")]
    [InlineData("ImageChannels", "RGBA")]
    [InlineData("ImageScale", "0")]
    [InlineData("ImageMean", "0.5,0.5")]
    [InlineData("ImageMean", "x")]
    [InlineData("ImageStd", "0.2,0,0.2")]
    public void A_value_the_task_refuses_is_refused_by_the_CLI_with_the_same_code_and_exit_code_2(string metadata, string value)
    {
        var item = new TaskItem("m.onnx");
        item.SetMetadata(metadata, value);
        var diagnostics = new List<TaskDiagnostic>();
        ModelMetadata.Validate(item, Path.GetTempPath(), "p.csproj", null, "Error", "r", "/o", diagnostics);
        Assert.Contains(diagnostics, d => d.Code == "BOPT1201" && d.Message.Contains($"{metadata} '{value}' is not valid", StringComparison.Ordinal));

        string flag = "--" + string.Concat(metadata.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
        var errors = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(["compress", "m.onnx", "--quantize", "None", flag, value, "--out", Path.Combine(Path.GetTempPath(), "never-written")], TextWriter.Null, errors);
        Assert.Equal(2, exit);
        Assert.Contains($"error BOPT1201: 'm.onnx': {flag} '{value}' is not valid", errors.ToString());
    }
}
