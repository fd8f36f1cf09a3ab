namespace BuildOptim.Generator;

/// <summary>One <c>.boptgen</c> file as read from the AdditionalFiles: its path and its whole text.</summary>
/// <remarks>
/// A pipeline value: holds only strings, primitives and <see cref="EquatableArray{T}"/>, never a
/// <c>Compilation</c>, <c>ISymbol</c>, <c>SyntaxNode</c> or <c>Location</c>, so that it compares
/// by value and the incremental driver can cache on it (enforced by a reflection test).
/// </remarks>
internal sealed record DescriptorFile(string Path, string Content);

/// <summary>Everything the emitter needs to write one model class, parsed from a <c>.boptgen</c> descriptor.</summary>
/// <remarks>
/// A pipeline value: holds only strings, primitives and <see cref="EquatableArray{T}"/>, never a
/// <c>Compilation</c>, <c>ISymbol</c>, <c>SyntaxNode</c> or <c>Location</c>, so that it compares
/// by value and the incremental driver can cache on it (enforced by a reflection test).
/// Shapes are per sample: the batch dimension is excluded.
/// </remarks>
internal sealed record ModelSpec(
    string DescriptorPath,
    string Namespace,
    string ClassName,
    string ResourceName,
    string SourceModel,
    string InputName,
    EquatableArray<int> InputShape,
    int InputLength,
    string OutputName,
    EquatableArray<int> OutputShape,
    int OutputLength,
    bool DynamicBatch,
    bool Classifier,
    string Precision,
    string Summary);

/// <summary>A diagnostic to report, by descriptor id and message arguments.</summary>
/// <remarks>
/// A pipeline value: holds only strings, primitives and <see cref="EquatableArray{T}"/>, never a
/// <c>Compilation</c>, <c>ISymbol</c>, <c>SyntaxNode</c> or <c>Location</c> (diagnostics are
/// reported at <c>Location.None</c>; their message names the descriptor file and line).
/// </remarks>
internal sealed record DiagnosticInfo(string Id, EquatableArray<string> MessageArgs);

/// <summary>The outcome of parsing one descriptor: a spec when it is valid, and the diagnostics to report.</summary>
/// <remarks>
/// A pipeline value: holds only strings, primitives and <see cref="EquatableArray{T}"/>, never a
/// <c>Compilation</c>, <c>ISymbol</c>, <c>SyntaxNode</c> or <c>Location</c> (enforced by a reflection test).
/// </remarks>
internal sealed record ParseResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
