using System.Text.RegularExpressions;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Onnx.Lowering;

namespace BuildOptim.Tests.Onnx;

/// <summary>
/// The lowering's operator registry is the one list of supported operators: README.md's "Supported operators"
/// paragraph states it, so an operator added without being documented (or documented without being added) fails here.
/// </summary>
public sealed partial class SupportedOperatorsTests : ScratchFolderTest
{
    [Fact]
    public void Readme_lists_exactly_the_operators_the_lowering_registry_supports()
    {
        var documented = ReadmeOperators();
        var supported = OperatorRegistry.Supported;

        var undocumented = supported.Except(documented, StringComparer.Ordinal).ToList();
        var unknown = documented.Except(supported, StringComparer.Ordinal).ToList();
        Assert.True(
            undocumented.Count == 0 && unknown.Count == 0,
            $"README.md's 'Supported operators' misses [{string.Join(", ", undocumented)}] and lists [{string.Join(", ", unknown)}], which OperatorRegistry does not hold.");
    }

    [Fact]
    public void Readme_names_each_supported_operator_once()
    {
        var documented = ReadmeOperators();
        Assert.Equal(documented.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ConstantOfShape")]
    [InlineData("Range")]
    public void An_operator_the_registry_only_folds_is_BOPT1003_on_the_models_data(string op)
    {
        Assert.Null(OperatorRegistry.Find(op).Lower);
        Assert.NotNull(OperatorRegistry.Find(op).Fold);
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, op + ".onnx");
        File.WriteAllBytes(path, new OnnxModelBuilder().Node(op, "on_data", ["x"], ["y"]).Output("y").ToBytes());

        var e = Assert.Throws<OnnxModelException>(() => OnnxFrontEnd.Load(path));

        Assert.Equal(OnnxDiagnostics.UnsupportedOperator, e.Code);
        Assert.Equal($"Node 'on_data' in '{path}' applies '{op}' to the model's data; BuildOptim supports '{op}' only on shapes and constants.", e.Message);
    }

    /// <summary>
    /// The operator names in the paragraph that starts with "Supported operators": every capitalized word after its
    /// colon, outside parentheses (which hold details such as "(constant, reflect, edge)").
    /// </summary>
    private static List<string> ReadmeOperators()
    {
        string readme = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        int start = readme.IndexOf("\nSupported operators", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no paragraph starting with 'Supported operators'.");
        int end = readme.IndexOf("\n\n", start + 1, StringComparison.Ordinal);
        string paragraph = readme[start..(end < 0 ? readme.Length : end)];
        string list = Parenthesized().Replace(paragraph[(paragraph.IndexOf(':', StringComparison.Ordinal) + 1)..], " ");
        list = list[..list.IndexOf('.', StringComparison.Ordinal)]; // the list ends with its sentence
        return OperatorName().Matches(list).Select(m => m.Value).ToList();
    }

    [GeneratedRegex(@"\([^()]*\)")]
    private static partial Regex Parenthesized();

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]*\b")]
    private static partial Regex OperatorName();
}
