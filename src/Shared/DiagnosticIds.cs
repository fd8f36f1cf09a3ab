namespace BuildOptim;

/// <summary>
/// Every BOPT code, defined once (docs/diagnostics.md documents each; a test keeps the two in step). One source file,
/// linked into every project that reports diagnostics: the ONNX front end, the runtime's data readers, the engine, the
/// CLI, the task and the source generator.
/// </summary>
internal static class DiagnosticIds
{
    // 1000s: the model file.
    public const string ModelNotFound = "BOPT1001";
    public const string InvalidModel = "BOPT1002";
    public const string UnsupportedOperator = "BOPT1003";
    public const string UnsupportedModel = "BOPT1004";

    // 1100s: data files.
    public const string DataFileNotFound = "BOPT1101";
    public const string DataMalformed = "BOPT1102";
    public const string ObjectArrayRefused = "BOPT1103";
    public const string UnsupportedDtype = "BOPT1104";
    public const string DataShapeMismatch = "BOPT1105";
    public const string LabelsInvalid = "BOPT1106";
    public const string NonFiniteValue = "BOPT1107";
    public const string DataSizeBudgetExceeded = "BOPT1108";
    public const string RangeNotRepresentable = "BOPT1110";
    public const string ClassNamesInvalid = "BOPT1111";

    // 1200s: options and metadata.
    public const string InvalidOption = "BOPT1201";
    public const string MissingCalibration = "BOPT1202";
    public const string OptionNotSupported = "BOPT1203";
    public const string DuplicateModelFileName = "BOPT1204";
    public const string ClassNameCollision = "BOPT1205";
    public const string TargetFrameworkUnsupported = "BOPT1206";
    public const string UnknownMetadata = "BOPT1207";
    public const string GateMetricChanged = "BOPT1208";
    public const string EvaluatedOnCalibrationData = "BOPT1209";
    public const string ImageOptionsUnused = "BOPT1210";

    // 2000s: the gate and the reference.
    public const string AccuracyGateFailed = "BOPT2001";
    public const string AgreementGateFailed = "BOPT2002";
    public const string ReferenceRuntimeFailed = "BOPT2003";
    public const string CosineGateFailed = "BOPT2004";

    // 3000s: the tool itself.
    public const string InternalError = "BOPT3001";
    public const string ToolNotStarted = "BOPT3002";
    public const string OutputNotWritable = "BOPT3003";
    public const string ForeignFile = "BOPT3004";
    public const string CacheNotUsable = "BOPT3005";

    // 4000s: the source generator.
    public const string MalformedDescriptor = "BOPT4001";
    public const string InvalidIdentifier = "BOPT4002";
    public const string UnsupportedDescriptorFormat = "BOPT4003";
    public const string DuplicateClass = "BOPT4004";

    // 9000s: packaging (in build/ and src/BuildOptim's project file, which cannot link C#).
    public const string PackagingFailed = "BOPT9001";

    /// <summary>The codes of a failed accuracy, agreement or cosine gate.</summary>
    public static bool IsGateFailure(string code) => code is AccuracyGateFailed or AgreementGateFailed or CosineGateFailed;
}
