namespace BuildOptim;

/// <summary>
/// The keys of a <c>.boptgen</c> descriptor, the engine's small text hand-over to the source generator (one
/// <c>key=value</c> per line; docs/architecture.md). One source file, linked into the engine that writes it and
/// the generator that parses it.
/// </summary>
internal static class DescriptorKeys
{
    /// <summary>The descriptor format of a model with one float input and one output (the keys below up to <see cref="Summary"/>).</summary>
    public const int Format = 1;

    /// <summary>
    /// The format of a model with several inputs or outputs, or a non-float input: <see cref="InputCount"/> and
    /// <see cref="OutputCount"/>, then per tensor <c>input.N.name</c>, <c>input.N.type</c>, <c>input.N.shape</c>,
    /// <c>input.N.length</c> (and the same for <c>output.N</c>), instead of the single input and output keys.
    /// </summary>
    public const int MultiTensorFormat = 2;

    public const string InputCount = "inputs";
    public const string OutputCount = "outputs";
    public const string InputPrefix = "input.";
    public const string OutputPrefix = "output.";
    public const string TensorName = "name";
    public const string TensorType = "type";
    public const string TensorShape = "shape";
    public const string TensorLength = "length";

    /// <summary>
    /// A tensor whose length depends on the sequence length n: <c>c0,c1,c2</c> with length = c0 + c1·n + c2·n² (its
    /// <see cref="TensorShape"/> and <see cref="TensorLength"/> are then those at the data's length, for display).
    /// </summary>
    public const string TensorSequence = "sequence";

    /// <summary>Format 2, a model whose inputs have a dynamic sequence length: <c>min,max</c> lengths the plan accepts.</summary>
    public const string SequenceLength = "sequenceLength";

    /// <summary>The element types a tensor of a format-2 descriptor may have, as the generated Run types its span.</summary>
    public static readonly string[] TensorTypes = { "float32", "int64", "int32", "bool" };

    public const string FormatKey = "format";
    public const string ClassName = "className";
    public const string Namespace = "namespace";
    public const string ResourceName = "resourceName";
    public const string SourceModel = "sourceModel";
    public const string InputName = "inputName";
    public const string InputShape = "inputShape";
    public const string InputLength = "inputLength";
    public const string OutputName = "outputName";
    public const string OutputShape = "outputShape";
    public const string OutputLength = "outputLength";
    public const string DynamicBatch = "dynamicBatch";
    public const string Classifier = "classifier";
    public const string Precision = "precision";
    public const string Summary = "summary";

    /// <summary>
    /// <see cref="PlanAbsent"/> when no plan goes with the descriptor: the model failed its gate (BuildOptimGate=Error), so the
    /// descriptor carries its signature only. The generator still emits the class, so code that uses it compiles and
    /// completes in the IDE, but its constructor throws. Absent or <see cref="PlanPresent"/>: a plan is embedded under the resource name.
    /// </summary>
    public const string Plan = "plan";
    public const string PlanPresent = "present";
    public const string PlanAbsent = "absent";

    /// <summary>
    /// A classifier with <c>ClassNames</c>: the number of names (the output's length), then one <see cref="ClassNamePrefix"/>
    /// key per class, <c>classNames.0=T-shirt/top</c>, with <c>%</c> and <c>#</c> percent-encoded (<c>#</c> would start a comment).
    /// </summary>
    public const string ClassNameCount = "classNames";

    public const string ClassNamePrefix = "classNames.";

    /// <summary>A classifier: what its output holds, one of <see cref="ScoreKinds"/> (<c>logits</c> when absent).</summary>
    public const string Scores = "scores";

    /// <summary>The values of <see cref="Scores"/>: unnormalized, after a Softmax, after a LogSoftmax.</summary>
    public static readonly string[] ScoreKinds = { "logits", "probabilities", "logProbabilities" };

    /// <summary>The most class names a descriptor may carry (they become string literals in the generated class).</summary>
    public const int MaxClassNames = 32768;

    /// <summary>The longest class name, in UTF-16 code units.</summary>
    public const int MaxClassNameLength = 200;

    /// <summary>A class name as the descriptor holds it: <c>%</c> and <c>#</c> percent-encoded.</summary>
    public static string EncodeClassName(string name) => name.Replace("%", "%25").Replace("#", "%23");
}
