namespace BuildOptim.Compression;

/// <summary>The BOPT codes the compression engine raises, by the names its code uses; the values live in <see cref="DiagnosticIds"/>.</summary>
public static class Diagnostics
{
    public const string LabelsInvalid = DiagnosticIds.LabelsInvalid;
    public const string DataShapeMismatch = DiagnosticIds.DataShapeMismatch;
    public const string RangeNotRepresentable = DiagnosticIds.RangeNotRepresentable;
    public const string InvalidOption = DiagnosticIds.InvalidOption;
    public const string GateMetricChanged = DiagnosticIds.GateMetricChanged;
    public const string EvaluatedOnCalibrationData = DiagnosticIds.EvaluatedOnCalibrationData;
    public const string ImageOptionsUnused = DiagnosticIds.ImageOptionsUnused;
    public const string MissingCalibration = DiagnosticIds.MissingCalibration;
    public const string OptionNotSupported = DiagnosticIds.OptionNotSupported;
    public const string AccuracyGateFailed = DiagnosticIds.AccuracyGateFailed;
    public const string AgreementGateFailed = DiagnosticIds.AgreementGateFailed;
    public const string CosineGateFailed = DiagnosticIds.CosineGateFailed;
    public const string ReferenceRuntimeFailed = DiagnosticIds.ReferenceRuntimeFailed;
    public const string InternalError = DiagnosticIds.InternalError;
    public const string OutputNotWritable = DiagnosticIds.OutputNotWritable;
    public const string ForeignFile = DiagnosticIds.ForeignFile;
}

/// <summary>A coded, user-facing failure of the engine.</summary>
public sealed class CompressionException : Exception
{
    public CompressionException(string code, string filePath, string message)
        : base(message)
    {
        Code = code;
        FilePath = filePath;
    }

    public string Code { get; }

    public string FilePath { get; }
}
