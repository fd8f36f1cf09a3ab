using Microsoft.CodeAnalysis;
using static BuildOptim.Tests.Generator.GeneratorHarness;

namespace BuildOptim.Tests.Generator;

public class DiagnosticTests
{
    [Fact]
    public void Line_without_equals_sign_reports_BOPT4001_naming_file_line_and_model()
    {
        var descriptor = FashionDescriptor.Replace("sourceModel=fashion_mlp.onnx", "sourceModel=fashion_mlp.onnx\nthis line is not a pair");

        var diagnostic = SingleError(descriptor, "BOPT4001");

        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(DescriptorPath, message, StringComparison.Ordinal);
        Assert.Contains("line 6", message, StringComparison.Ordinal);
        Assert.Contains("'fashion_mlp.onnx'", message, StringComparison.Ordinal);
        Assert.Contains("this line is not a pair", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("inputLength", "784.0", "line 8")]
    [InlineData("inputLength", "-784", "line 8")]
    [InlineData("outputLength", "ten", "line 11")]
    [InlineData("inputShape", "1,28,x", "line 7")]
    [InlineData("inputShape", "1,28,27", "line 7")]
    [InlineData("dynamicBatch", "yes", "line 12")]
    [InlineData("precision", "Int4", "line 14")]
    [InlineData("className", "", "line 2")]
    public void Invalid_value_reports_BOPT4001_at_its_line(string key, string value, string line)
    {
        var diagnostic = SingleError(Descriptor((key, value)), "BOPT4001");

        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(line, message, StringComparison.Ordinal);
        Assert.Contains(key, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("className")]
    [InlineData("inputLength")]
    [InlineData("outputLength")]
    [InlineData("format")]
    public void Missing_required_key_reports_BOPT4001(string key)
    {
        var diagnostic = SingleError(Descriptor((key, null)), "BOPT4001");

        Assert.Contains($"'{key}' is missing", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Repeated_key_reports_BOPT4001_naming_both_lines()
    {
        var diagnostic = SingleError(FashionDescriptor + "\ninputLength=784", "BOPT4001");

        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("line 15", message, StringComparison.Ordinal);
        Assert.Contains("first on line 8", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_malformed_line_is_reported()
    {
        var run = Run(Descriptor(("inputLength", "x"), ("outputLength", "y")));

        Assert.Equal(2, run.Diagnostics.Count(diagnostic => diagnostic.Id == "BOPT4001"));
        Assert.Empty(run.Result.GeneratedSources);
    }

    [Fact]
    public void Malformed_descriptor_without_sourceModel_names_the_descriptor_as_the_model()
    {
        var diagnostic = SingleError(Descriptor(("sourceModel", null), ("inputLength", "x")), "BOPT4001");

        Assert.Contains("'FashionMlpModel'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9Lives")]
    [InlineData("Fashion-Model")]
    [InlineData("class")]
    [InlineData("var")]
    [InlineData("Run")]
    [InlineData("InputLength")]
    public void Class_name_that_is_not_a_usable_identifier_reports_BOPT4002(string className)
    {
        var diagnostic = SingleError(Descriptor(("className", className)), "BOPT4002");

        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"class name '{className}'", message, StringComparison.Ordinal);
        Assert.Contains(DescriptorPath, message, StringComparison.Ordinal);
        Assert.Contains("'fashion_mlp.onnx'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Fashion..Mnist")]
    [InlineData("Fashion.Mnist.")]
    [InlineData("2Fashion")]
    [InlineData("Fashion.namespace")]
    [InlineData("global.Fashion")]
    public void Namespace_that_is_not_a_usable_identifier_reports_BOPT4002(string ns)
    {
        var diagnostic = SingleError(Descriptor(("namespace", ns)), "BOPT4002");

        Assert.Contains($"namespace '{ns}'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_RootNamespace_fallback_reports_BOPT4002_saying_where_it_came_from()
    {
        var run = Run(Descriptor(("namespace", "")), rootNamespace: "My-App");

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("BOPT4002", diagnostic.Id);
        Assert.Contains("namespace (from RootNamespace) 'My-App'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("0")]
    [InlineData("one")]
    public void Unsupported_format_version_reports_BOPT4003(string version)
    {
        var diagnostic = SingleError(Descriptor(("format", version)), "BOPT4003");

        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"'{version}'", message, StringComparison.Ordinal);
        Assert.Contains(DescriptorPath, message, StringComparison.Ordinal);
        Assert.Contains("'fashion_mlp.onnx'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_format_version_is_the_only_diagnostic_even_when_other_keys_look_wrong()
    {
        var run = Run(Descriptor(("format", "3"), ("inputLength", null), ("newKey", "whatever")) + "\nnot a pair");

        Assert.Equal("BOPT4003", Assert.Single(run.Diagnostics).Id);
    }

    [Fact]
    public void Unknown_keys_and_comments_are_ignored()
    {
        var run = Run("# written by buildoptim\n\n" + Descriptor(("futureKey", "42")) + "   # trailing");

        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Result.GeneratedSources);
    }

    [Fact]
    public void A_hash_inside_a_value_is_not_a_comment()
    {
        var run = Run(Descriptor(("sourceModel", "model#2.onnx")));

        Assert.Empty(run.Diagnostics);
        Assert.Contains("from model#2.onnx.", run.Text, StringComparison.Ordinal);
    }

    private static Diagnostic SingleError(string descriptor, string id)
    {
        var run = Run(descriptor);
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(Location.None, diagnostic.Location);
        Assert.Empty(run.Result.GeneratedSources);
        return diagnostic;
    }
}
