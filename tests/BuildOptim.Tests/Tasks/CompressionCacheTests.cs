using BuildOptim.Compression.Artifacts;
using BuildOptim.Tasks;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tests.Tasks;

/// <summary>
/// The task's compression cache, against a shell script standing in for the engine (it writes the artifacts, their
/// manifest and the build line as buildoptim does, and counts its runs): hits skip the engine and replay its lines,
/// a failed gate fails again from the cache, damaged entries are recompressed, concurrent stores keep one entry.
/// </summary>
public sealed class CompressionCacheTests : IDisposable
{
    private const string PassingTool = """
        model="$2"; while [ $# -gt 0 ]; do [ "$1" = "--out" ] && out="$2"; shift; done
        echo run >> "$(dirname "$0")/runs.txt"
        mkdir -p "$out"
        printf 'plan bytes %s\n' "$(cat "$(dirname "$0")/plan-seed.txt" 2>/dev/null)" > "$out/model.bopt"
        printf 'format=1\nclassName=MyModel\ninputLength=4\noutputLength=2\n' > "$out/model.boptgen"
        echo '{ "gate": { "passed": true } }' > "$out/report.json"
        echo '<!DOCTYPE html>' > "$out/report.html"
        printf 'model.bopt\nmodel.boptgen\nreport.html\nreport.json\n' > "$out/.buildoptim-artifacts"
        echo "$model: warning BOPT1209: Evaluation is the calibration data"
        echo "BuildOptim: my model.onnx -> MyModel (int8): 1 KB -> 256 B, gate passed; report: $out/report.html"
        """;

    private const string FailingTool = """
        model="$2"; while [ $# -gt 0 ]; do [ "$1" = "--out" ] && out="$2"; shift; done
        echo run >> "$(dirname "$0")/runs.txt"
        mkdir -p "$out"; rm -f "$out/model.bopt"
        printf 'format=1\nclassName=MyModel\ninputLength=4\noutputLength=2\nplan=absent\n' > "$out/model.boptgen"
        echo '{ "gate": { "passed": false } }' > "$out/report.json"
        echo '<!DOCTYPE html>' > "$out/report.html"
        printf 'model.boptgen\nreport.html\nreport.json\n' > "$out/.buildoptim-artifacts"
        echo "BuildOptim: my model.onnx -> MyModel (int8): 1 KB -> 256 B, gate FAILED; report: $out/report.html"
        echo "$model: error BOPT2001: accuracy dropped 9 points" >&2
        exit 1
        """;

    private readonly TempDirectory _project = new();
    private RecordingBuildEngine _engine = new();

    public CompressionCacheTests()
    {
        File.WriteAllText(_project.Touch("Models/my model.onnx"), "model");
        File.WriteAllText(_project.Touch("Data/calib.npy"), "calibration");
    }

    public void Dispose() => _project.Dispose();

    private string Cache => Path.Combine(_project.Path, "obj", "buildoptim-cache");

    private int Runs => File.Exists(Path.Combine(_project.Path, "tool", "runs.txt")) ? File.ReadAllLines(Path.Combine(_project.Path, "tool", "runs.txt")).Length : 0;

    private string Output(string configuration) => Path.Combine(_project.Path, "obj", configuration, "buildoptim", "my model");

    /// <summary>A fresh task (and logger), as each build has, writing into obj/<paramref name="configuration"/>.</summary>
    private CompressModel Task(string tool, string configuration = "Debug", bool designTime = false, string sparsity = "0")
    {
        string toolPath = Path.Combine(_project.Path, "tool", "tool.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(toolPath)!);
        File.WriteAllText(toolPath, tool);
        _engine = new RecordingBuildEngine();
        var item = new TaskItem("Models/my model.onnx");
        item.SetMetadata("Calibration", "Data/calib.npy");
        item.SetMetadata("Sparsity", sparsity);
        return new CompressModel
        {
            BuildEngine = _engine,
            Model = item,
            ToolPath = toolPath,
            DotNetHostPath = "/bin/sh",
            OutputDirectory = Path.Combine("obj", configuration, "buildoptim", "my model") + "/",
            ResourceName = "BuildOptim.my model.bopt",
            Namespace = "App",
            Gate = "Error",
            ProjectDirectory = _project.Path,
            CacheDirectory = "obj/buildoptim-cache/",
            DesignTime = designTime,
        };
    }

    private string SummaryLine() => Assert.Single(_engine.Messages, m => m.Message!.StartsWith("BuildOptim: my model.onnx", StringComparison.Ordinal)).Message!;

    private string EntryDirectory() => Assert.Single(Directory.GetDirectories(Cache), d => !Path.GetFileName(d).StartsWith('.'));

    [UnixFact]
    public void A_second_configuration_is_a_cache_hit_that_runs_no_engine_and_says_so()
    {
        Assert.True(Task(PassingTool, "Debug").Execute());
        Assert.Equal(1, Runs);
        Assert.DoesNotContain("[cache hit", SummaryLine());

        Assert.True(Task(PassingTool, "Release").Execute());

        Assert.Equal(1, Runs);
        string line = SummaryLine();
        Assert.Contains(CompressModel.CacheHitMarker + Path.GetFileName(EntryDirectory())[..12] + "]", line);
        Assert.EndsWith("; report: " + Path.Combine(Output("Release"), "report.html"), line);
        foreach (string name in new[] { "model.bopt", "model.boptgen", "report.json", "report.html", ArtifactWriter.ManifestFileName })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Output("Debug"), name)), File.ReadAllBytes(Path.Combine(Output("Release"), name)));
        }

        // The engine's warnings come back with the hit, with this project's paths.
        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal(("BOPT1209", Path.Combine(_project.Path, "Models", "my model.onnx")), (warning.Code, warning.File));
        Assert.Empty(Directory.GetDirectories(Output("Release"), ArtifactWriter.StagingPrefix + "*"));
    }

    [UnixFact]
    public void Projects_sharing_a_cache_folder_share_entries_and_each_hears_its_own_paths()
    {
        using var shared = new TempDirectory();
        using var other = new TempDirectory();
        File.WriteAllText(other.Touch("Models/my model.onnx"), "model");
        File.WriteAllText(other.Touch("Data/calib.npy"), "calibration");
        var first = Task(FailingTool);
        first.CacheDirectory = shared.Path;
        Assert.False(first.Execute());

        var second = Task(FailingTool);
        second.CacheDirectory = shared.Path;
        second.ProjectDirectory = other.Path;
        Assert.False(second.Execute());

        Assert.Equal(1, Runs);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("BOPT2001", Path.Combine(other.Path, "Models", "my model.onnx")), (error.Code, error.File));
        Assert.EndsWith("; report: " + Path.Combine(other.Path, "obj", "Debug", "buildoptim", "my model", "report.html"), SummaryLine());
        Assert.True(File.Exists(Path.Combine(other.Path, "obj", "Debug", "buildoptim", "my model", "model.boptgen")));
        Assert.False(Directory.Exists(Cache)); // the project's own default folder stays unused
    }

    [UnixFact]
    public void An_option_change_misses_the_cache_and_runs_the_engine()
    {
        Assert.True(Task(PassingTool).Execute());
        Assert.True(Task(PassingTool, sparsity: "0.5").Execute());

        Assert.Equal(2, Runs);
        Assert.Equal(2, Directory.GetDirectories(Cache).Length);
    }

    [UnixFact]
    public void A_cached_failed_gate_fails_the_build_again_with_its_error_and_leaves_the_signature_descriptor()
    {
        Assert.False(Task(FailingTool, "Debug").Execute());
        Assert.Equal("BOPT2001", Assert.Single(_engine.Errors).Code);

        bool result = Task(FailingTool, "Release").Execute();

        Assert.False(result);
        Assert.Equal(1, Runs);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal(("BOPT2001", "accuracy dropped 9 points"), (error.Code, error.Message));
        Assert.Contains("gate FAILED [cache hit ", SummaryLine());
        Assert.Contains("plan=absent", File.ReadAllText(Path.Combine(Output("Release"), "model.boptgen")));
        Assert.False(File.Exists(Path.Combine(Output("Release"), "model.bopt")));
    }

    [UnixFact]
    public void A_hit_replaces_the_previous_artifacts_as_the_engine_would()
    {
        Assert.True(Task(PassingTool, "Debug").Execute());
        Assert.False(Task(FailingTool, "Debug", sparsity: "0.5").Execute()); // another option: another key, another run
        Assert.True(Task(PassingTool, "Debug").Execute());                   // back to the first key: a hit

        Assert.Equal(2, Runs);
        Assert.True(File.Exists(Path.Combine(Output("Debug"), "model.bopt")));
        Assert.DoesNotContain("plan=absent", File.ReadAllText(Path.Combine(Output("Debug"), "model.boptgen")));
        Assert.Equal(["model.bopt", "model.boptgen", "report.html", "report.json"], File.ReadAllLines(Path.Combine(Output("Debug"), ArtifactWriter.ManifestFileName)));
    }

    [UnixTheory]
    [InlineData("model.bopt")]
    [InlineData(ArtifactCache.IndexFileName)]
    public void A_truncated_entry_is_detected_removed_and_recompressed(string damaged)
    {
        Assert.True(Task(PassingTool, "Debug").Execute());
        string entry = EntryDirectory();
        string path = Path.Combine(entry, damaged);
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^3]);
        File.WriteAllText(Path.Combine(Cache, "my notes.txt"), "mine");

        Assert.True(Task(PassingTool, "Release").Execute());

        Assert.Equal(2, Runs);
        Assert.DoesNotContain("[cache hit", SummaryLine());
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("is damaged", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Output("Debug"), "model.bopt")), File.ReadAllBytes(Path.Combine(Output("Release"), "model.bopt")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Cache, "my notes.txt")));

        // The recompression stored a sound entry again: the next configuration is a hit.
        Assert.True(Task(PassingTool, "Other").Execute());
        Assert.Equal(2, Runs);
        Assert.Contains("[cache hit", SummaryLine());
    }

    [UnixFact]
    public void A_run_that_failed_for_another_reason_is_not_cached()
    {
        const string badData = """
            model="$2"
            echo run >> "$(dirname "$0")/runs.txt"
            echo "$model: error BOPT1102: calib.npy is not a numpy file" >&2
            exit 1
            """;
        Assert.False(Task(badData).Execute());
        Assert.False(Task(badData).Execute());

        Assert.Equal(2, Runs);
        Assert.False(Directory.Exists(Cache) && Directory.EnumerateFileSystemEntries(Cache).Any());
    }

    [UnixFact]
    public void A_design_time_build_restores_a_hit_and_never_runs_the_engine_on_a_miss()
    {
        Assert.True(Task(PassingTool, "Debug", designTime: true).Execute());
        Assert.Equal(0, Runs);
        Assert.False(Directory.Exists(Output("Debug")));

        Assert.True(Task(FailingTool, "Debug").Execute() is false);
        Assert.True(Task(FailingTool, "Release", designTime: true).Execute());

        Assert.Equal(1, Runs);
        Assert.Empty(_engine.Errors); // the failed gate is the real build's to report
        Assert.Contains("plan=absent", File.ReadAllText(Path.Combine(Output("Release"), "model.boptgen")));
    }

    [UnixFact]
    public void A_hit_never_replaces_a_file_BuildOptim_did_not_write()
    {
        Assert.True(Task(PassingTool, "Debug").Execute());
        Directory.CreateDirectory(Output("Release"));
        File.WriteAllText(Path.Combine(Output("Release"), "report.json"), "mine");

        Assert.False(Task(PassingTool, "Release").Execute());

        Assert.Equal("BOPT3004", Assert.Single(_engine.Errors).Code);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Output("Release"), "report.json")));
        Assert.False(File.Exists(Path.Combine(Output("Release"), "model.bopt")));
    }

    [Fact]
    public void Concurrent_stores_of_one_key_keep_exactly_one_sound_entry()
    {
        string output = Path.Combine(_project.Path, "out");
        Directory.CreateDirectory(output);
        File.WriteAllBytes(Path.Combine(output, "model.bopt"), Enumerable.Range(0, 1 << 20).Select(i => (byte)i).ToArray());
        File.WriteAllText(Path.Combine(output, "report.json"), "{}");
        string key = new string('a', 64);

        bool[] stored = new bool[8];
        Parallel.For(0, stored.Length, i => stored[i] = ArtifactCache.Store(Cache, key, output, ["model.bopt", "report.json"], ["BuildOptim: x"], _project.Path));

        Assert.Equal(1, stored.Count(s => s));
        var entry = ArtifactCache.Find(Cache, key)!;
        Assert.Equal(["report.json", "model.bopt"], entry.Files.Select(f => f.Name));
        Assert.Equal(["BuildOptim: x"], entry.Lines);
        Assert.Single(Directory.GetDirectories(Cache)); // no temporary folder left behind
        Assert.Null(ArtifactRestore.Restore(entry, Path.Combine(_project.Path, "restored"), "item"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "model.bopt")), File.ReadAllBytes(Path.Combine(_project.Path, "restored", "model.bopt")));
    }

    [Fact]
    public void An_entry_names_only_artifacts_the_engine_writes()
    {
        Assert.Equal(ArtifactWriter.KnownNames.Where(n => n != ArtifactWriter.ManifestFileName).Order(), ArtifactCache.ArtifactNames.Order());
        Assert.Equal(ArtifactWriter.ManifestFileName, ArtifactRestore.ManifestFileName);
        Assert.Equal(ArtifactWriter.StagingPrefix, ArtifactRestore.StagingPrefix);
    }

    [Theory]
    [InlineData("/a/proj/Models/m.onnx: error BOPT2001: x", "/b/other/Models/m.onnx: error BOPT2001: x")]
    [InlineData("BuildOptim: m; report: /a/proj/obj/Debug/bo/m/report.html", "BuildOptim: m; report: /b/other/obj/Release/bo/m/report.html")]
    [InlineData("/shared/data.npy: warning BOPT1209: y", "/shared/data.npy: warning BOPT1209: y")]
    public void Replayed_lines_name_this_builds_folders(string recorded, string replayed)
    {
        Assert.Equal(replayed, CompressModel.ReplacePaths(recorded, "/a/proj/obj/Debug/bo/m", "/b/other/obj/Release/bo/m", "/a/proj", "/b/other"));
    }
}
