namespace BuildOptim.Tests;

/// <summary>
/// Locates the repository from the test binaries, so tests read <c>tests/TestData</c> in place
/// instead of copying it to the output folder.
/// </summary>
public static class TestPaths
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    /// <summary>The folder holding <c>BuildOptim.sln</c> (or <c>.slnx</c>) or <c>.git</c>, found by walking up from the test binaries.</summary>
    public static string RepoRoot => s_repoRoot.Value;

    /// <summary><c>tests/TestData</c> under <see cref="RepoRoot"/>.</summary>
    public static string TestData => Path.Combine(RepoRoot, "tests", "TestData");

    private static string FindRepoRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string path = folder.FullName;
            if (File.Exists(Path.Combine(path, "BuildOptim.sln"))
                || File.Exists(Path.Combine(path, "BuildOptim.slnx"))
                || Directory.Exists(Path.Combine(path, ".git"))
                || File.Exists(Path.Combine(path, ".git"))) // a git worktree has a .git file
            {
                return path;
            }
        }
        throw new InvalidOperationException(
            $"No folder above '{AppContext.BaseDirectory}' holds BuildOptim.sln or .git; run the tests from a clone of the repository.");
    }
}
