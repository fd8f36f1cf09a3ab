using System.Text.RegularExpressions;

namespace BuildOptim.Tests.Shared;

/// <summary>Every BOPT code is defined once (src/Shared/DiagnosticIds.cs) and documented once (docs/diagnostics.md).</summary>
public sealed partial class DiagnosticIdsTests
{
    [GeneratedRegex(@"public const string (\w+) = ""(BOPT\d{4})"";")]
    private static partial Regex Definition();

    [GeneratedRegex(@"""BOPT\d{4}""")]
    private static partial Regex Literal();

    [GeneratedRegex(@"^\| (BOPT\d{4}) \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedRow();

    private static Dictionary<string, string> Defined() => Definition()
        .Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "Shared", "DiagnosticIds.cs")))
        .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    [Fact]
    public void Each_code_has_one_name_and_each_name_one_code()
    {
        var defined = Defined();
        Assert.True(defined.Count >= 30, "the table was not read");
        Assert.Equal(defined.Count, defined.Values.Distinct().Count());
    }

    [Fact]
    public void The_table_and_docs_diagnostics_list_the_same_codes_each_once()
    {
        var documented = DocumentedRow().Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "diagnostics.md"))).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(documented.Count, documented.Distinct().Count());
        Assert.Equal(Defined().Values.Order(), documented.Order());
    }

    [Fact]
    public void No_source_file_spells_a_code_as_a_string_of_its_own()
    {
        string src = Path.Combine(TestPaths.RepoRoot, "src");
        var offenders = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.EndsWith(Path.Combine("Shared", "DiagnosticIds.cs"), StringComparison.Ordinal)
                && Literal().IsMatch(File.ReadAllText(path)))
            .Select(path => Path.GetRelativePath(src, path))
            .ToList();
        Assert.Empty(offenders);
    }
}
