namespace BuildOptim.Onnx;

/// <summary>A model problem with its BOPT code, message naming the file (and node where relevant).</summary>
public sealed class OnnxModelException : Exception
{
    public OnnxModelException(string code, string filePath, string message)
        : base(message)
    {
        Code = code;
        FilePath = filePath;
    }

    public string Code { get; }

    public string FilePath { get; }
}

/// <summary>The BOPT codes the ONNX front end raises.</summary>
public static class OnnxDiagnostics
{
    public const string ModelNotFound = DiagnosticIds.ModelNotFound;
    public const string InvalidModel = DiagnosticIds.InvalidModel;
    public const string UnsupportedOperator = DiagnosticIds.UnsupportedOperator;
    public const string UnsupportedModel = DiagnosticIds.UnsupportedModel;
}
