using System.Collections.Immutable;
using System.Text;
using BuildOptim.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace BuildOptim.Tests.Generator;

/// <summary>Runs <see cref="ModelGenerator"/> the way the compiler does, on in-memory descriptors.</summary>
internal static class GeneratorHarness
{
    public const string DescriptorPath = "/repo/obj/BuildOptim/FashionMlpModel/FashionMlpModel.boptgen";

    /// <summary>The descriptor of docs/architecture.md, comments included.</summary>
    public const string FashionDescriptor = """
        format=1
        className=FashionMlpModel
        namespace=FashionMnist
        resourceName=BuildOptim.FashionMlpModel.bopt
        sourceModel=fashion_mlp.onnx
        inputName=input
        inputShape=1,28,28          # per-sample dims (batch dim excluded)
        inputLength=784
        outputName=logits
        outputShape=10
        outputLength=10
        dynamicBatch=true
        classifier=true             # single output, 2-D [batch, classes] -> Predict is emitted
        precision=Int8              # or Float32
        """;

    public static readonly CSharpParseOptions ParseOptions =
        CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithDocumentationMode(DocumentationMode.Diagnose);

    /// <summary>C# 14 (first-class spans, the default of .NET 10 apps), which this Roslyn offers as its preview.</summary>
    public static readonly CSharpParseOptions Csharp14ParseOptions = ParseOptions.WithLanguageVersion(LanguageVersion.Preview);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_serviceReferences = new(LoadReferences);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
        [.. s_serviceReferences.Value.Where(reference => !IsOptionalLibrary(Path.GetFileName(reference.Display!)))]);

    /// <summary>
    /// The trusted platform assemblies of this test process plus BuildOptim.Runtime, without the optional libraries the
    /// generated code lights up with (DI, Microsoft.Extensions.AI, tensor spans): an app that references none of them.
    /// </summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary><see cref="References"/> with the optional libraries: an app that references them all.</summary>
    public static ImmutableArray<MetadataReference> ServiceReferences => s_serviceReferences.Value;

    private static bool IsOptionalLibrary(string fileName)
        => fileName.StartsWith("Microsoft.Extensions.DependencyInjection", StringComparison.OrdinalIgnoreCase)
            || fileName.StartsWith("Microsoft.Extensions.AI", StringComparison.OrdinalIgnoreCase)
            || fileName.Equals("System.Numerics.Tensors.dll", StringComparison.OrdinalIgnoreCase);

    /// <summary><see cref="FashionDescriptor"/> with some keys replaced (or removed, when the value is null).</summary>
    public static string Descriptor(params (string Key, string? Value)[] changes)
    {
        var lines = FashionDescriptor.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        foreach (var (key, value) in changes)
        {
            int index = lines.FindIndex(line => line.StartsWith(key + "=", StringComparison.Ordinal));
            if (index < 0)
            {
                lines.Add(key + "=" + value);
            }
            else if (value is null)
            {
                lines.RemoveAt(index);
            }
            else
            {
                lines[index] = key + "=" + value;
            }
        }

        return string.Join("\n", lines);
    }

    public static CSharpCompilation CreateCompilation(string assemblyName = "GeneratorTests", params string[] sources) =>
        CreateCompilation(References, assemblyName, sources);

    public static CSharpCompilation CreateCompilation(ImmutableArray<MetadataReference> references, string assemblyName, params string[] sources) =>
        CreateCompilation(references, ParseOptions, assemblyName, sources);

    public static CSharpCompilation CreateCompilation(ImmutableArray<MetadataReference> references, CSharpParseOptions parseOptions, string assemblyName, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Select(source => CSharpSyntaxTree.ParseText(source, parseOptions)),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> descriptors, string? rootNamespace = null, bool trackSteps = false, CSharpParseOptions? parseOptions = null) =>
        CSharpGeneratorDriver.Create(
            [new ModelGenerator().AsSourceGenerator()],
            descriptors,
            parseOptions ?? ParseOptions,
            new GlobalOptionsProvider(rootNamespace),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator on one descriptor over <paramref name="compilation"/> (an empty one by default).</summary>
    public static GeneratorRun Run(string descriptor, string path = DescriptorPath, string? rootNamespace = null, CSharpCompilation? compilation = null)
    {
        compilation ??= CreateCompilation();
        var driver = CreateDriver([new InMemoryAdditionalText(path, descriptor)], rootNamespace, parseOptions: compilation.SyntaxTrees.FirstOrDefault()?.Options as CSharpParseOptions ?? ParseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver.GetRunResult().Results.Single(), output, diagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(typeof(BuildOptim.Runtime.ModelPlan).Assembly.Location);
        return [.. paths
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(group => MetadataReference.CreateFromFile(group.First()))];
    }
}

internal sealed record GeneratorRun(GeneratorRunResult Result, Compilation Output, ImmutableArray<Diagnostic> Diagnostics)
{
    /// <summary>The model's source (the DI extension and embedding generators, when generated, are others).</summary>
    public GeneratedSourceResult Source => Result.GeneratedSources.Single(source => !source.HintName.Contains("BuildOptimServiceCollectionExtensions", StringComparison.Ordinal) && !source.HintName.EndsWith("EmbeddingGenerator.g.cs", StringComparison.Ordinal));

    public string Text => Source.SourceText.ToString();

    public ImmutableArray<Diagnostic> CompileErrors =>
        [.. Output.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)];

    public INamedTypeSymbol Type(string metadataName) =>
        Output.GetTypeByMetadataName(metadataName) ?? throw new InvalidOperationException($"{metadataName} was not generated.");
}

internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text, Encoding.UTF8);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Global analyzer config, as MSBuild writes it from <c>CompilerVisibleProperty</c> items.</summary>
internal sealed class GlobalOptionsProvider(string? rootNamespace) : AnalyzerConfigOptionsProvider
{
    public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(
        rootNamespace is null ? [] : new Dictionary<string, string> { ["build_property.RootNamespace"] = rootNamespace });

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new([]);

        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
            values.TryGetValue(key, out value);
    }
}
