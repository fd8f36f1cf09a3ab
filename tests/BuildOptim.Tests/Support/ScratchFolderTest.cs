namespace BuildOptim.Tests;

/// <summary>A test class with its own folder under the temp directory (<see cref="Root"/>, created on demand), deleted after each test.</summary>
public abstract class ScratchFolderTest : IDisposable
{
    protected ScratchFolderTest()
    {
        Root = Path.Combine(Path.GetTempPath(), "buildoptim-" + GetType().Name + "-" + Guid.NewGuid().ToString("N"));
    }

    protected string Root { get; }

    /// <summary>Runs <c>buildoptim compress</c> on the small MLP into <paramref name="folder"/> with <paramref name="options"/>, asserts success and returns its report.</summary>
    protected System.Text.Json.JsonDocument CompressWithCli(string folder, params string[] options)
    {
        string dir = Path.Combine(Root, folder);
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--gate", "Off", .. options, "--out", dir],
            TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, exit);
        return System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, BuildOptim.Compression.Compressor.ReportFileName)));
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
