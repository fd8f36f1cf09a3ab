using System.IO.Compression;
using System.Xml.Linq;
using BuildOptim.Runtime.Data;
using SkiaSharp;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// What the packed BuildOptim.nupkg holds and declares: no ONNX Runtime inside (restore brings it as a dependency that
/// gives the app no asset), and the metadata a gallery shows.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class PackageContentTests
{
    private readonly PackagedBuildFixture _fixture;

    public PackageContentTests(PackagedBuildFixture fixture)
    {
        _fixture = fixture;
    }

    private string PackagePath => Path.Combine(_fixture.Feed, $"BuildOptim.{PackagedBuildFixture.PackageVersion}.nupkg");

    private XElement Metadata()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using Stream nuspec = zip.GetEntry("BuildOptim.nuspec")!.Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    [Fact]
    public void Package_carries_no_OnnxRuntime_and_depends_on_it_with_no_asset_for_the_app()
    {
        _fixture.RequirePackage();
        using (ZipArchive zip = ZipFile.OpenRead(PackagePath))
        {
            Assert.DoesNotContain(zip.Entries, e => e.FullName.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase));
            Assert.Contains(zip.Entries, e => e.FullName == "tools/net10.0/buildoptim.dll");
        }
        // 49 MB with ONNX Runtime's natives for five platforms inside; 29.5 MB now, SkiaSharp's natives (image data) for the
        // same five being most of it.
        Assert.InRange(new FileInfo(PackagePath).Length, 1_000_000, 32_000_000);
        using (ZipArchive zip = ZipFile.OpenRead(PackagePath))
        {
            Assert.Equal(5, zip.Entries.Count(e => e.FullName.StartsWith("tools/net10.0/runtimes/", StringComparison.Ordinal)));
            Assert.DoesNotContain(zip.Entries, e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal));
        }

        XElement dependency = Assert.Single(Metadata().Descendants(), e => e.Name.LocalName == "dependency");
        Assert.Equal("Microsoft.ML.OnnxRuntime", dependency.Attribute("id")!.Value);
        Assert.Equal("ContentFiles", dependency.Attribute("include")!.Value);
    }

    [Fact]
    public void Nuspec_names_a_readme_and_an_icon_that_the_package_holds()
    {
        _fixture.RequirePackage();
        XElement metadata = Metadata();
        string Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;

        Assert.Equal("README.md", Element("readme"));
        Assert.Equal("icon.png", Element("icon"));
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using (var readme = new StreamReader(zip.GetEntry("README.md")!.Open()))
        {
            Assert.Contains("ModelToCompress", readme.ReadToEnd());
        }
        using var icon = new BinaryReader(zip.GetEntry("icon.png")!.Open());
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, icon.ReadBytes(4));
    }

    [Fact]
    public void Packaged_cli_run_without_the_package_folders_reports_BOPT2003_naming_restore()
    {
        _fixture.RequirePackage();
        Assert.True(File.Exists(_fixture.PackagedTool), _fixture.ClassifierBuild?.ToString());
        string models = Path.Combine(TestPaths.TestData, "models");

        CommandResult run = DotNetCli.Run(_fixture.Root, _fixture.PackagedTool, "compress", Path.Combine(models, "mlp_tanh.onnx"),
            "--calibration", Path.Combine(models, "mlp_tanh_calib.npy"), "--out", Path.Combine(_fixture.Root, "no-ort-out"));

        Assert.False(run.Succeeded, run.ToString());
        Assert.Contains("error BOPT2003: ONNX Runtime 1.31.1", run.Output);
        Assert.Contains("dotnet restore", run.Output);
        Assert.DoesNotContain("BOPT3001", run.Output);
    }

    [Fact]
    public void An_offline_machine_with_the_packages_cached_builds_with_no_source_but_the_local_feed()
    {
        _fixture.RequirePackage();
        Assert.True(_fixture.ClassifierBuild!.Succeeded, _fixture.ClassifierBuild.ToString()); // fills the packages folder
        TestApp app = TestApp.CreateClassifier(_fixture, "offline");
        app.WriteFile("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{_fixture.Packages}" />
              </config>
              <packageSources>
                <clear />
                <add key="buildoptim-under-test" value="{_fixture.Feed}" />
              </packageSources>
            </configuration>
            """);

        CommandResult build = app.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.Contains("BuildOptim: mlp_tanh.onnx -> MlpTanhModel (int8)", build.Output);
    }

    [Fact]
    public void A_folder_of_pngs_calibrates_a_model_through_the_package_with_the_natives_it_carries()
    {
        _fixture.RequirePackage();
        TestApp app = TestApp.CreateEmpty(_fixture, "images", """
            <ModelToCompress Include="Models/mlp_tanh.onnx" Calibration="Data/images/" ImageSize="28,28" ImageChannels="Gray" MinAgreement="0.9" />
            """);
        app.CopyTestData("models/mlp_tanh.onnx", "Models/mlp_tanh.onnx");
        Directory.CreateDirectory(Path.Combine(app.Directory, "Data", "images"));
        NdArray calibration = NpyReader.Read(Path.Combine(TestPaths.TestData, "models", "mlp_tanh_calib.npy"));
        for (int i = 0; i < Math.Min(64, calibration.SampleCount); i++)
        {
            float[] values = calibration.Sample(i).ToArray();
            using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (int p = 0; p < 784; p++)
            {
                byte v = (byte)Math.Clamp(Math.Round(values[p] * 255), 0, 255);
                bitmap.SetPixel(p % 28, p / 28, new SKColor(v, v, v));
            }

            using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(app.Directory, "Data", "images", $"{i:D3}.png"), png.ToArray());
        }

        CommandResult build = app.Build();

        Assert.True(build.Succeeded, build.ToString());
        Assert.Contains("BuildOptim: mlp_tanh.onnx -> MlpTanhModel (int8)", build.Output);
        Assert.True(File.Exists(app.PlanOf("mlp_tanh")));
    }
}
