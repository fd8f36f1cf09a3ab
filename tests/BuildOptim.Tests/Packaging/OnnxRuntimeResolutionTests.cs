using System.Xml.Linq;

namespace BuildOptim.Tests.Packaging;

/// <summary>
/// The package ships the CLI without ONNX Runtime and depends on it instead (for restore to download it, with no asset
/// for the app); build/BuildOptim.targets looks for it in the NuGet package folders. All must name the version the
/// CLI's deps.json names, or the host finds nothing there.
/// </summary>
public sealed class OnnxRuntimeResolutionTests
{
    private static XElement OnnxRuntimeReference(params string[] project) =>
        XDocument.Load(Path.Combine([TestPaths.RepoRoot, "src", .. project])).Descendants("PackageReference")
            .Single(r => (string?)r.Attribute("Include") == "Microsoft.ML.OnnxRuntime");

    [Fact]
    public void Package_depends_on_the_OnnxRuntime_version_the_engine_references_and_the_targets_look_for()
    {
        string engine = OnnxRuntimeReference("BuildOptim.Compression", "BuildOptim.Compression.csproj").Attribute("Version")!.Value;
        XElement package = OnnxRuntimeReference("BuildOptim", "BuildOptim.csproj");
        string lookedFor = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "build", "BuildOptim.targets"))
            .Descendants("_BuildOptimOnnxRuntimeVersion").Single().Value;

        Assert.Equal(engine, package.Attribute("Version")!.Value);
        Assert.Equal(engine, lookedFor);
        // What flows to the app: content files, which the ONNX Runtime packages have none of.
        Assert.Equal("contentFiles", package.Attribute("IncludeAssets")!.Value);
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
