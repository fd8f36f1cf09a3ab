using System.Xml.Linq;

namespace BuildOptim.Tests.Packaging;

/// <summary>
/// The package ships the CLI without ONNX Runtime; build/BuildOptim.targets has restore download it. The version it asks
/// for must be the one the CLI's deps.json names, or the host finds nothing in the package folders.
/// </summary>
public sealed class OnnxRuntimeResolutionTests
{
    [Fact]
    public void Targets_download_the_OnnxRuntime_version_the_engine_references()
    {
        XDocument compression = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "src", "BuildOptim.Compression", "BuildOptim.Compression.csproj"));
        string referenced = compression.Descendants("PackageReference")
            .Single(r => (string?)r.Attribute("Include") == "Microsoft.ML.OnnxRuntime").Attribute("Version")!.Value;

        XDocument targets = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "build", "BuildOptim.targets"));
        string downloaded = targets.Descendants("_BuildOptimOnnxRuntimeVersion").Single().Value;
        XElement download = targets.Descendants("PackageDownload").Single();

        Assert.Equal(referenced, downloaded);
        Assert.Equal("[$(_BuildOptimOnnxRuntimeVersion)]", download.Attribute("Version")!.Value);
        Assert.Equal(["Microsoft.ML.OnnxRuntime", "Microsoft.ML.OnnxRuntime.Managed"], download.Attribute("Include")!.Value.Split(';'));
    }

    [Fact]
    public void Cli_build_output_lists_both_OnnxRuntime_packages_at_the_downloaded_version()
    {
        string depsJson = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "buildoptim.deps.json"));
        string version = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "build", "BuildOptim.targets"))
            .Descendants("_BuildOptimOnnxRuntimeVersion").Single().Value;

        Assert.Contains($"\"path\": \"microsoft.ml.onnxruntime/{version}\"", depsJson);
        Assert.Contains($"\"path\": \"microsoft.ml.onnxruntime.managed/{version}\"", depsJson);
    }
}
