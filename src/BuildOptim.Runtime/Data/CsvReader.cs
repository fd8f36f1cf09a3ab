using System.Globalization;
using System.Text;

namespace BuildOptim.Runtime.Data;

/// <summary>
/// Reads a numeric CSV file as a 2-D array <c>[rows, columns]</c>: one sample per line,
/// comma-separated invariant-culture numbers.
/// </summary>
/// <remarks>
/// Blank lines and lines starting with <c>#</c> (as <c>np.savetxt</c> writes its header) are skipped.
/// The first remaining line is a header, and skipped, only when none of its fields is a number: a line
/// with some numbers is data, so a typo such as <c>2.O</c> in the first row is reported (line and column)
/// rather than silently dropping that sample. Every row must have the same number of values. A number
/// may be wrapped in double quotes. <see cref="NdArray.Csv"/> says how many rows were read and which
/// line, if any, was skipped as the header.
/// </remarks>
public static class CsvReader
{
    /// <summary>Reads the CSV file at <paramref name="path"/>; the array is named after the file stem.</summary>
    /// <exception cref="DataFormatException">BOPT1101 or BOPT1102 (with line and column).</exception>
    public static NdArray Read(string path)
    {
        var source = DataSource.File(path);
        using FileStream stream = DataFile.OpenRead(path);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);

        var values = new List<float>();
        int columns = -1;
        int firstRowLine = 0;
        int rows = 0;
        int lineNumber = 0;
        int? headerLine = null;
        bool headerChecked = false;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            lineNumber++;
            ReadOnlySpan<char> content = line.AsSpan().Trim();
            if (content.IsEmpty || content[0] == '#')
            {
                continue;
            }
            if (!headerChecked)
            {
                headerChecked = true;
                if (!HasNumericField(line))
                {
                    headerLine = lineNumber;
                    continue;
                }
            }

            int count = ParseRow(line, lineNumber, firstRow: rows == 0 && headerLine is null, values, source);
            if (columns < 0)
            {
                columns = count;
                firstRowLine = lineNumber;
            }
            else if (count != columns)
            {
                throw source.Error(DataErrorCodes.Malformed,
                    $"line {lineNumber} has {count} values but line {firstRowLine} has {columns}; every row must have the same number of columns.");
            }
            rows++;
        }

        if (rows == 0)
        {
            throw source.Error(DataErrorCodes.Malformed, "the CSV file holds no data rows; write one sample per line as comma-separated numbers.");
        }
        return new NdArray(Path.GetFileNameWithoutExtension(path), ElementKind.Float32, [rows, columns], values.ToArray(), path)
        {
            Csv = new CsvLayout(rows, headerLine),
        };
    }

    private static bool HasNumericField(string line)
    {
        foreach (Range field in line.AsSpan().Split(','))
        {
            if (TryParseField(line.AsSpan()[field], out _))
            {
                return true;
            }
        }
        return false;
    }

    private static int ParseRow(string line, int lineNumber, bool firstRow, List<float> values, DataSource source)
    {
        int count = 0;
        foreach (Range field in line.AsSpan().Split(','))
        {
            ReadOnlySpan<char> text = line.AsSpan()[field];
            if (!TryParseField(text, out float value))
            {
                (int offset, _) = field.GetOffsetAndLength(line.Length);
                int column = offset + (text.Length - text.TrimStart().Length) + 1;
                string shown = text.Trim().Length == 0 ? "an empty field" : $"'{text.Trim()}'";
                string asData = firstRow ? " (the first line is read as data because some of its fields are numbers; a header line has no numeric field)" : "";
                throw source.Error(DataErrorCodes.Malformed,
                    $"line {lineNumber}, column {column}: {shown} (value {count + 1}) is not a number{asData}; use invariant-culture numbers ('.' as decimal point) separated by ','.");
            }
            if (values.Count == Array.MaxLength)
            {
                throw source.Error(DataErrorCodes.Malformed, $"line {lineNumber}: the CSV file holds more values than an array can; split it.");
            }
            values.Add(value);
            count++;
        }
        return count;
    }

    private static bool TryParseField(ReadOnlySpan<char> field, out float value)
    {
        field = field.Trim();
        if (field.Length >= 2 && field[0] == '"' && field[^1] == '"')
        {
            field = field[1..^1].Trim();
        }
        return float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
