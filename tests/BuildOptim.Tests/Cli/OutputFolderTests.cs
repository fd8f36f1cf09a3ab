using BuildOptim.Compression;
using BuildOptim.Compression.Artifacts;

namespace BuildOptim.Tests.Cli;

/// <summary><c>--out DIR</c> is a folder the user names: BuildOptim replaces its own artifacts there and nothing else.</summary>
public sealed class OutputFolderTests : ScratchFolderTest
{
    private static readonly string[] s_artifacts = [Compressor.PlanFileName, Compressor.DescriptorFileName, Compressor.ReportFileName];

    private (int Exit, string Errors) Compress(string dir, params string[] options)
    {
        var errors = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, .. options, "--out", dir],
            TextWriter.Null, errors);
        return (exit, errors.ToString());
    }

    private string UserFiles(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "src"));
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(dir, "src", "Program.cs"), "class P {}");
        return dir;
    }

    [Fact]
    public void Compressing_into_a_folder_with_user_files_keeps_every_one_of_them()
    {
        string dir = UserFiles(Path.Combine(Root, "work"));

        Assert.Equal(0, Compress(dir, "--gate", "Off").Exit);
        Assert.Equal(0, Compress(dir, "--gate", "Off").Exit); // the second run replaces its own artifacts

        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes.txt")));
        Assert.Equal("class P {}", File.ReadAllText(Path.Combine(dir, "src", "Program.cs")));
        Assert.All(s_artifacts, name => Assert.True(File.Exists(Path.Combine(dir, name)), name));
        Assert.Empty(Directory.GetDirectories(dir, ArtifactWriter.StagingPrefix + "*"));
        var manifest = File.ReadAllLines(Path.Combine(dir, ArtifactWriter.ManifestFileName));
        Assert.Subset(manifest.ToHashSet(), s_artifacts.ToHashSet());
        Assert.DoesNotContain("notes.txt", manifest);
    }

    [Fact]
    public void A_file_with_an_artifact_name_that_BuildOptim_did_not_write_is_refused_with_BOPT3004_and_kept()
    {
        string dir = UserFiles(Path.Combine(Root, "work"));
        File.WriteAllText(Path.Combine(dir, Compressor.ReportFileName), "{ \"mine\": true }");

        var (exit, errors) = Compress(dir, "--gate", "Off");

        Assert.Equal(1, exit);
        Assert.Contains("error BOPT3004", errors);
        Assert.Contains(Compressor.ReportFileName, errors);
        Assert.Equal("{ \"mine\": true }", File.ReadAllText(Path.Combine(dir, Compressor.ReportFileName)));
        Assert.False(File.Exists(Path.Combine(dir, Compressor.PlanFileName)));
        Assert.Empty(Directory.GetDirectories(dir, ArtifactWriter.StagingPrefix + "*"));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes.txt")));
    }

    [Fact]
    public void A_failed_gate_leaves_only_its_reports_and_signature_in_place_of_the_previous_artifacts_and_keeps_user_files()
    {
        string dir = UserFiles(Path.Combine(Root, "work"));
        Assert.Equal(0, Compress(dir, "--gate", "Off").Exit);

        // A cosine of exactly 1 is out of reach for an int8 model.
        var (exit, errors) = Compress(dir, "--evaluation", Models.SmallEvaluation, "--min-agreement", "1", "--min-cosine", "1");

        Assert.Equal(1, exit);
        Assert.Contains("error BOPT200", errors);
        Assert.False(File.Exists(Path.Combine(dir, Compressor.PlanFileName)), "a failed gate left the previous plan behind");
        Assert.Contains("\nplan=absent\n", File.ReadAllText(Path.Combine(dir, Compressor.DescriptorFileName)));
        Assert.False(File.Exists(Path.Combine(dir, Compressor.EvaluationOutputsFileName)));
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, Compressor.ReportFileName)));
        Assert.False(report.RootElement.GetProperty("gate").GetProperty("passed").GetBoolean());
        Assert.Contains("Gate FAILED", File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName)));
        Assert.Equal([Compressor.DescriptorFileName, Compressor.ReportHtmlFileName, Compressor.ReportFileName], File.ReadAllLines(Path.Combine(dir, ArtifactWriter.ManifestFileName)));
        Assert.Empty(Directory.GetDirectories(dir, ArtifactWriter.StagingPrefix + "*"));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes.txt")));
        Assert.True(File.Exists(Path.Combine(dir, "src", "Program.cs")));
    }

    [Fact]
    public void A_failed_gate_with_a_user_report_html_in_the_folder_is_BOPT3004_keeps_the_file_and_removes_the_stale_plan()
    {
        string dir = Path.Combine(Root, "work");
        Assert.Equal(0, Compress(dir, "--gate", "Off").Exit);

        // The artifacts of a BuildOptim that wrote no report.html, beside the user's own report.html.
        string manifest = Path.Combine(dir, ArtifactWriter.ManifestFileName);
        File.WriteAllLines(manifest, File.ReadAllLines(manifest).Where(name => name != Compressor.ReportHtmlFileName));
        File.WriteAllText(Path.Combine(dir, Compressor.ReportHtmlFileName), "<p>mine</p>");

        var (exit, errors) = Compress(dir, "--evaluation", Models.SmallEvaluation, "--min-agreement", "1", "--min-cosine", "1");

        Assert.Equal(1, exit);
        Assert.Contains("error BOPT3004", errors);
        Assert.Equal("<p>mine</p>", File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName)));
        Assert.False(File.Exists(Path.Combine(dir, Compressor.PlanFileName)), "the previous plan outlived a failed gate");
        Assert.Empty(Directory.GetDirectories(dir, ArtifactWriter.StagingPrefix + "*"));
    }

    [Fact]
    public void A_killed_runs_staging_folder_is_removed_by_the_next_run_but_a_user_file_in_it_is_kept()
    {
        string dir = Path.Combine(Root, "work");
        string dead = Path.Combine(dir, ArtifactWriter.StagingPrefix + int.MaxValue);
        string deadWithUserFile = Path.Combine(dir, ArtifactWriter.StagingPrefix + (int.MaxValue - 1));
        foreach (string staging in new[] { dead, deadWithUserFile })
        {
            Directory.CreateDirectory(staging);
            File.WriteAllText(Path.Combine(staging, Compressor.PlanFileName), "half");
        }

        File.WriteAllText(Path.Combine(deadWithUserFile, "keep.txt"), "mine");

        Assert.Equal(0, Compress(dir, "--gate", "Off").Exit);

        Assert.False(Directory.Exists(dead));
        Assert.False(File.Exists(Path.Combine(deadWithUserFile, Compressor.PlanFileName)));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(deadWithUserFile, "keep.txt")));
    }

    [Fact]
    public void Out_naming_an_existing_file_is_BOPT3003_and_the_file_is_kept()
    {
        Directory.CreateDirectory(Root);
        string file = Path.Combine(Root, "taken");
        File.WriteAllText(file, "mine");

        var (exit, errors) = Compress(file, "--gate", "Off");

        Assert.Equal(1, exit);
        Assert.Contains("error BOPT3003", errors);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void A_gate_failing_as_a_warning_leaves_its_message_for_the_build_to_repeat_and_a_passing_run_removes_it()
    {
        string dir = Path.Combine(Root, "work");
        var (exit, errors) = Compress(dir, "--evaluation", Models.SmallEvaluation, "--min-agreement", "1", "--min-cosine", "1", "--gate", "Warning");

        Assert.Equal(0, exit);
        Assert.Contains("warning BOPT200", errors);
        string warning = File.ReadAllText(Path.Combine(dir, Compressor.GateWarningFileName));
        Assert.Matches(@"^BOPT200[124]: \S", warning);
        Assert.Single(warning.TrimEnd('\n').Split('\n'));

        Assert.Equal(0, Compress(dir, "--evaluation", Models.SmallEvaluation, "--gate", "Warning", "--max-accuracy-drop", "100", "--min-cosine", "0.5").Exit);
        Assert.False(File.Exists(Path.Combine(dir, Compressor.GateWarningFileName)));
        Assert.True(File.Exists(Path.Combine(dir, Compressor.PlanFileName)));
    }
}
