using BuildOptim.Tasks;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tests.Tasks;

/// <summary>
/// The compression cache's key: every ingredient (model, data in each role, each option, the engine) changes it; what is
/// not an ingredient (paths, timestamps, metadata the engine does not read, the project file around the item) does not.
/// </summary>
public sealed class CacheKeyTests : IDisposable
{
    private readonly TempDirectory _project = new();
    private readonly string _tool;

    public CacheKeyTests()
    {
        Write("Models/net.onnx", "model bytes");
        Write("Data/calib.npy", "calibration bytes");
        Write("Data/eval.npz", "evaluation bytes");
        Write("Data/labels.npy", "label bytes");
        Write("Data/vocab.txt", "[PAD]\n[UNK]\n");
        Write("Data/folder/test_data_set_0/input_0.pb", "input 0");
        Write("Data/folder/test_data_set_1/input_0.pb", "input 1");
        _tool = Write("tools/buildoptim.dll", "engine bytes");
        Write("tools/BuildOptim.Compression.dll", "compression bytes");
    }

    public void Dispose() => _project.Dispose();

    private string Write(string relativePath, string contents)
    {
        string path = _project.Touch(relativePath);
        File.WriteAllText(path, contents);
        return path;
    }

    private string Path(string relativePath) => System.IO.Path.Combine(_project.Path, relativePath);

    private CompressRequest Request() => new()
    {
        ItemSpec = "Models/net.onnx",
        ModelPath = Path("Models/net.onnx"),
        CalibrationPath = Path("Data/calib.npy"),
        EvaluationPath = Path("Data/eval.npz"),
        Quantize = "Int8",
        Calibrator = "MinMax",
        Prune = "None",
        Sparsity = "0",
        MaxAccuracyDrop = "1",
        Gate = "Error",
        Namespace = "App",
        ResourceName = "BuildOptim.net.bopt",
        OutputDirectory = Path("obj/Debug/net10.0/buildoptim/net"),
    };

    private string Key(CompressRequest request) => CacheKey.Compute(request, _tool);

    [Fact]
    public void Same_inputs_give_the_same_key_whatever_the_output_folder_and_timestamps()
    {
        string debug = Key(Request());
        File.SetLastWriteTimeUtc(Path("Data/calib.npy"), DateTime.UtcNow.AddHours(1));
        File.SetLastWriteTimeUtc(Path("Models/net.onnx"), DateTime.UtcNow.AddHours(2));
        var release = Request();
        release.OutputDirectory = Path("obj/Release/net10.0/linux-x64/buildoptim/net");

        Assert.Equal(64, debug.Length);
        Assert.Matches("^[0-9a-f]{64}$", debug);
        Assert.Equal(debug, Key(release));
    }

    [Fact]
    public void Each_file_ingredient_changes_the_key()
    {
        string before = Key(Request());
        var seen = new HashSet<string> { before };
        foreach (string file in new[] { "Models/net.onnx", "Data/calib.npy", "Data/eval.npz", "tools/buildoptim.dll", "tools/BuildOptim.Compression.dll" })
        {
            string original = File.ReadAllText(Path(file));
            File.WriteAllText(Path(file), original + "!");
            Assert.True(seen.Add(Key(Request())), $"changing {file} did not change the key");
            File.WriteAllText(Path(file), original);
            Assert.Equal(before, Key(Request()));
        }

        // A new engine assembly beside the tool counts too.
        Write("tools/Extra.dll", "new dependency");
        Assert.True(seen.Add(Key(Request())));
    }

    [Fact]
    public void Data_counts_in_its_role_and_a_folder_by_its_files()
    {
        var withoutEvaluation = Request();
        withoutEvaluation.EvaluationPath = null;
        var calibrationAsEvaluation = Request();
        calibrationAsEvaluation.EvaluationPath = calibrationAsEvaluation.CalibrationPath;
        var folder = Request();
        folder.CalibrationPath = Path("Data/folder");
        var labels = Request();
        labels.Labels = Path("Data/labels.npy");
        var labelArray = Request();
        labelArray.Labels = "classes";
        var tokenizer = Request();
        tokenizer.Tokenizer = Path("Data/vocab.txt");

        string[] keys = [Key(Request()), Key(withoutEvaluation), Key(calibrationAsEvaluation), Key(folder), Key(labels), Key(labelArray), Key(tokenizer)];
        Assert.Equal(keys.Length, keys.Distinct().Count());

        string folderKey = Key(folder);
        File.WriteAllText(Path("Data/folder/test_data_set_1/input_0.pb"), "input 1, changed");
        Assert.NotEqual(folderKey, Key(folder));
        File.WriteAllText(Path("Data/labels.npy"), "other labels");
        Assert.NotEqual(keys[4], Key(labels));
    }

    [Fact]
    public void Each_option_changes_the_key()
    {
        var changes = new List<Action<CompressRequest>>
        {
            r => r.Quantize = "None",
            r => r.Calibrator = "Percentile",
            r => r.Prune = "Magnitude",
            r => r.Sparsity = "0.5",
            r => r.ShareWeights = "16",
            r => r.MergeNeurons = "0.99",
            r => r.MaxAccuracyDrop = "0.5",
            r => r.MinAgreement = "0.98",
            r => r.MinCosine = "0.99",
            r => r.Fallback = "Auto",
            r => r.WeightBits = "8",
            r => r.InputShape = "1,784",
            r => r.EmitOnnx = true,
            r => r.Distill = true,
            r => r.DistillEpochs = "3",
            r => r.DistillTemperature = "3",
            r => r.Gate = "Warning",
            r => r.ClassName = "Other",
            r => r.Namespace = "Other.App",
            r => r.ResourceName = "BuildOptim.other.bopt",
            r => r.ItemSpec = "Models/../Models/net.onnx",
            r => r.ImageSize = "32,32",
            r => r.ImageLayout = "NHWC",
            r => r.ImageChannels = "BGR",
            r => r.ImageScale = "1",
            r => r.ImageMean = "0.5",
            r => r.ImageStd = "0.25",
            r => r.ClassNames = Path("Data/vocab.txt"),
        };

        var keys = new HashSet<string> { Key(Request()) };
        for (int i = 0; i < changes.Count; i++)
        {
            var request = Request();
            changes[i](request);
            Assert.True(keys.Add(Key(request)), $"option change #{i} did not change the key");
        }
    }

    [Fact]
    public void Every_option_of_the_schema_has_a_line_in_the_key_document()
    {
        // A new option added to OptionSchema but not to CacheKey would let a build reuse artifacts made with another value.
        string document = "\n" + CacheKey.Document(Request(), _tool);
        // The schema is compiled into several assemblies; read the task's copy, the one CacheKey is built with.
        var schema = typeof(CacheKey).Assembly.GetType("BuildOptim.OptionSchema", throwOnError: true)!;
        var all = (System.Collections.IEnumerable)schema.GetField("All")!.GetValue(null)!;
        var names = all.Cast<object>().Select(option => (string)option.GetType().GetProperty("Metadata")!.GetValue(option)!).ToList();
        var missing = names.Where(name => !document.Contains("\n" + name + "=", StringComparison.OrdinalIgnoreCase)).ToList();

        Assert.True(names.Count > 20, $"the schema lists {names.Count} options");

        Assert.Empty(missing);
    }

    [Fact]
    public void The_derived_class_name_and_an_explicit_equal_one_share_a_key()
    {
        var named = Request();
        named.ClassName = "NetModel";

        Assert.Equal(Key(Request()), Key(named));
    }

    [Fact]
    public void Metadata_the_engine_does_not_read_and_the_project_around_the_item_leave_the_key_alone()
    {
        // The task validates the item into the request the key is computed from; an unrelated property, a comment in
        // the project file or metadata such as Visible or Link never reach it.
        CompressRequest Validated(params (string Name, string Value)[] extra)
        {
            var item = new TaskItem("Models/net.onnx");
            item.SetMetadata("Calibration", "Data/calib.npy");
            item.SetMetadata("Evaluation", "Data/eval.npz");
            foreach (var (name, value) in extra)
            {
                item.SetMetadata(name, value);
            }

            var diagnostics = new List<TaskDiagnostic>();
            var request = ModelMetadata.Validate(item, _project.Path, Path("App.csproj"), "App", "Error", "BuildOptim.net.bopt", Path("obj/buildoptim/net"), diagnostics);
            Assert.DoesNotContain(diagnostics, d => d.IsError);
            return request!;
        }

        string plain = Key(Validated());
        Assert.Equal(plain, Key(Validated(("Visible", "false"), ("Link", "Models/net.onnx"), ("_DefiningProjectFullPath", Path("Other.csproj")))));
        Assert.Equal(plain, Key(Validated(("Sparsity", "0.0"), ("Quantize", "int8"))));
        Assert.NotEqual(plain, Key(Validated(("Sparsity", "0.25"), ("Prune", "Magnitude"))));
    }
}
