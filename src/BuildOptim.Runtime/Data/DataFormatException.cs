namespace BuildOptim.Runtime.Data;

/// <summary>
/// A data file that cannot be used: missing, malformed, unsafe or of an unsupported type.
/// <see cref="Exception.Message"/> is one line that names the file (and the npz array when
/// relevant) and says what to do; <see cref="Code"/> is the <c>BOPTnnnn</c> diagnostic code.
/// </summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string code, string filePath, string message)
        : base(message)
    {
        Code = code;
        FilePath = filePath;
    }

    public DataFormatException(string code, string filePath, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
        FilePath = filePath;
    }

    /// <summary>The diagnostic code, one of <see cref="DataErrorCodes"/>.</summary>
    public string Code { get; }

    /// <summary>The file as the caller named it (for an npz array, the npz file).</summary>
    public string FilePath { get; }
}

/// <summary>The diagnostic codes the data readers raise (documented in docs/diagnostics.md).</summary>
public static class DataErrorCodes
{
    /// <summary>The data file does not exist or cannot be opened.</summary>
    public const string FileNotFound = DiagnosticIds.DataFileNotFound;

    /// <summary>The file is malformed: bad magic or header, sizes that do not add up, truncation, bad CSV.</summary>
    public const string Malformed = DiagnosticIds.DataMalformed;

    /// <summary>The array holds Python objects; reading it would need unpickling, which is never done.</summary>
    public const string ObjectArrayRefused = DiagnosticIds.ObjectArrayRefused;

    /// <summary>The dtype is valid numpy but not numeric data the engine can use (complex, strings, dates, records).</summary>
    public const string UnsupportedDtype = DiagnosticIds.UnsupportedDtype;

    /// <summary>An array used as labels does not hold integer class ids.</summary>
    public const string LabelsNotInteger = DiagnosticIds.LabelsInvalid;

    /// <summary>Input data holds NaN or an infinity.</summary>
    public const string NonFiniteValue = DiagnosticIds.NonFiniteValue;

    /// <summary>An .npz archive's arrays decode to more than its size budget allows (a decompression bomb).</summary>
    public const string SizeBudgetExceeded = DiagnosticIds.DataSizeBudgetExceeded;
}

/// <summary>Where a value came from, for messages: a file and, inside an npz, an array.</summary>
internal readonly record struct DataSource(string FilePath, string? EntryName)
{
    public static DataSource File(string path) => new(path, null);

    public string Describe() => EntryName is null
        ? $"Data file '{FilePath}'"
        : $"Data file '{FilePath}', array '{Printable(EntryName)}'";

    /// <summary>An entry name as read from an archive, with control characters escaped: messages stay on one line.</summary>
    private static string Printable(string name) => name.Any(char.IsControl)
        ? string.Concat(name.Select(c => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString()))
        : name;

    public DataFormatException Error(string code, string problem) => new(code, FilePath, $"{Describe()}: {problem}");

    public DataFormatException Error(string code, string problem, Exception inner) => new(code, FilePath, $"{Describe()}: {problem}", inner);
}
