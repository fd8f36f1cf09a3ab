using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BuildOptim.Generator;

/// <summary>
/// Emits one strongly typed class per compressed model from the <c>*.boptgen</c> descriptors that the
/// BuildOptim targets add as AdditionalFiles. The heavy work happened in the build task: this reads a
/// few lines of text, so it stays fast in the IDE, and it never looks at the compilation, so edits to
/// C# code leave every step cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    internal const string RootNamespaceProperty = "build_property.RootNamespace";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var descriptors = context.AdditionalTextsProvider
            .Where(static text => Parser.IsDescriptorPath(text.Path))
            .Select(static (text, cancellationToken) =>
                new DescriptorFile(text.Path, text.GetText(cancellationToken)?.ToString() ?? string.Empty))
            .WithTrackingName(TrackingNames.Descriptors);

        var rootNamespace = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) =>
                options.GlobalOptions.TryGetValue(RootNamespaceProperty, out var value) ? value.Trim() : string.Empty)
            .WithTrackingName(TrackingNames.RootNamespace);

        var results = descriptors
            .Combine(rootNamespace)
            .Select(static (input, cancellationToken) => Parser.Parse(input.Left, input.Right, cancellationToken))
            .WithTrackingName(TrackingNames.Specs);

        context.RegisterSourceOutput(results, static (context, result) =>
        {
            foreach (var diagnostic in result.Diagnostics)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.FromId(diagnostic.Id), Location.None, diagnostic.MessageArgs.ToArray<object>()));
            }

            if (result.Spec is { } spec)
            {
                context.AddSource(Emitter.GetHintName(spec), SourceText.From(Emitter.Emit(spec), Encoding.UTF8));
            }
        });
    }
}

/// <summary>Names of the tracked pipeline steps (see <c>GeneratorDriverOptions.TrackIncrementalGeneratorSteps</c>).</summary>
public static class TrackingNames
{
    /// <summary>Each <c>.boptgen</c> AdditionalFile, read as path and text.</summary>
    public const string Descriptors = nameof(Descriptors);

    /// <summary>The project's <c>RootNamespace</c>, the fallback namespace.</summary>
    public const string RootNamespace = nameof(RootNamespace);

    /// <summary>Each descriptor parsed into a spec, or into diagnostics.</summary>
    public const string Specs = nameof(Specs);
}
