using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static BuildOptim.Tests.Generator.GeneratorHarness;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// The service-ready surface: what every model class gets (pooling, classifier scores), and what appears only when the app
/// references the optional library it uses (DI, tensor spans, Microsoft.Extensions.AI), so that an app referencing none of
/// them compiles against BuildOptim.Runtime alone.
/// </summary>
public class ServiceGeneratorTests
{
    private static string TenNames(params string[] first)
    {
        var names = first.Concat(Enumerable.Range(first.Length, 10 - first.Length).Select(i => "class " + i)).ToArray();
        return "classNames=10\n" + string.Join("\n", names.Select((n, i) => $"classNames.{i}={n}"));
    }

    private static GeneratorRun RunWithServices(string descriptor, params string[] sources)
        => Run(descriptor, compilation: CreateCompilation(ServiceReferences, Csharp14ParseOptions, "ServiceApp", [.. sources, "internal static class App { }"]));

    [Fact]
    public void Without_the_optional_libraries_only_the_model_source_is_generated_and_it_needs_none_of_them()
    {
        var run = Run(FashionDescriptor);

        Assert.Empty(run.Diagnostics);
        var source = Assert.Single(run.Result.GeneratedSources);
        Assert.Empty(run.CompileErrors);
        Assert.DoesNotContain("Microsoft.Extensions", source.SourceText.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.Numerics.Tensors", source.SourceText.ToString(), StringComparison.Ordinal);
        var type = run.Type("FashionMnist.FashionMlpModel");
        Assert.Contains(type.AllInterfaces, i => i.ToDisplayString() == "BuildOptim.Runtime.ICompressedModel<FashionMnist.FashionMlpModel>");
        Assert.Single(type.GetMembers("CreatePool"));
        Assert.Single(type.GetMembers("PredictWithScore"));
        Assert.Single(type.GetMembers("PredictTopK"));
        Assert.Single(type.GetMembers("PredictProbabilities"));
        Assert.Empty(type.GetMembers("ClassNames")); // no ClassNames file
        Assert.Empty(type.GetMembers("PredictLabel"));
        Assert.Single(type.GetMembers("Run").Cast<IMethodSymbol>(), m => m.Parameters.Length == 2);
    }

    [Fact]
    public void With_the_optional_libraries_the_DI_extension_and_the_tensor_overload_appear_and_compile_without_warnings()
    {
        var run = RunWithServices(FashionDescriptor);

        Assert.Empty(run.Diagnostics);
        Assert.Equal(
            ["FashionMnist.FashionMlpModel.g.cs", "Microsoft.Extensions.DependencyInjection.BuildOptimServiceCollectionExtensions.g.cs"],
            run.Result.GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var tensorRun = Assert.Single(run.Type("FashionMnist.FashionMlpModel").GetMembers("Run").Cast<IMethodSymbol>(),
            m => m.Parameters[0].Type.Name == "ReadOnlyTensorSpan");
        Assert.Equal("TensorSpan", tensorRun.Parameters[1].Type.Name);
        Assert.DoesNotContain("#pragma", run.Text, StringComparison.Ordinal); // System.Numerics.Tensors 10 is not experimental
    }

    [Fact]
    public void The_DI_extension_is_generated_once_for_several_models()
    {
        var driver = CreateDriver(
            [
                new InMemoryAdditionalText("/obj/a.boptgen", FashionDescriptor),
                new InMemoryAdditionalText("/obj/b.boptgen", Descriptor(("className", "OtherModel"), ("classifier", "false"))),
            ], parseOptions: Csharp14ParseOptions).RunGeneratorsAndUpdateCompilation(CreateCompilation(ServiceReferences, Csharp14ParseOptions, "TwoModels"), out var output, out var diagnostics);

        Assert.Empty(diagnostics);
        Assert.Single(driver.GetRunResult().Results.Single().GeneratedSources, s => s.HintName.Contains("BuildOptimServiceCollectionExtensions", StringComparison.Ordinal));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Before_CSharp_14_no_tensor_overload_is_generated_since_Run_of_two_arrays_would_be_ambiguous()
    {
        const string caller = """
            public static class Caller
            {
                public static void Call(FashionMnist.FashionMlpModel model) => model.Run(new float[784], new float[10]);
            }
            """;

        var run = Run(FashionDescriptor, compilation: CreateCompilation(ServiceReferences, GeneratorHarness.ParseOptions.WithLanguageVersion(LanguageVersion.CSharp13), "CSharp13", caller));

        Assert.Empty(run.CompileErrors);
        Assert.DoesNotContain(run.Type("FashionMnist.FashionMlpModel").GetMembers("Run").Cast<IMethodSymbol>(), m => m.Parameters[0].Type.Name == "ReadOnlyTensorSpan");
    }

    [Fact]
    public void Experimental_tensor_types_get_their_diagnostic_suppressed_around_the_overload_only()
    {
        // System.Numerics.Tensors 9 marks the tensor spans [Experimental("SYSLIB5001")]: without the pragma the generated
        // overload would be a compile error in the app. A stand-in with the same attribute and members proves the pragma.
        const string experimentalTensors = """
            namespace System.Numerics.Tensors
            {
                [System.Diagnostics.CodeAnalysis.Experimental("SYSLIB5001")]
                public readonly ref struct ReadOnlyTensorSpan<T>
                {
                    public System.ReadOnlySpan<nint> Lengths => default;
                    public bool IsDense => true;
                    public nint FlattenedLength => 0;
                    public ref readonly T GetPinnableReference() => throw null!;
                }

                [System.Diagnostics.CodeAnalysis.Experimental("SYSLIB5001")]
                public readonly ref struct TensorSpan<T>
                {
                    public System.ReadOnlySpan<nint> Lengths => default;
                    public bool IsDense => true;
                    public nint FlattenedLength => 0;
                    public ref T GetPinnableReference() => throw null!;
                }
            }
            """;

        var run = Run(FashionDescriptor, compilation: CreateCompilation(References, Csharp14ParseOptions, "Experimental", experimentalTensors));

        Assert.Empty(run.CompileErrors);
        Assert.Contains("#pragma warning disable SYSLIB5001", run.Text, StringComparison.Ordinal);
        Assert.Contains("#pragma warning restore SYSLIB5001", run.Text, StringComparison.Ordinal);
        Assert.Contains(run.Type("FashionMnist.FashionMlpModel").GetMembers("Run").Cast<IMethodSymbol>(), m => m.Parameters[0].Type.Name == "ReadOnlyTensorSpan");
    }

    [Fact]
    public void Class_names_become_escaped_literals_whatever_they_hold()
    {
        // %23 is '#', which the descriptor would read as a comment; quotes, backslashes and comment markers stay text.
        string[] hostile = ["T-shirt/top", "say \"hi\"", "back\\slash", "Class %231", "*/ System.Environment.Exit(1); /*", "// nope", "日本語"];
        var run = Run(FashionDescriptor + "\n" + TenNames(hostile));

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        var field = (IFieldSymbol)run.Type("FashionMnist.FashionMlpModel").GetMembers("s_classNames").Single();
        Assert.NotNull(field);
        Assert.Contains("\"say \\\"hi\\\"\",", run.Text, StringComparison.Ordinal);
        Assert.Contains("\"back\\\\slash\",", run.Text, StringComparison.Ordinal);
        Assert.Contains("\"Class #1\",", run.Text, StringComparison.Ordinal);
        Assert.Single(run.Type("FashionMnist.FashionMlpModel").GetMembers("PredictLabel"));
    }

    [Theory]
    [InlineData("classNames=9", "must equal the output length of a classifier (10)")]
    [InlineData("classNames=100000", "must be a whole number from 1 to 32768")]
    [InlineData("classNames=x", "must be a whole number")]
    [InlineData("scores=softmax", "'scores' must be one of logits, probabilities, logProbabilities")]
    public void Bad_classifier_keys_are_a_malformed_descriptor(string line, string problem)
    {
        var run = Run(FashionDescriptor + "\n" + line);

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("BOPT4001", diagnostic.Id);
        Assert.Contains(problem, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Result.GeneratedSources);
    }

    [Theory]
    [InlineData("line%0Abreak")]
    [InlineData("line%E2%80%A8separator")]
    [InlineData("bidi%E2%80%AEoverride")]
    public void A_class_name_that_decodes_to_unsafe_text_is_refused(string encoded)
    {
        var run = Run(FashionDescriptor + "\n" + TenNames(encoded));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("BOPT4001", diagnostic.Id);
        Assert.Contains("classNames.0", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Class_names_on_a_model_that_is_not_a_classifier_are_refused()
    {
        var run = Run(Descriptor(("classifier", "false")) + "\n" + TenNames());

        Assert.Equal("BOPT4001", Assert.Single(run.Diagnostics).Id);
    }

    [Fact]
    public void A_classifier_with_several_typed_inputs_gets_the_scores_with_its_inputs_and_no_tensor_overload()
    {
        const string descriptor = """
            format=2
            className=TextClassifierModel
            namespace=Demo
            inputs=2
            input.0.name=input_ids
            input.0.type=int64
            input.0.length=8
            input.1.name=attention_mask
            input.1.type=int64
            input.1.length=8
            outputs=1
            output.0.name=logits
            output.0.length=3
            classifier=true
            scores=logProbabilities
            classNames=3
            classNames.0=negative
            classNames.1=neutral
            classNames.2=positive
            """;

        var run = RunWithServices(descriptor);

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        var type = run.Type("Demo.TextClassifierModel");
        var method = (IMethodSymbol)Assert.Single(type.GetMembers("PredictTopK"));
        Assert.Equal(["ReadOnlySpan<long>", "ReadOnlySpan<long>", "Span<Prediction>"], method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)));
        Assert.Single(type.GetMembers("PredictLabel"));
        Assert.DoesNotContain(type.GetMembers("Run").Cast<IMethodSymbol>(), m => m.Parameters[0].Type.Name == "ReadOnlyTensorSpan");
        Assert.Contains("ClassScoreKind.LogProbabilities;", run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Result.GeneratedSources, s => s.HintName.EndsWith("EmbeddingGenerator.g.cs", StringComparison.Ordinal)); // a classifier, not a text encoder
    }

    [Theory]
    [InlineData("probabilities", "Probabilities")]
    [InlineData("logProbabilities", "LogProbabilities")]
    [InlineData("logits", "Logits")]
    public void The_score_kind_comes_from_the_descriptor(string scores, string member)
    {
        var run = Run(FashionDescriptor + "\nscores=" + scores);

        Assert.Empty(run.Diagnostics);
        Assert.Contains("ScoreKind = global::BuildOptim.Runtime.ClassScoreKind." + member + ";", run.Text, StringComparison.Ordinal);
    }
}
