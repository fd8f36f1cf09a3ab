namespace BuildOptim.Compression;

/// <summary>BOPT codes raised by the compression engine (the table lives in docs/diagnostics.md).</summary>
public static class Diagnostics
{
    public const string LabelsInvalid = "BOPT1106";
    public const string DataShapeMismatch = "BOPT1105";
    public const string RangeNotRepresentable = "BOPT1110";
    public const string InvalidOption = "BOPT1201";
    public const string MissingCalibration = "BOPT1202";
    public const string OptionNotSupported = "BOPT1203";
    public const string AccuracyGateFailed = "BOPT2001";
    public const string AgreementGateFailed = "BOPT2002";
    public const string CosineGateFailed = "BOPT2004";
    public const string ReferenceRuntimeFailed = "BOPT2003";
    public const string InternalError = "BOPT3001";
    public const string OutputNotWritable = "BOPT3003";
    public const string ForeignFile = "BOPT3004";
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
