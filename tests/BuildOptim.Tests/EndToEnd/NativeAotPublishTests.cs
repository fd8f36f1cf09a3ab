using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// The runtime declares <c>IsAotCompatible</c>: a fresh app using the packed package publishes with NativeAOT without a
/// single trim or AOT warning, and the native executable gives the very outputs the JIT-compiled app gives.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class NativeAotPublishTests
{
    private readonly PackagedBuildFixture _fixture;

    public NativeAotPublishTests(PackagedBuildFixture fixture)
    {
        _fixture = fixture;
    }

    // ILLink and ILCompiler warnings: IL2xxx (trimming), IL3xxx (AOT).
    [GeneratedRegex(@"warning IL[23]\d{3}")]
    private static partial Regex TrimOrAotWarning();

    [Tasks.UnixFact]
    public void NativeAot_publish_has_no_trim_or_aot_warning_and_the_executable_matches_the_jit_app()
    {
        _fixture.RequirePackage();
        Assert.True(_fixture.ClassifierRun is { Succeeded: true }, _fixture.ClassifierRun?.ToString() ?? _fixture.ClassifierBuild?.ToString());
        TestApp app = TestApp.CreateClassifier(_fixture, "native-aot");
        string rid = RuntimeInformation.RuntimeIdentifier;
        string publishDir = Path.Combine(app.Directory, "publish");

        CommandResult publish = DotNetCli.Run(app.Directory, "publish", "-c", "Release", "-r", rid, "-p:PublishAot=true",
            "-o", publishDir, "--disable-build-servers", "-tl:off", "-nologo");

        Assert.True(publish.Succeeded, publish.ToString());
        Assert.DoesNotMatch(TrimOrAotWarning(), publish.Output);
        Assert.DoesNotContain(": warning ", publish.Output); // none at all: restore, compression, compile, trim, AOT
        string executable = Path.Combine(publishDir, "App");
        Assert.True(File.Exists(executable), publish.ToString());
        Assert.False(File.Exists(Path.Combine(publishDir, "App.dll")), "a NativeAOT publish has no IL assembly to run");

        CommandResult run = DotNetCli.RunProgram(executable, app.Directory, null, app.EvaluationData);

        Assert.True(run.Succeeded, run.ToString());
        Assert.Contains("allocated-bytes-1000-runs 0", run.Output);
        string[] Outputs(CommandResult r) => r.Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("output ", StringComparison.Ordinal)).ToArray();
        string[] native = Outputs(run);
        Assert.NotEmpty(native);
        Assert.Equal(Outputs(_fixture.ClassifierRun!), native);
    }
}
