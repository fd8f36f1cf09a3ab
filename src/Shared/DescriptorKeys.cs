namespace BuildOptim;

/// <summary>
/// The keys of a <c>.boptgen</c> descriptor, the engine's small text hand-over to the source generator (one
/// <c>key=value</c> per line; docs/architecture.md). One source file, linked into the engine that writes it and
/// the generator that parses it.
/// </summary>
internal static class DescriptorKeys
{
    /// <summary>The descriptor format this engine writes and this generator reads.</summary>
    public const int Format = 1;

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
}
