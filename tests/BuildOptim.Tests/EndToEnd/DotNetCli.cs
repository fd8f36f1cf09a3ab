using System.Diagnostics;
using System.Text;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>The result of one <c>dotnet</c> command: exit code and interleaved stdout/stderr.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"> {CommandLine}\n(exit {ExitCode})\n{Output}";
}

/// <summary>Runs the real <c>dotnet</c> the tests run under, isolated from the test host's MSBuild environment.</summary>
public static class DotNetCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    public static string HostPath =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static CommandResult Run(string workingDirectory, params string[] arguments)
        => RunProgram(HostPath, workingDirectory, null, arguments);

    /// <summary>Runs <paramref name="program"/> like <see cref="Run"/>, with <paramref name="environment"/> overriding variables.</summary>
    public static CommandResult RunProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A test host started by `dotnet test` carries MSBuild variables that would steer the child
        // build into the test's own SDK context; a user's shell has none of them.
        foreach (string name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {Timeout}.\n{output}");
        }
        process.WaitForExit(); // drains the async readers
        return new CommandResult($"{Path.GetFileName(program)} {string.Join(' ', arguments)}", process.ExitCode, output.ToString());
    }

    /// <summary>
    /// <c>dotnet build</c> as a user runs it, minus the build servers: nodes and the compiler server
    /// would outlive the test.
    /// </summary>
    public static CommandResult Build(string projectDirectory, params string[] extraArguments) =>
        Run(projectDirectory, ["build", "--disable-build-servers", "-tl:off", "-nologo", .. extraArguments]);
}
