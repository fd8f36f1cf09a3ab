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
    string Summary)
{
    /// <summary>Format 2: every graph input, in order (empty for a format-1 model with one float input).</summary>
    public EquatableArray<TensorSpec> Inputs { get; init; } = EquatableArray<TensorSpec>.Empty;

    /// <summary>Format 2: every graph output, in order.</summary>
    public EquatableArray<TensorSpec> Outputs { get; init; } = EquatableArray<TensorSpec>.Empty;

    /// <summary>A model with several inputs or outputs, or typed inputs: one Run parameter per tensor.</summary>
    public bool IsMultiTensor => Inputs.Count > 0;

    /// <summary>Format 2 with a dynamic sequence length: the shortest the plan accepts (0 without one).</summary>
    public int MinSequenceLength { get; init; }

    /// <summary>Format 2 with a dynamic sequence length: the longest the plan accepts (0 without one).</summary>
    public int MaxSequenceLength { get; init; }

    /// <summary>False for a signature-only descriptor (<c>plan=absent</c>): the class compiles, its constructor throws.</summary>
    public bool HasPlan { get; init; } = true;

    /// <summary>The inputs' lengths follow a sequence length taken from them.</summary>
    public bool HasSequenceLength => MaxSequenceLength > 0;

    /// <summary>A classifier's class names, one per output value (empty without <c>ClassNames</c>); validated display text.</summary>
    public EquatableArray<string> ClassNames { get; init; } = EquatableArray<string>.Empty;

    /// <summary>A classifier's output: <c>logits</c>, <c>probabilities</c> or <c>logProbabilities</c> (DescriptorKeys.ScoreKinds).</summary>
    public string ScoreKind { get; init; } = DescriptorKeys.ScoreKinds[0];
}

/// <summary>One graph input or output of a format-2 descriptor.</summary>
/// <remarks>
/// A pipeline value: holds only strings and primitives (see <see cref="ModelSpec"/>). <see cref="Name"/> is display
/// text from the model; <see cref="Identifier"/> is derived from it and validated, never copied.
/// </remarks>
internal sealed record TensorSpec(string Name, string Identifier, string Type, EquatableArray<int> Shape, int Length)
{
    /// <summary>A length that depends on the sequence length n: c0, c1, c2 of c0 + c1·n + c2·n² (empty for a fixed length).</summary>
    public EquatableArray<long> Sequence { get; init; } = EquatableArray<long>.Empty;

    public bool PerSequence => Sequence.Count == 3;
}

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
