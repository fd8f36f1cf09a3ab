using BuildOptim.Tasks;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tests.Tasks;

/// <summary>
/// Runs the task end to end against a shell script standing in for buildoptim.dll
/// (<c>/bin/sh script compress ...</c>), to pin down launching and relaying; the real CLI is
/// covered by the EndToEnd tests.
/// </summary>
public sealed class CompressModelTests : IDisposable
{
    private readonly TempDirectory _project = new();
    private readonly RecordingBuildEngine _engine = new();

    public CompressModelTests()
    {
        _project.Touch("Models/my model.onnx");
        _project.Touch("Data/calib.npy");
    }

    public void Dispose() => _project.Dispose();

    private CompressModel Task(string toolScript, string? host = "/bin/sh", params (string Name, string Value)[] metadata)
    {
        string toolPath = Path.Combine(_project.Path, "tool.sh");
        File.WriteAllText(toolPath, toolScript);
        var item = new TaskItem("Models/my model.onnx");
        item.SetMetadata("Calibration", "Data/calib.npy");
        foreach (var (name, value) in metadata)
        {
            item.SetMetadata(name, value);
        }
        return new CompressModel
        {
            BuildEngine = _engine,
            Model = item,
            ToolPath = toolPath,
            DotNetHostPath = host,
            OutputDirectory = "obj/buildoptim/my model/",
            ResourceName = "BuildOptim.my model.bopt",
            Namespace = "App",
            Gate = "Error",
            ProjectDirectory = _project.Path,
        };
    }

    [UnixFact]
    public void Success_relays_the_summary_at_high_importance()
    {
        bool result = Task("echo 'BuildOptim: my model.onnx 1 MB -> 256 KB'\necho 'calibrating' \n").Execute();

        Assert.True(result);
        Assert.Empty(_engine.Errors);
        Assert.Contains(_engine.Messages, m => m.Importance == MessageImportance.High && m.Message == "BuildOptim: my model.onnx 1 MB -> 256 KB");
        Assert.Contains(_engine.Messages, m => m.Importance == MessageImportance.Low && m.Message == "calibrating");
    }

    [UnixFact]
    public void Tool_receives_the_arguments_intact()
    {
        string argsFile = Path.Combine(_project.Path, "args.txt");
        bool result = Task($"for a in \"$@\"; do echo \"$a\" >> '{argsFile}'; done\n", metadata: ("Sparsity", "0.50")).Execute();

        Assert.True(result);
        string[] args = File.ReadAllLines(argsFile);
        Assert.Equal("compress", args[0]);
        Assert.Equal(Path.Combine(_project.Path, "Models", "my model.onnx"), args[1]);
        Assert.Equal(Path.Combine(_project.Path, "obj", "buildoptim", "my model"), args[Array.IndexOf(args, "--out") + 1]);
        Assert.Equal("0.5", args[Array.IndexOf(args, "--sparsity") + 1]);
        Assert.Equal("Models/my model.onnx", args[Array.IndexOf(args, "--item") + 1]);
        Assert.Equal("BuildOptim.my model.bopt", args[Array.IndexOf(args, "--resource-name") + 1]);
        Assert.DoesNotContain("--class-name", args);
    }

    [UnixFact]
    public void NuGet_package_folders_reach_the_host_as_probing_paths_ahead_of_the_tool()
    {
        // A host that records its command line, as `dotnet` would receive it.
        string argsFile = Path.Combine(_project.Path, "host-args.txt");
        string host = Path.Combine(_project.Path, "host.sh");
        File.WriteAllText(host, $"#!/bin/sh\nfor a in \"$@\"; do echo \"$a\" >> '{argsFile}'; done\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(host, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var task = Task("exit 0\n", host);
        task.ProbingPaths = "/home/u/.nuget/packages/;/opt/nuget fallback/";

        Assert.True(task.Execute());

        string[] args = File.ReadAllLines(argsFile);
        Assert.Equal(new[] { "exec", "--additionalprobingpath", "/home/u/.nuget/packages/", "--additionalprobingpath", "/opt/nuget fallback/", task.ToolPath, "compress" }, args[..7]);
    }

    [UnixFact]
    public void Two_items_generating_the_same_class_fail_with_BOPT1205_before_the_tool_runs()
    {
        _project.Touch("Models/my-model.onnx");
        string ran = Path.Combine(_project.Path, "ran.txt");
        var task = Task($"echo ran > '{ran}'\n");
        task.AllModels = [task.Model, new TaskItem("Models/my-model.onnx")];

        bool result = task.Execute();

        Assert.False(result);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BOPT1205", error.Code);
        Assert.Contains("'Models/my model.onnx' and 'Models/my-model.onnx'", error.Message);
        Assert.Contains("App.MyModel'", error.Message);
        Assert.False(File.Exists(ran));
    }

    [UnixFact]
    public void An_explicit_ClassName_equal_to_another_items_class_is_BOPT1205_and_distinct_names_pass()
    {
        var other = new TaskItem("Models/other.onnx");
        other.SetMetadata("ClassName", "MyModel");
        var task = Task("exit 0\n");
        task.AllModels = [task.Model, other];
        Assert.False(task.Execute());
        Assert.Equal("BOPT1205", Assert.Single(_engine.Errors).Code);

        other.SetMetadata("Namespace", "Other");
        var again = Task("exit 0\n");
        again.AllModels = [again.Model, other];
        _engine.Errors.Clear();
        Assert.True(again.Execute());
    }

    [Theory]
    [InlineData("class")]
    [InlineData("My Model")]
    [InlineData("Run")]
    [InlineData("Fashion\u202EModel")]
    public void An_invalid_ClassName_is_BOPT1201_before_the_tool_runs(string className)
    {
        string ran = Path.Combine(_project.Path, "ran.txt");

        bool result = Task($"echo ran > '{ran}'\n", metadata: ("ClassName", className)).Execute();

        Assert.False(result);
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BOPT1201", error.Code);
        Assert.Contains("ClassName", error.Message);
        Assert.False(File.Exists(ran));
    }

    [UnixFact]
    public void Coded_errors_are_relayed_with_their_code_and_file()
    {
        bool result = Task("echo '/p/m.onnx: error BOPT2001: accuracy dropped 9 points' >&2\nexit 1\n").Execute();

        Assert.False(result);
        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal(("BOPT2001", "/p/m.onnx", "accuracy dropped 9 points"), (error.Code, error.File, error.Message));
    }

    [UnixFact]
    public void Coded_warnings_are_relayed_and_do_not_fail_the_task()
    {
        bool result = Task("echo '/p/m.onnx: warning BOPT1206: something to know'\n").Execute();

        Assert.True(result);
        Assert.Equal("BOPT1206", Assert.Single(_engine.Warnings).Code);
    }

    [UnixFact]
    public void A_gate_warning_is_left_to_the_targets_which_repeat_it_on_every_build()
    {
        bool result = Task("echo '/p/m.onnx: warning BOPT2001: accuracy dropped 9 points'\n").Execute();

        Assert.True(result);
        Assert.Empty(_engine.Warnings);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("BOPT2001: accuracy dropped 9 points", StringComparison.Ordinal));
    }

    [UnixFact]
    public void Failure_without_a_coded_error_is_BOPT3001_naming_the_item()
    {
        bool result = Task("echo 'Unhandled exception. System.NullReferenceException' >&2\nexit 134\n").Execute();

        Assert.False(result);
        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal("BOPT3001", error.Code);
        Assert.Contains("ModelToCompress 'Models/my model.onnx'", error.Message);
        Assert.Contains("code 134", error.Message);
        Assert.Contains("NullReferenceException", error.Message);
    }

    [UnixFact]
    public void Large_output_on_both_pipes_does_not_deadlock()
    {
        string script = "i=0; while [ $i -lt 3000 ]; do echo \"stdout line $i padding padding padding padding\"; echo \"stderr line $i padding padding padding padding\" >&2; i=$((i+1)); done\necho 'BuildOptim: done'\n";

        bool result = Task(script).Execute();

        Assert.True(result);
        Assert.Equal(6001, _engine.Messages.Count(m => m.Message!.Contains("line") || m.Message.StartsWith("BuildOptim:")));
    }

    [Fact]
    public void Invalid_metadata_stops_before_launching_anything()
    {
        CompressModel task = Task("exit 0", host: "/nonexistent/dotnet", ("Prune", "Everything"));

        Assert.False(task.Execute());
        Assert.Equal("BOPT1201", Assert.Single(_engine.Errors).Code);
    }

    [Fact]
    public void Missing_tool_is_BOPT3002()
    {
        CompressModel task = Task("exit 0");
        task.ToolPath = Path.Combine(_project.Path, "nope", "buildoptim.dll");

        Assert.False(task.Execute());
        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal("BOPT3002", error.Code);
        Assert.Contains("BuildOptimToolPath", error.Message);
    }

    [Fact]
    public void Host_that_cannot_start_is_BOPT3002()
    {
        CompressModel task = Task("exit 0", host: Path.Combine(_project.Path, "no-such-dotnet"));

        Assert.False(task.Execute());
        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal("BOPT3002", error.Code);
        Assert.Contains("could not start", error.Message);
    }

    [Fact]
    public void Errors_point_at_the_project_running_the_task_by_default()
    {
        CompressModel task = Task("exit 0", metadata: ("Calibration", "Data/missing.npy"));

        task.Execute();

        BuildErrorEventArgs error = Assert.Single(_engine.Errors);
        Assert.Equal("BOPT1101", error.Code);
        Assert.Equal(_engine.ProjectFileOfTaskNode, error.File);
    }

    [Fact]
    public void Errors_point_at_the_file_declaring_the_item_when_the_targets_pass_it()
    {
        CompressModel task = Task("exit 0", metadata: [("Calibration", "Data/missing.npy"), ("_DefiningProjectFullPath", "/src/app/Models.props")]);

        task.Execute();

        Assert.Equal("/src/app/Models.props", Assert.Single(_engine.Errors).File);
    }
}
