using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

public sealed class CsvReaderTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Csv_reads_one_sample_per_line()
    {
        string path = _scratch.WriteText("calib.csv", "1,2,3\n4.5,-6e-1,7\n");

        NdArray array = CsvReader.Read(path);

        Assert.Equal("calib", array.Name);
        Assert.Equal(ElementKind.Float32, array.SourceKind);
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal([4.5f, -0.6f, 7f], array.Sample(1).ToArray());
    }

    [Fact]
    public void Csv_with_a_header_line_skips_it()
    {
        string path = _scratch.WriteText("named.csv", "width,height,depth\n1,2,3\n");

        NdArray array = CsvReader.Read(path);

        Assert.Equal([1, 3], array.Shape);
        Assert.Equal([1f, 2f, 3f], array.Data);
    }

    [Fact]
    public void Csv_header_is_detected_after_leading_comments()
    {
        string path = _scratch.WriteText("named.csv", "# exported\n\nx0,x1\n1,2\n");

        Assert.Equal([1f, 2f], CsvReader.Read(path).Data);
    }

    [Fact]
    public void Csv_comment_and_blank_lines_are_skipped_anywhere()
    {
        string path = _scratch.WriteText("c.csv", "# savetxt header\n1,2\n\n   # indented comment\n3,4\n   \n");

        NdArray array = CsvReader.Read(path);

        Assert.Equal([2, 2], array.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], array.Data);
    }

    [Fact]
    public void Csv_handles_crlf_spaces_quotes_and_a_byte_order_mark()
    {
        string path = _scratch.WriteText("windows.csv", "\uFEFF 1 , \"2\"\r\n3,4 \r\n");

        Assert.Equal([1f, 2f, 3f, 4f], CsvReader.Read(path).Data);
    }

    [Fact]
    public void Csv_numbers_use_the_invariant_culture()
    {
        string path = _scratch.WriteText("numbers.csv", "1.5,1e3,-0.25,+2,NaN\n");

        float[] data = CsvReader.Read(path).Data;

        Assert.Equal([1.5f, 1000f, -0.25f, 2f], data[..4]);
        Assert.True(float.IsNaN(data[4]));
    }

    [Fact]
    public void Csv_ragged_rows_are_refused_with_BOPT1102_naming_both_lines()
    {
        string path = _scratch.WriteText("ragged.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n");

        var error = DataAssert.Fails("BOPT1102", path, () => CsvReader.Read(path));
        Assert.Contains("line 4 has 2 values but line 2 has 3", error.Message);
    }

    [Fact]
    public void Csv_bad_number_is_refused_with_BOPT1102_giving_line_and_column()
    {
        string path = _scratch.WriteText("bad.csv", "1,2,3\n4,  5x,6\n");

        var error = DataAssert.Fails("BOPT1102", path, () => CsvReader.Read(path));
        Assert.Contains("line 2, column 5", error.Message);
        Assert.Contains("'5x'", error.Message);
    }

    [Fact]
    public void Csv_empty_field_is_refused_with_BOPT1102()
    {
        string path = _scratch.WriteText("gap.csv", "1,2,3\n4,,6\n");

        var error = DataAssert.Fails("BOPT1102", path, () => CsvReader.Read(path));
        Assert.Contains("line 2, column 3: an empty field", error.Message);
    }

    [Fact]
    public void Csv_with_semicolons_and_decimal_commas_is_refused_with_a_hint()
    {
        string path = _scratch.WriteText("excel.csv", "1;2\n3,5;4\n");

        var error = DataAssert.Fails("BOPT1102", path, () => CsvReader.Read(path));
        Assert.Contains("'.' as decimal point", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n\n")]
    [InlineData("a,b,c\n")]
    public void Csv_without_data_rows_is_refused_with_BOPT1102(string text)
    {
        string path = _scratch.WriteText("empty.csv", text);

        DataAssert.Fails("BOPT1102", path, () => CsvReader.Read(path));
    }

    [Fact]
    public void Csv_single_column_reads_as_a_column_of_labels()
    {
        string path = _scratch.WriteText("labels.csv", "label\n3\n0\n9\n");

        NdArray array = CsvReader.Read(path);

        Assert.Equal([3, 1], array.Shape);
        Assert.Equal([3, 0, 9], array.ToLabels());
    }

    [Fact]
    public void Csv_missing_file_is_refused_with_BOPT1101()
    {
        string path = Path.Combine(_scratch.Path, "absent.csv");

        DataAssert.Fails("BOPT1101", path, () => CsvReader.Read(path));
    }

    [Theory]
    [InlineData("2.O,3,4\n1,2,3\n", "line 1, column 1: '2.O'")]
    [InlineData("# comment\n1,2,x\n1,2,3\n", "line 2, column 5: 'x'")]
    [InlineData("1,,3\n1,2,3\n", "line 1, column 3: an empty field")]
    public void Csv_first_row_with_a_number_is_data_and_its_typo_is_BOPT1102_with_line_and_column(string text, string expected)
    {
        string path = _scratch.WriteText("typo.csv", text);

        var error = DataAssert.Fails("BOPT1102", path, () => CsvReader.Read(path));

        Assert.Contains(expected, error.Message);
        Assert.Contains("header line has no numeric field", error.Message);
    }

    [Fact]
    public void Csv_read_reports_its_rows_and_the_header_line_it_skipped()
    {
        string named = _scratch.WriteText("named.csv", "# exported\n\nwidth,height\n1,2\n3,4\n5,6\n");
        string plain = _scratch.WriteText("plain.csv", "1,2\n3,4\n");

        Assert.Equal(new CsvLayout(3, 3), CsvReader.Read(named).Csv);
        Assert.Equal(new CsvLayout(2, null), CsvReader.Read(plain).Csv);
        Assert.Null(NpyReader.Read(_scratch.Write("x.npy", Npy.Build("<f4", "(2,)", Npy.Float32(1, 2)))).Csv);
    }
}
