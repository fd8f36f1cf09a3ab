using System.Text.RegularExpressions;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>The README's quick start, taken from the README and run as a user pastes it: shell steps, csproj item, Program.cs.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class QuickStartTests
{
    [GeneratedRegex(@"```(?<lang>\w+)\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [Tasks.UnixFact]
    public void The_README_quick_start_works_as_pasted()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"));
        int start = readme.IndexOf("## Quick start for users", StringComparison.Ordinal);
        int end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var blocks = CodeBlock().Matches(readme[start..end]).Select(m => (Lang: m.Groups["lang"].Value, Code: m.Groups["code"].Value)).ToList();
        string shell = blocks.First(b => b.Lang == "sh").Code;
        string items = blocks.First(b => b.Lang == "xml").Code;
        string program = blocks.First(b => b.Lang == "csharp").Code;

        // A user's home of its own: the feed, the app and NuGet's caches all land in it.
        string home = Path.Combine(Path.GetTempPath(), "buildoptim-quickstart-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(home);
        var environment = new Dictionary<string, string> { ["HOME"] = home, ["DOTNET_CLI_HOME"] = home };

        var steps = DotNetCli.RunProgram("/bin/bash", TestPaths.RepoRoot, environment, "-euo", "pipefail", "-c", shell);
        Assert.True(steps.Succeeded, steps.ToString());

        string app = Path.Combine(home, "MyApp");
        string project = Path.Combine(app, "MyApp.csproj");
        File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", items + "</Project>", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);

        var build = DotNetCli.RunProgram(DotNetCli.HostPath, app, environment, "build", "--disable-build-servers", "-tl:off", "-nologo");
        Assert.True(build.Succeeded, build.ToString());
        Assert.Contains("BuildOptim: fashion_mlp.onnx -> FashionMlpModel (int8)", build.Output);

        var run = DotNetCli.RunProgram(DotNetCli.HostPath, app, environment, "run", "--no-build");
        Assert.True(run.Succeeded, run.ToString());
        Assert.Matches(@"Int8 model: image 0 is class \d, logits( -?\d+\.\d){10}", run.Output);

        Directory.Delete(home, recursive: true);
    }
}
