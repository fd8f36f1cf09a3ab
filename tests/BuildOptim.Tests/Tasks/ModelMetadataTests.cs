using System.Globalization;
using BuildOptim.Tasks;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tests.Tasks;

public sealed class ModelMetadataTests : IDisposable
{
    private const string ProjectFile = "/project/App.csproj";
    private readonly TempDirectory _project = new();

    public ModelMetadataTests()
    {
        _project.Touch("Models/mlp.onnx");
        _project.Touch("Data/calib.npy");
        _project.Touch("Data/eval.npz");
        _project.Touch("Data/labels.csv");
    }

    public void Dispose() => _project.Dispose();

    private TaskItem Item(params (string Name, string Value)[] metadata)
    {
        var item = new TaskItem("Models/mlp.onnx");
        item.SetMetadata("Calibration", "Data/calib.npy");
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }
        return item;
    }

    private (CompressRequest? Request, List<TaskDiagnostic> Diagnostics) Validate(TaskItem item, string? gate = "Error")
    {
        var diagnostics = new List<TaskDiagnostic>();
        CompressRequest? request = ModelMetadata.Validate(
            item, _project.Path, ProjectFile, "App", gate, "BuildOptim.mlp.bopt", "/out/mlp/", diagnostics);
        return (request, diagnostics);
    }

    private static TaskDiagnostic SingleError(List<TaskDiagnostic> diagnostics, string code)
    {
        TaskDiagnostic diagnostic = Assert.Single(diagnostics);
        Assert.True(diagnostic.IsError);
        Assert.Equal(code, diagnostic.Code);
        Assert.Equal(ProjectFile, diagnostic.File);
        Assert.Contains("ModelToCompress 'Models/mlp.onnx'", diagnostic.Message);
        return diagnostic;
    }

    [Fact]
    public void Valid_item_yields_absolute_paths_and_canonical_spellings()
    {
        var (request, diagnostics) = Validate(Item(
            ("Evaluation", "Data/eval.npz"), ("Labels", "Data/labels.csv"), ("Quantize", "int8"),
            ("Calibrator", "PERCENTILE"), ("Prune", "neurons"), ("Sparsity", "0.50"), ("ShareWeights", "16"),
            ("MergeNeurons", "0.980"), ("MaxAccuracyDrop", "0.5"), ("MinAgreement", "1"), ("Fallback", "auto"), ("ClassName", "Mlp")), gate: "warning");

        Assert.Empty(diagnostics);
        Assert.NotNull(request);
        Assert.Equal(Path.Combine(_project.Path, "Models", "mlp.onnx"), request!.ModelPath);
        Assert.Equal(Path.Combine(_project.Path, "Data", "calib.npy"), request.CalibrationPath);
        Assert.Equal(Path.Combine(_project.Path, "Data", "eval.npz"), request.EvaluationPath);
        Assert.Equal(Path.Combine(_project.Path, "Data", "labels.csv"), request.Labels);
        Assert.Equal(("Int8", "Percentile", "Neurons", "Auto", "Warning"),
            (request.Quantize, request.Calibrator, request.Prune, request.Fallback, request.Gate));
        Assert.Equal(("0.5", "16", "0.98", "0.5", "1"), (request.Sparsity, request.ShareWeights, request.MergeNeurons, request.MaxAccuracyDrop, request.MinAgreement));
        Assert.Equal(("Mlp", "App", "Models/mlp.onnx"), (request.ClassName, request.Namespace, request.ItemSpec));
    }

    [Fact]
    public void ClassNames_is_resolved_passed_to_the_CLI_and_a_missing_file_is_an_error()
    {
        _project.Touch("Models/classes.txt");
        var (request, diagnostics) = Validate(Item(("ClassNames", "Models/classes.txt")));

        Assert.Empty(diagnostics);
        Assert.Equal(Path.Combine(_project.Path, "Models", "classes.txt"), request!.ClassNames);
        var arguments = CompressArguments.Build("tool.dll", request);
        Assert.Equal(request.ClassNames, arguments[arguments.ToList().IndexOf("--class-names") + 1]);

        var (refused, errors) = Validate(Item(("ClassNames", "Models/missing.txt")));
        Assert.Null(refused);
        Assert.Contains("ClassNames file 'Models/missing.txt' does not exist", SingleError(errors, "BOPT1101").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinCosine_and_EmitOnnx_are_read_and_checked()
    {
        var (request, diagnostics) = Validate(Item(("MinCosine", "0.9950"), ("EmitOnnx", "True")));

        Assert.Empty(diagnostics);
        Assert.Equal("0.995", request!.MinCosine);
        Assert.True(request.EmitOnnx);

        var (refused, errors) = Validate(Item(("MinCosine", "1.5"), ("EmitOnnx", "sometimes")));
        Assert.Null(refused);
        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Code == "BOPT1201" && e.Message.Contains("MinCosine '1.5' is not valid", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Code == "BOPT1201" && e.Message.Contains("EmitOnnx 'sometimes' is not valid", StringComparison.Ordinal));
    }

    [Fact]
    public void Distillation_metadata_is_read_resolved_and_checked()
    {
        _project.Touch("Models/student.onnx");
        _project.Touch("Data/train.npz");
        var (request, diagnostics) = Validate(Item(("Distill", "TRUE"), ("Student", "Models/student.onnx"), ("TrainingData", "Data/train.npz"),
            ("DistillEpochs", "30"), ("DistillTemperature", "4.0")));

        Assert.Empty(diagnostics);
        Assert.True(request!.Distill);
        Assert.Equal(System.IO.Path.Combine(_project.Path, "Models", "student.onnx"), request.Student);
        Assert.Equal(System.IO.Path.Combine(_project.Path, "Data", "train.npz"), request.TrainingData);
        Assert.Equal("30", request.DistillEpochs);
        Assert.Equal("4", request.DistillTemperature);

        var (_, missing) = Validate(Item(("Student", "Models/absent.onnx"), ("TrainingData", "Data/absent.npz")));
        Assert.Contains(missing, d => d.Code == "BOPT1001" && d.Message.Contains("Student model file 'Models/absent.onnx' does not exist", StringComparison.Ordinal));
        Assert.Contains(missing, d => d.Code == "BOPT1101" && d.Message.Contains("TrainingData file 'Data/absent.npz'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Sparsty", "did you mean Sparsity?")]
    [InlineData("maxaccuracydrop2", "did you mean MaxAccuracyDrop?")]
    [InlineData("Calibraton", "did you mean Calibration?")]
    [InlineData("Frobnicate", "see docs/usage.md")]
    [InlineData("WeightBit", "did you mean WeightBits?")]
    public void Unknown_metadata_is_a_BOPT1207_warning_naming_it_and_the_item_still_compresses(string name, string advice)
    {
        var (request, diagnostics) = Validate(Item((name, "0.5")));

        Assert.NotNull(request);
        var warning = Assert.Single(diagnostics);
        Assert.False(warning.IsError);
        Assert.Equal("BOPT1207", warning.Code);
        Assert.Contains($"ModelToCompress 'Models/mlp.onnx': {name} ", warning.Message);
        Assert.Contains(advice, warning.Message);
    }

    [Fact]
    public void Known_common_and_private_metadata_raise_no_warning()
    {
        var (_, diagnostics) = Validate(Item(("Link", "Models/x.onnx"), ("_Key", "mlp"), ("Sparsity", "0.5"), ("Visible", "false")));
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Empty_metadata_is_left_to_the_CLI_defaults()
    {
        var (request, diagnostics) = Validate(Item(("MinAgreement", ""), ("ClassName", "")), gate: "");

        Assert.Empty(diagnostics);
        Assert.Null(request!.MinAgreement);
        Assert.Null(request.ClassName);
        Assert.Null(request.Quantize);
        Assert.Null(request.Gate);
    }

    [Fact]
    public void Namespace_metadata_overrides_the_root_namespace()
    {
        var (request, _) = Validate(Item(("Namespace", "App.Models")));
        Assert.Equal("App.Models", request!.Namespace);
    }

    [Fact]
    public void Missing_model_file_is_BOPT1001()
    {
        var item = Item();
        item.ItemSpec = "Models/missing.onnx";

        var (request, diagnostics) = Validate(item);

        Assert.Null(request);
        TaskDiagnostic error = Assert.Single(diagnostics);
        Assert.Equal("BOPT1001", error.Code);
        Assert.Contains("Models/missing.onnx", error.Message);
    }

    [Theory]
    [InlineData("Calibration", "Data/nope.npy")]
    [InlineData("Evaluation", "Data/nope.npz")]
    [InlineData("Labels", "Data/nope.npy")]
    [InlineData("Labels", "Data/nope.CSV")]
    public void Missing_data_file_is_BOPT1101_naming_item_and_file(string metadata, string value)
    {
        var (request, diagnostics) = Validate(Item((metadata, value)));

        Assert.Null(request);
        TaskDiagnostic error = SingleError(diagnostics, "BOPT1101");
        Assert.Contains($"{metadata} file '{value}'", error.Message);
    }

    [Fact]
    public void Calibration_may_be_a_folder_of_test_data_sets()
    {
        Directory.CreateDirectory(Path.Combine(_project.Path, "Data", "sets", "test_data_set_0"));
        var (request, diagnostics) = Validate(Item(("Calibration", "Data/sets")));

        Assert.Empty(diagnostics);
        Assert.Equal(Path.Combine(_project.Path, "Data", "sets"), request!.CalibrationPath);
    }

    [Fact]
    public void Labels_without_a_file_extension_name_an_npz_array_and_are_not_checked_on_disk()
    {
        var (request, diagnostics) = Validate(Item(("Evaluation", "Data/eval.npz"), ("Labels", "targets")));

        Assert.Empty(diagnostics);
        Assert.Equal("targets", request!.Labels);
    }

    [Theory]
    [InlineData("Quantize", "Int4")]
    [InlineData("Calibrator", "KL")]
    [InlineData("Prune", "Random")]
    [InlineData("Fallback", "Yes")]
    [InlineData("Sparsity", "0.96")]
    [InlineData("Sparsity", "-0.1")]
    [InlineData("Sparsity", "half")]
    [InlineData("Sparsity", "NaN")]
    [InlineData("ShareWeights", "-1")]
    [InlineData("ShareWeights", "2.5")]
    [InlineData("MergeNeurons", "1.5")]
    [InlineData("MergeNeurons", "-0.1")]
    [InlineData("MergeNeurons", "high")]
    [InlineData("MaxAccuracyDrop", "-1")]
    [InlineData("MaxAccuracyDrop", "Infinity")]
    [InlineData("MinAgreement", "1.01")]
    [InlineData("MinAgreement", "0,99")]
    public void Bad_metadata_value_is_BOPT1201_naming_the_value(string metadata, string value)
    {
        var (request, diagnostics) = Validate(Item((metadata, value)));

        Assert.Null(request);
        TaskDiagnostic error = SingleError(diagnostics, "BOPT1201");
        Assert.Contains($"{metadata} '{value}' is not valid", error.Message);
    }

    [Fact]
    public void Bad_gate_is_BOPT1201()
    {
        var (request, diagnostics) = Validate(Item(), gate: "Strict");

        Assert.Null(request);
        Assert.Contains("BuildOptimGate 'Strict'", SingleError(diagnostics, "BOPT1201").Message);
    }

    [Fact]
    public void Numbers_are_parsed_with_the_invariant_culture_whatever_the_build_culture()
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var (request, diagnostics) = Validate(Item(("Sparsity", "0.25"), ("MaxAccuracyDrop", "1.5")));

            Assert.Empty(diagnostics);
            Assert.Equal(("0.25", "1.5"), (request!.Sparsity, request.MaxAccuracyDrop));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Int8_without_calibration_is_BOPT1202()
    {
        var item = Item();
        item.RemoveMetadata("Calibration");

        var (request, diagnostics) = Validate(item);

        Assert.Null(request);
        SingleError(diagnostics, "BOPT1202");
    }

    [Fact]
    public void Quantize_None_needs_no_calibration()
    {
        var item = Item(("Quantize", "None"));
        item.RemoveMetadata("Calibration");

        var (request, diagnostics) = Validate(item);

        Assert.Empty(diagnostics);
        Assert.Null(request!.CalibrationPath);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var (_, diagnostics) = Validate(Item(("Calibration", "Data/nope.npy"), ("Sparsity", "2"), ("Prune", "All")));

        Assert.Equal(new[] { "BOPT1101", "BOPT1201", "BOPT1201" }, diagnostics.Select(d => d.Code).OrderBy(c => c));
    }
}
