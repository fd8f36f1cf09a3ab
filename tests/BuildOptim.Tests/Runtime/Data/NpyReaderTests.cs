using System.Text;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

public sealed class NpyReaderTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    public static TheoryData<string, ElementKind, double[]> EveryDtype => new()
    {
        { "f2", ElementKind.Float16, [-1.5, 0.25, 1, 100, 65504, -0.0] },
        { "f4", ElementKind.Float32, [-1.5, 0.25, 1, 100, 3.4e38, float.Epsilon] },
        { "f8", ElementKind.Float64, [-1.5, 0.25, 1, 100, 1e-3, -7e30] },
        { "i1", ElementKind.Int8, [-128, -1, 0, 1, 100, 127] },
        { "u1", ElementKind.UInt8, [0, 1, 2, 100, 200, 255] },
        { "i2", ElementKind.Int16, [-32768, -1, 0, 1, 300, 32767] },
        { "u2", ElementKind.UInt16, [0, 1, 2, 300, 40000, 65535] },
        { "i4", ElementKind.Int32, [-70000, -1, 0, 1, 16777216, 70000] },
        { "u4", ElementKind.UInt32, [0, 1, 2, 70000, 16777216, 3000000000] },
        { "i8", ElementKind.Int64, [-70000, -1, 0, 1, 1L << 40, 70000] },
        { "u8", ElementKind.UInt64, [0, 1, 2, 70000, 1L << 40, 1e19] },
        { "b1", ElementKind.Bool, [1, 0, 0, 1, 1, 0] },
    };

    [Theory]
    [MemberData(nameof(EveryDtype))]
    public void Npy_round_trips_every_supported_dtype(string code, ElementKind kind, double[] values)
    {
        string path = _scratch.Write($"{code}.npy", Npy.Build("<" + code, "(2, 3)", Npy.Encode(kind, values, bigEndian: false)));

        NdArray array = NpyReader.Read(path);

        Assert.Equal(code, array.Name);
        Assert.Equal(kind, array.SourceKind);
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal(values.Select(v => (float)v), array.Data);
        Assert.Equal(2, array.SampleCount);
        Assert.Equal(3, array.SampleLength);
        Assert.Equal(path, array.SourcePath);
    }

    [Theory]
    [MemberData(nameof(EveryDtype))]
    public void Npy_reads_big_endian_data(string code, ElementKind kind, double[] values)
    {
        string path = _scratch.Write("be.npy", Npy.Build(">" + code, "(6,)", Npy.Encode(kind, values, bigEndian: true)));

        NdArray array = NpyReader.Read(path);

        Assert.Equal(kind, array.SourceKind);
        Assert.Equal(values.Select(v => (float)v), array.Data);
    }

    [Theory]
    [InlineData("|u1", ElementKind.UInt8)]
    [InlineData("|i1", ElementKind.Int8)]
    [InlineData("=f4", ElementKind.Float32)]
    [InlineData("=i8", ElementKind.Int64)]
    [InlineData("f4", ElementKind.Float32)]
    public void Npy_byte_order_marks_other_than_big_endian_read_as_little_endian(string descr, ElementKind kind)
    {
        double[] values = [0, 1, 100];
        string path = _scratch.Write("x.npy", Npy.Build(descr, "(3,)", Npy.Encode(kind, values, bigEndian: false)));

        Assert.Equal([0f, 1f, 100f], NpyReader.Read(path).Data);
    }

    [Fact]
    public void Npy_bool_reads_any_nonzero_byte_as_one()
    {
        string path = _scratch.Write("b.npy", Npy.Build("|b1", "(3,)", [0, 1, 7]));

        Assert.Equal([0f, 1f, 1f], NpyReader.Read(path).Data);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Npy_version_2_and_3_headers_are_read(byte major)
    {
        string path = _scratch.Write("v.npy", Npy.Build("<f4", "(2, 2)", Npy.Float32(1, 2, 3, 4), major: major));

        NdArray array = NpyReader.Read(path);

        Assert.Equal([2, 2], array.Shape);
        Assert.Equal([1f, 2f, 3f, 4f], array.Data);
    }

    [Fact]
    public void Npy_header_without_padding_or_trailing_comma_is_read()
    {
        string path = _scratch.Write("tight.npy", Npy.WithHeader(1, 0, "{'shape':(2,),'fortran_order':False,'descr':'<f4'}", Npy.Float32(5, 6)));

        Assert.Equal([5f, 6f], NpyReader.Read(path).Data);
    }

    [Fact]
    public void Npy_python2_long_suffix_in_shape_is_accepted()
    {
        string path = _scratch.Write("py2.npy", Npy.Build("<f4", "(2L, 1L)", Npy.Float32(5, 6)));

        Assert.Equal([2, 1], NpyReader.Read(path).Shape);
    }

    [Fact]
    public void Npy_with_zero_length_first_dimension_has_no_samples()
    {
        string path = _scratch.Write("empty.npy", Npy.Build("<f4", "(0, 784)", []));

        NdArray array = NpyReader.Read(path);

        Assert.Equal([0, 784], array.Shape);
        Assert.Empty(array.Data);
        Assert.Equal(0, array.SampleCount);
        Assert.Equal(784, array.SampleLength);
    }

    [Fact]
    public void Npy_zero_length_dimension_allows_huge_other_dimensions()
    {
        string path = _scratch.Write("empty.npy", Npy.Build("<f8", "(0, 2147483647, 2147483647)", []));

        Assert.Empty(NpyReader.Read(path).Data);
    }

    [Fact]
    public void Npy_zero_dimensional_array_is_one_sample_of_one_value()
    {
        string path = _scratch.Write("scalar.npy", Npy.Build("<f8", "()", Npy.Encode(ElementKind.Float64, [3.5], false)));

        NdArray array = NpyReader.Read(path);

        Assert.Empty(array.Shape);
        Assert.Equal(1, array.SampleCount);
        Assert.Equal(1, array.SampleLength);
        Assert.Equal([3.5f], array.Sample(0).ToArray());
    }

    [Fact]
    public void Npy_trailing_bytes_after_the_data_are_ignored_like_numpy()
    {
        string path = _scratch.Write("extra.npy", [.. Npy.Build("<f4", "(1,)", Npy.Float32(9)), 1, 2, 3]);

        Assert.Equal([9f], NpyReader.Read(path).Data);
    }

    [Theory]
    [InlineData("|O")]
    [InlineData("|O8")]
    [InlineData("<O")]
    public void Npy_with_object_dtype_is_refused_with_BOPT1103(string descr)
    {
        // What follows an object header is a pickle; it must never be looked at.
        byte[] pickle = [0x80, 0x03, .. "cos\nsystem\n"u8.ToArray()];
        string path = _scratch.Write("objects.npy", Npy.Build(descr, "(2,)", pickle));

        var error = DataAssert.Fails("BOPT1103", path, () => NpyReader.Read(path));
        Assert.Contains("unpickl", error.Message);
    }

    [Fact]
    public void Npy_record_dtype_with_an_object_field_is_refused_with_BOPT1103()
    {
        string header = "{'descr': [('x', '<f4'), ('meta', '|O')], 'fortran_order': False, 'shape': (2,), }";
        string path = _scratch.Write("records.npy", Npy.WithHeader(1, 0, header, new byte[64]));

        DataAssert.Fails("BOPT1103", path, () => NpyReader.Read(path));
    }

    [Theory]
    [InlineData("<c8")]
    [InlineData("<c16")]
    [InlineData("<U5")]
    [InlineData("|S3")]
    [InlineData("<M8[ns]")]
    [InlineData("<m8[s]")]
    [InlineData("|V8")]
    [InlineData("<f16")]
    [InlineData("<i3")]
    [InlineData("")]
    public void Npy_with_unsupported_dtype_is_refused_with_BOPT1104(string descr)
    {
        string path = _scratch.Write("odd.npy", Npy.Build(descr, "(1,)", new byte[16]));

        var error = DataAssert.Fails("BOPT1104", path, () => NpyReader.Read(path));
        Assert.Contains("astype", error.Message);
    }

    [Fact]
    public void Npy_record_dtype_is_refused_with_BOPT1104()
    {
        string header = "{'descr': [('x', '<f4'), ('y', '<i4')], 'fortran_order': False, 'shape': (2,), }";
        string path = _scratch.Write("records.npy", Npy.WithHeader(1, 0, header, new byte[16]));

        DataAssert.Fails("BOPT1104", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Npy_fortran_order_is_refused_with_BOPT1102()
    {
        string path = _scratch.Write("fortran.npy", Npy.Build("<f4", "(2, 2)", Npy.Float32(1, 2, 3, 4), fortranOrder: true));

        var error = DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
        Assert.Contains("ascontiguousarray", error.Message);
    }

    [Theory]
    [InlineData(1, 10_001u)]
    [InlineData(1, 65_535u)]
    [InlineData(2, 0xFFFF_FFFFu)]
    [InlineData(3, 1_000_000u)]
    public void Npy_with_oversized_header_is_refused_with_BOPT1102_before_reading_it(byte major, uint headerLength)
    {
        string path = _scratch.Write("huge-header.npy", Npy.WithHeaderLengthField(major, 0, headerLength, new byte[64]));

        long allocated = DataAssert.AllocatedBy(() => DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path)));

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Npy_header_at_the_numpy_limit_is_accepted()
    {
        string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }";
        string header = dict.PadRight(NpyReader.MaxHeaderLength - 1) + "\n";
        string path = _scratch.Write("max-header.npy", Npy.WithHeader(2, 0, header, Npy.Float32(4)));

        Assert.Equal([4f], NpyReader.Read(path).Data);
    }

    [Fact]
    public void Npy_shape_larger_than_the_file_fails_fast_without_allocating()
    {
        string path = _scratch.Write("liar.npy", Npy.Build("<f4", "(1000000000,)", Npy.Float32(1, 2, 3)));

        long allocated = DataAssert.AllocatedBy(() =>
        {
            var error = DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
            Assert.Contains("4000000000 bytes", error.Message);
        });

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("<f4")]
    [InlineData("<i2")]
    public void Npy_shape_larger_than_a_forward_only_stream_allocates_only_what_arrives(string descr)
    {
        byte[] bytes = Npy.Build(descr, "(1000000000,)", new byte[12]);

        long allocated = DataAssert.AllocatedBy(() =>
        {
            using var stream = new ForwardOnlyStream(new MemoryStream(bytes));
            var error = DataAssert.Fails("BOPT1102", "stream.npy", () => NpyReader.Read(stream, "x", "stream.npy"));
            Assert.Contains("truncated", error.Message);
        });

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("(2147483648,)")]
    [InlineData("(100000, 100000, 100000)")]
    [InlineData("(65536, 65536)")]
    [InlineData("(99999999999999999999,)")]
    public void Npy_shape_beyond_array_limits_is_refused_with_BOPT1102(string shape)
    {
        string path = _scratch.Write("overflow.npy", Npy.Build("<f4", shape, Npy.Float32(1)));

        DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Npy_negative_dimension_is_refused_with_BOPT1102()
    {
        string path = _scratch.Write("negative.npy", Npy.Build("<f4", "(-1, 2)", Npy.Float32(1, 2)));

        var error = DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
        Assert.Contains("negative", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Npy_truncated_data_is_refused_with_BOPT1102(bool seekable)
    {
        byte[] full = Npy.Build("<f8", "(4,)", Npy.Encode(ElementKind.Float64, [1, 2, 3, 4], false));
        byte[] truncated = full[..^5];
        Stream stream = new MemoryStream(truncated);
        if (!seekable)
        {
            stream = new ForwardOnlyStream(stream);
        }

        using (stream)
        {
            var error = DataAssert.Fails("BOPT1102", "cut.npy", () => NpyReader.Read(stream, "cut", "cut.npy"));
            Assert.Contains("32 bytes", error.Message);
        }
    }

    [Fact]
    public void Npy_truncated_inside_the_header_is_refused_with_BOPT1102()
    {
        string path = _scratch.Write("cut.npy", Npy.Build("<f4", "(1,)", Npy.Float32(1))[..40]);

        DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U' })]
    [InlineData(new byte[] { (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o', (byte)',', (byte)'w', (byte)'o', (byte)'r', (byte)'l', (byte)'d' })]
    public void Npy_without_the_numpy_magic_is_refused_with_BOPT1102(byte[] bytes)
    {
        string path = _scratch.Write("not.npy", bytes);

        DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Npy_that_is_really_a_zip_says_to_name_it_npz()
    {
        string path = _scratch.Write("archive.npy", [(byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]);

        var error = DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
        Assert.Contains(".npz", error.Message);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 0)]
    public void Npy_unknown_format_version_is_refused_with_BOPT1102(byte major, byte minor)
    {
        string path = _scratch.Write("future.npy", Npy.WithHeaderLengthField(major, minor, 16, new byte[64]));

        var error = DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
        Assert.Contains($"{major}.{minor}", error.Message);
    }

    [Fact]
    public void Npy_version_3_header_with_invalid_utf8_is_refused_with_BOPT1102()
    {
        byte[] header = [.. "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"u8.ToArray(), 0xFF, (byte)'\n'];
        string path = _scratch.Write("bad-utf8.npy", Npy.WithHeaderLengthField(3, 0, (uint)header.Length, [.. header, .. Npy.Float32(1)]));

        DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'shape': (1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [1], }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1.0,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ('1',), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }")]
    [InlineData("{'descr': 4, 'fortran_order': False, 'shape': (1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)")]
    [InlineData("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }")]
    [InlineData("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1_0,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os').system('true'), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (1,), }")]
    [InlineData("{descr: '<f4', 'fortran_order': False, 'shape': (1,), }")]
    [InlineData("['descr', '<f4']")]
    [InlineData("")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((((((1,),),),),),),),),),),),),),),),),),),),), }")]
    public void Npy_malformed_header_is_refused_with_BOPT1102(string header)
    {
        string path = _scratch.Write("bad-header.npy", Npy.WithHeader(1, 0, header + "\n", new byte[64]));

        DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Npy_from_a_stream_reads_from_its_current_position()
    {
        byte[] npy = Npy.Build("<f4", "(2,)", Npy.Float32(7, 8));
        using var stream = new MemoryStream([1, 2, 3, .. npy]) { Position = 3 };

        NdArray array = NpyReader.Read(stream, "named", "virtual.npy");

        Assert.Equal("named", array.Name);
        Assert.Equal("virtual.npy", array.SourcePath);
        Assert.Equal([7f, 8f], array.Data);
    }

    [Theory]
    [InlineData("<f4", ElementKind.Float32)]
    [InlineData(">f4", ElementKind.Float32)]
    [InlineData("<i2", ElementKind.Int16)]
    [InlineData(">u8", ElementKind.UInt64)]
    public void Npy_from_a_forward_only_stream_reads_arrays_larger_than_one_chunk(string descr, ElementKind kind)
    {
        const int Count = 300_001; // several read chunks, an odd tail, and past the initial guess for unknown lengths
        double[] values = Enumerable.Range(0, Count).Select(i => (double)(i % 30_000)).ToArray();
        byte[] npy = Npy.Build(descr, $"({Count},)", Npy.Encode(kind, values, bigEndian: descr[0] == '>'));
        using var stream = new ForwardOnlyStream(new MemoryStream(npy));

        NdArray array = NpyReader.Read(stream, "big", "big.npy");

        Assert.Equal(Count, array.Data.Length);
        Assert.Equal(values.Select(v => (float)v), array.Data);
    }

    [Fact]
    public void Npy_missing_file_is_refused_with_BOPT1101()
    {
        string path = Path.Combine(_scratch.Path, "absent.npy");

        DataAssert.Fails("BOPT1101", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Npy_error_names_the_header_problem_in_one_line()
    {
        string path = _scratch.Write("bad.npy", Npy.WithHeader(1, 0, "{'descr':\n'<f4',\n 'shape': (1,)}\n", new byte[4]));

        var error = DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
        Assert.Contains("'fortran_order'", error.Message);
    }
}
