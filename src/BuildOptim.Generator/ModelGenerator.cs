using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace BuildOptim.Generator;

/// <summary>
/// Emits one strongly typed class per compressed model from the <c>*.boptgen</c> descriptors that the
/// BuildOptim targets add as AdditionalFiles. The heavy work happened in the build task: this reads a
/// few lines of text, so it stays fast in the IDE; of the compilation it only asks which optional libraries
/// are referenced (<see cref="ServiceFeatures"/>), so edits to C# code leave every step after that cached.
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

        // A few type lookups per compilation: the value compares equal after an edit, so the outputs stay cached.
        var features = context.CompilationProvider
            .Select(static (compilation, cancellationToken) => ServiceFeatures.From(compilation, cancellationToken))
            .WithTrackingName(TrackingNames.Features);

        // All specs together: two descriptors naming the same class must not take every generated class down
        // with them (AddSource throws on a repeated hint name), so the second is reported instead.
        context.RegisterSourceOutput(results.Collect().Combine(features), static (context, input) =>
        {
            var (all, features) = input;
            var emitted = new Dictionary<string, ModelSpec>(StringComparer.OrdinalIgnoreCase);
            foreach (var result in all.OrderBy(static r => r.Spec?.DescriptorPath ?? string.Empty, StringComparer.Ordinal))
            {
                foreach (var diagnostic in result.Diagnostics)
                {
                    Report(context, diagnostic);
                }

                if (result.Spec is not { } spec)
                {
                    continue;
                }

                string hintName = Emitter.GetHintName(spec);
                if (emitted.TryGetValue(hintName, out var first))
                {
                    Report(context, Parser.DuplicateClass(spec, first));
                    continue;
                }

                emitted.Add(hintName, spec);
                context.AddSource(hintName, SourceText.From(Emitter.Emit(spec) + Emitter.EmitServiceMembers(spec, features), Encoding.UTF8));
                Emitter.AddServiceSources(context, spec, features);
            }

            if (emitted.Count > 0 && features.DependencyInjection)
            {
                context.AddSource(Emitter.ServiceCollectionExtensionsHintName, SourceText.From(Emitter.EmitServiceCollectionExtensions(), Encoding.UTF8));
            }
        });
    }

    private static void Report(SourceProductionContext context, DiagnosticInfo diagnostic)
        => context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.FromId(diagnostic.Id), Location.None, diagnostic.MessageArgs.ToArray<object>()));
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

    /// <summary>The optional libraries the compilation references (<see cref="ServiceFeatures"/>).</summary>
    public const string Features = nameof(Features);
}
