namespace BuildOptim.Tests.EndToEnd;

/// <summary>The CLI as a .NET tool: <c>dotnet pack src/BuildOptim.Cli</c>, installed from a folder feed, run as <c>buildoptim</c>.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ToolPackageTests
{
    [Fact]
    public void The_tool_packs_installs_and_compresses_a_model()
    {
        string root = Path.Combine(Path.GetTempPath(), "buildoptim-tool-" + Guid.NewGuid().ToString("N")[..12]);
        string feed = Path.Combine(root, "feed"), tools = Path.Combine(root, "tools"), output = Path.Combine(root, "out");
        try
        {
            var pack = DotNetCli.Run(TestPaths.RepoRoot, "pack", Path.Combine(TestPaths.RepoRoot, "src", "BuildOptim.Cli"), "-c", "Release", "-o", feed, "--disable-build-servers", "-tl:off", "-nologo");
            Assert.True(pack.Succeeded, pack.ToString());
            Assert.True(File.Exists(Path.Combine(feed, $"BuildOptim.Tool.{PackagedBuildFixture.PackageVersion}.nupkg")), pack.ToString());

            var install = DotNetCli.Run(root, "tool", "install", "BuildOptim.Tool", "--version", PackagedBuildFixture.PackageVersion, "--tool-path", tools, "--add-source", feed);
            Assert.True(install.Succeeded, install.ToString());

            string buildoptim = Path.Combine(tools, OperatingSystem.IsWindows() ? "buildoptim.exe" : "buildoptim");
            var version = DotNetCli.RunProgram(buildoptim, root, null, "--version");
            Assert.True(version.Succeeded, version.ToString());
            Assert.Equal(PackagedBuildFixture.PackageVersion, version.Output.Trim());

            var compress = DotNetCli.RunProgram(buildoptim, root, null, "compress", Path.Combine(TestPaths.TestData, "models", "mlp_tanh.onnx"),
                "--calibration", Path.Combine(TestPaths.TestData, "models", "mlp_tanh_calib.npy"), "--evaluation", Path.Combine(TestPaths.TestData, "models", "mlp_eval.npz"), "--out", output);
            Assert.True(compress.Succeeded, compress.ToString());
            Assert.Contains("BuildOptim: mlp_tanh.onnx -> MlpTanhModel (int8)", compress.Output);
            Assert.True(File.Exists(Path.Combine(output, "model.bopt")));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
