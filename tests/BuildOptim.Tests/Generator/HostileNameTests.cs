using BuildOptim.Compression;
using BuildOptim.Tests.Generator;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Onnx;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// Nothing from a model file becomes code. A name carrying a character that ends a C# comment line
/// (U+000A, U+000D, U+0085, U+2028, U+2029) followed by a <c>[ModuleInitializer]</c> class would run that code
/// when the user's app starts; a bidirectional override would make the source read differently from what it is.
/// </summary>
public sealed class HostileNameTests : ScratchFolderTest
{
    private const string Payload = "class Evil { [System.Runtime.CompilerServices.ModuleInitializer] internal static void Init() => System.Environment.Exit(42); }";

    public static TheoryData<string> Separators => ["\u2028", "\u2029", "\u0085", "\u202E", "\u0000", "\u001B", "\u200B"];

    [Theory]
    [MemberData(nameof(Separators))]
    public void A_descriptor_name_with_a_line_separator_stays_inside_its_comment(string separator)
    {
        string hostile = "x" + separator + Payload + separator + "//";
        var run = GeneratorHarness.Run(GeneratorHarness.Descriptor(
            ("inputName", hostile), ("outputName", hostile), ("sourceModel", hostile + ".onnx")));

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        AssertOnlyTheModelClass(run.Text);
        Assert.DoesNotContain(separator, run.Text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Separators))]
    public void A_resource_name_with_a_line_separator_is_an_escaped_string_literal(string separator)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Descriptor(("resourceName", "r" + separator + "\"; " + Payload + " //")));

        Assert.Empty(run.CompileErrors);
        AssertOnlyTheModelClass(run.Text);
        var type = run.Type("FashionMnist.FashionMlpModel");
        var field = type.GetMembers("ResourceName").OfType<IFieldSymbol>().Single();
        Assert.Equal("r" + separator + "\"; " + Payload + " //", field.ConstantValue);
    }

    [Fact]
    public void The_build_summary_becomes_an_escaped_constant_and_a_separator_in_it_does_not_survive()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Descriptor(("summary", "BuildOptim: m.onnx -> M (int8): 1 KB -> 0.3 KB, \"gate\" passed\u2028" + Payload)));

        Assert.Empty(run.CompileErrors);
        AssertOnlyTheModelClass(run.Text);
        var summary = run.Type("FashionMnist.FashionMlpModel").GetMembers("CompressionSummary").OfType<IFieldSymbol>().Single();
        Assert.Equal("BuildOptim: m.onnx -> M (int8): 1 KB -> 0.3 KB, \"gate\" passed?" + Payload, summary.ConstantValue);
    }

    [Theory]
    [InlineData("Fashion\u202EModel")]
    [InlineData("Fashion\u200BModel")]
    [InlineData("A\u2028B")]
    public void A_class_name_with_format_or_separator_characters_is_BOPT4002(string className)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Descriptor(("className", className)));

        Assert.Equal("BOPT4002", Assert.Single(run.Diagnostics).Id);
        Assert.Empty(run.Result.GeneratedSources);
    }

    [Fact]
    public void Diagnostics_about_a_hostile_descriptor_are_one_line_each()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Descriptor(("sourceModel", "m\u2028odel.onnx"), ("inputLength", "x\u2029y")));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("BOPT4001", diagnostic.Id);
        Assert.DoesNotContain('\u2028', diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain('\u2029', diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The whole path: an ONNX model with hostile input and output names → the engine's descriptor → the generator → C#.</summary>
    [Theory]
    [InlineData("\u2028")]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\u0085")]
    public void A_model_whose_tensor_names_carry_code_generates_only_its_class(string separator)
    {
        string hostileInput = "input" + separator + "className=Evil" + separator + Payload + separator + "//";
        string hostileOutput = "logits" + separator + "precision=Float32" + separator + Payload;
        string model = RenameTensors(Models.MlpTanh, hostileInput, hostileOutput);
        var options = new CompressionOptions { ModelPath = model, OutputDirectory = Path.Combine(Root, "out"), Quantize = QuantizeMode.None, Namespace = "Tests" };

        var result = Compressor.Run(options);

        Assert.True(result.ArtifactsWritten);
        string descriptor = File.ReadAllText(Path.Combine(options.OutputDirectory, Compressor.DescriptorFileName));
        var keys = descriptor.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Select(l => l.Split('=')[0]).ToList();
        Assert.Equal(
            ["format", "className", "namespace", "resourceName", "sourceModel", "inputName", "inputShape", "inputLength", "outputName", "outputShape", "outputLength", "dynamicBatch", "classifier", "scores", "precision", "summary"],
            keys);
        Assert.DoesNotContain('\r', descriptor);
        Assert.DoesNotContain("\u2028", descriptor, StringComparison.Ordinal);
        Assert.DoesNotContain("\u0085", descriptor, StringComparison.Ordinal);

        var run = GeneratorHarness.Run(descriptor, path: Path.Combine(options.OutputDirectory, Compressor.DescriptorFileName));
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        AssertOnlyTheModelClass(run.Text);
        Assert.NotNull(run.Type("Tests.HostileModel"));
    }

    [Fact]
    public void An_error_naming_a_hostile_node_is_one_line()
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Models.MlpTanh));
        proto.Graph.Node[0].Name = "n\nmodel.onnx: error BOPT2001: forged";
        proto.Graph.Node[0].OpType = "NoSuchOp\u2028";
        string model = Save(proto, "hostile-node.onnx");
        var errors = new StringWriter();

        int exit = BuildOptim.Cli.CommandLine.Run(["compress", model, "--quantize", "None", "--out", Path.Combine(Root, "out")], TextWriter.Null, errors);

        Assert.Equal(1, exit);
        string line = Assert.Single(errors.ToString().TrimEnd('\n', '\r').Split('\n'));
        Assert.Contains("error BOPT1003", line);
        Assert.DoesNotContain('\u2028', line);
    }

    [Fact]
    public void Report_json_writes_plus_and_apostrophe_as_they_are_and_still_parses()
    {
        Directory.CreateDirectory(Root);
        string model = Path.Combine(Root, "mlp+v2's.onnx");
        File.Copy(Models.MlpTanh, model);

        var result = Compressor.Run(new CompressionOptions { ModelPath = model, OutputDirectory = Path.Combine(Root, "out"), Quantize = QuantizeMode.None, ClassName = "Mlp" });

        Assert.True(result.ArtifactsWritten);
        string json = File.ReadAllText(Path.Combine(Root, "out", Compressor.ReportFileName));
        Assert.Contains("\"mlp+v2's.onnx\"", json);
        Assert.Equal("mlp+v2's.onnx", System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("model").GetString());
    }

    private string RenameTensors(string path, string input, string output)
    {
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        string oldInput = proto.Graph.Input[0].Name, oldOutput = proto.Graph.Output[0].Name;
        proto.Graph.Input[0].Name = input;
        proto.Graph.Output[0].Name = output;
        foreach (var node in proto.Graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = node.Input[i] == oldInput ? input : node.Input[i];
            }

            for (int i = 0; i < node.Output.Count; i++)
            {
                node.Output[i] = node.Output[i] == oldOutput ? output : node.Output[i];
            }
        }

        return Save(proto, "hostile.onnx");
    }

    private string Save(ModelProto proto, string name)
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, name);
        File.WriteAllBytes(path, proto.ToByteArray());
        return path;
    }

    /// <summary>The generated file declares one type, the model class, with no attribute but its own and no module initializer anywhere.</summary>
    private static void AssertOnlyTheModelClass(string source)
    {
        var root = CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions).GetRoot();
        // The class and its second partial declaration (the service members): one type.
        var name = Assert.Single(root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.Text).Distinct());
        Assert.EndsWith("Model", name);
        Assert.DoesNotContain(root.DescendantNodes().OfType<AttributeSyntax>(), a => a.Name.ToString().Contains("ModuleInitializer", StringComparison.Ordinal));
        Assert.DoesNotContain(root.DescendantNodes().OfType<ClassDeclarationSyntax>(), c => c.Identifier.Text == "Evil");
        Assert.DoesNotContain(root.DescendantTrivia(), t => t.IsKind(SyntaxKind.EndOfLineTrivia) && t.ToFullString() is not ("\n" or "\r\n"));
    }
}
