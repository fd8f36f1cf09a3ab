using BuildOptim.Tests;

namespace BuildOptim.Tests.EndToEnd;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<PackagedBuildFixture>
{
    public const string Name = "EndToEnd";
}

/// <summary>
/// Packs BuildOptim once, into a feed in a temporary folder outside the repository, and builds one
/// fresh app against it (see <see cref="TestApp.CreateClassifier"/>). Every app gets the same
/// nuget.config: the feed first, then nuget.org for the SDK's own packages, and a private
/// packages folder so that a BuildOptim 0.1.0 cached by an earlier run is never used.
/// </summary>
public sealed class PackagedBuildFixture : IDisposable
{
    public const string PackageVersion = "0.1.0";

    public PackagedBuildFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "buildoptim-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Packages = Path.Combine(Root, "packages");
        Directory.CreateDirectory(Feed);

        // Fence the apps off from any Directory.Build.* further up (e.g. in /tmp).
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "nuget.config"), """
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="packages" />
              </config>
              <packageSources>
                <clear />
                <add key="buildoptim-under-test" value="feed" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);

        PackResult = DotNetCli.Run(TestPaths.RepoRoot, "pack", Path.Combine(TestPaths.RepoRoot, "src", "BuildOptim"),
            "-c", "Release", "-o", Feed, "--disable-build-servers", "-tl:off", "-nologo");
        if (!PackResult.Succeeded)
        {
            return; // the tests report PackResult
        }

        Classifier = TestApp.CreateClassifier(this, "classifier");
        ClassifierBuild = Classifier.Build();
        if (ClassifierBuild.Succeeded)
        {
            ClassifierRun = Classifier.Run(Classifier.EvaluationData);
            // Later tests rebuild this app: keep what the first build produced.
            ClassifierSnapshot = Classifier.SnapshotArtifacts();
        }
    }

    public string Root { get; }
    public string Feed { get; }
    public string Packages { get; }

    public CommandResult PackResult { get; }
    public TestApp? Classifier { get; }
    public CommandResult? ClassifierBuild { get; }
    public CommandResult? ClassifierRun { get; }
    public string? ClassifierSnapshot { get; }

    /// <summary>buildoptim.dll as restored from the package under test.</summary>
    public string PackagedTool => Path.Combine(Packages, "buildoptim", PackageVersion, "tools", "net10.0", "buildoptim.dll");

    public void RequirePackage() => Assert.True(PackResult.Succeeded, PackResult.ToString());

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder.
        }
    }
}
