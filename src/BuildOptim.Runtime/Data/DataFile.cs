namespace BuildOptim.Runtime.Data;

/// <summary>Reads a calibration or evaluation data file, choosing the reader from its extension.</summary>
public static class DataFile
{
    /// <summary>The extensions <see cref="Read"/> understands.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = [".npy", ".npz", ".csv"];

    /// <summary>
    /// Reads <c>.npy</c> and <c>.csv</c> files as one array and <c>.npz</c> archives as one array per
    /// entry. Extensions are matched case-insensitively.
    /// </summary>
    /// <exception cref="DataFormatException">BOPT1101 when missing; BOPT1102 for a folder or any other extension; see the readers.</exception>
    public static IReadOnlyList<NdArray> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string extension = Path.GetExtension(path);
        if (extension.Equals(".npy", StringComparison.OrdinalIgnoreCase))
        {
            return [NpyReader.Read(path)];
        }
        if (extension.Equals(".npz", StringComparison.OrdinalIgnoreCase))
        {
            return NpzReader.Read(path);
        }
        if (extension.Equals(".csv", StringComparison.OrdinalIgnoreCase))
        {
            return [CsvReader.Read(path)];
        }

        ThrowIfNotAFile(path);
        throw DataSource.File(path).Error(DataErrorCodes.Malformed,
            $"extension '{extension}' is not a data format BuildOptim reads; use .npy, .npz or .csv.");
    }

    /// <summary>Opens <paramref name="path"/> for reading, mapping a missing or unopenable file to BOPT1101.</summary>
    internal static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ThrowIfNotAFile(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DataSource.File(path).Error(DataErrorCodes.FileNotFound, $"the file cannot be opened ({ex.Message}).", ex);
        }
    }

    private static void ThrowIfNotAFile(string path)
    {
        if (File.Exists(path))
        {
            return;
        }
        if (Directory.Exists(path))
        {
            throw DataSource.File(path).Error(DataErrorCodes.Malformed, "it is a folder, not a data file; name an .npy, .npz or .csv file.");
        }
        string fullPath = Path.IsPathFullyQualified(path) ? path : Path.Join(Environment.CurrentDirectory, path);
        string lookedFor = fullPath == path ? "" : $" (looked for '{fullPath}')";
        throw DataSource.File(path).Error(DataErrorCodes.FileNotFound, $"file not found{lookedFor}; check the path.");
    }
}
