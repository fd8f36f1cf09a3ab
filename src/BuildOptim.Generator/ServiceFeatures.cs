using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BuildOptim.Generator;

/// <summary>
/// Which optional libraries the consuming project references, so the generator emits the code that uses them only when
/// it compiles: the DI extension (<c>Microsoft.Extensions.DependencyInjection.Abstractions</c>), the embedding generator
/// (<c>Microsoft.Extensions.AI.Abstractions</c> and <c>Microsoft.ML.Tokenizers</c>), the tensor-span overloads
/// (<c>System.Numerics.Tensors</c>). An app that references none of them depends on BuildOptim.Runtime alone.
/// </summary>
/// <remarks>
/// A pipeline value: holds only strings and primitives, never a <c>Compilation</c> or <c>ISymbol</c>, so it compares by
/// value: an edit to the app's code recomputes it (a few type lookups) and leaves every step after it cached.
/// </remarks>
/// <param name="TensorSpanDiagnosticId">The <c>[Experimental]</c> diagnostic id of the tensor-span types (e.g. SYSLIB5001 in
/// System.Numerics.Tensors 9), which the generated overloads suppress; empty when they are not experimental.</param>
internal sealed record ServiceFeatures(bool DependencyInjection, bool EmbeddingGenerator, bool TensorSpans, string TensorSpanDiagnosticId)
{
    public const string ServiceCollectionType = "Microsoft.Extensions.DependencyInjection.IServiceCollection";
    public const string ServiceCollectionExtensionsType = "Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions";
    public const string EmbeddingGeneratorType = "Microsoft.Extensions.AI.IEmbeddingGenerator`2";
    public const string GeneratedEmbeddingsType = "Microsoft.Extensions.AI.GeneratedEmbeddings`1";
    public const string BertTokenizerType = "Microsoft.ML.Tokenizers.BertTokenizer";
    public const string ReadOnlyTensorSpanType = "System.Numerics.Tensors.ReadOnlyTensorSpan`1";
    public const string TensorSpanType = "System.Numerics.Tensors.TensorSpan`1";
    /// <summary><c>LanguageVersion.CSharp14</c> (this generator builds against a Roslyn that predates the name).</summary>
    private const int FirstClassSpanLanguageVersion = 1400;

    private const string ExperimentalAttributeType = "System.Diagnostics.CodeAnalysis.ExperimentalAttribute";

    public static readonly ServiceFeatures None = new(false, false, false, string.Empty);

    public static ServiceFeatures From(Compilation compilation, CancellationToken cancellationToken)
    {
        bool Has(string metadataName) => compilation.GetTypeByMetadataName(metadataName) is { DeclaredAccessibility: Accessibility.Public };

        cancellationToken.ThrowIfCancellationRequested();

        // Before C# 14 an array converts to ReadOnlySpan<float> and to ReadOnlyTensorSpan<float> alike (both user-defined
        // conversions): a tensor overload of Run would make every Run(array, array) ambiguous (CS0121). C# 14's first-class
        // spans prefer the span, so the overloads are emitted only from C# 14 on.
        bool tensors = Has(ReadOnlyTensorSpanType) && Has(TensorSpanType)
            && compilation is CSharpCompilation { LanguageVersion: var version } && (int)version >= FirstClassSpanLanguageVersion;
        string experimentalId = string.Empty;
        if (tensors && ExperimentalId(compilation.GetTypeByMetadataName(ReadOnlyTensorSpanType)!) is { } id)
        {
            // The id goes into a #pragma: only a plain identifier is taken; anything else leaves the overloads out.
            tensors = IsDiagnosticId(id);
            experimentalId = tensors ? id : string.Empty;
        }

        return new ServiceFeatures(
            Has(ServiceCollectionType) && Has(ServiceCollectionExtensionsType),
            Has(EmbeddingGeneratorType) && Has(GeneratedEmbeddingsType) && Has(BertTokenizerType),
            tensors,
            experimentalId);
    }

    private static string? ExperimentalId(INamedTypeSymbol type)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == ExperimentalAttributeType);
        if (attribute is null)
        {
            return null;
        }

        return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string id ? id : string.Empty;
    }

    internal static bool IsDiagnosticId(string id)
        => id.Length is > 0 and <= 32 && id.All(c => c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '_');
}
