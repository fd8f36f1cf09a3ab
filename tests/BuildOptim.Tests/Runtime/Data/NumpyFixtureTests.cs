using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>
/// Files written by real numpy (tests/TestData/data/make_fixtures.py): evidence that the readers
/// agree with numpy itself, not just with our reading of its format spec.
/// </summary>
public sealed class NumpyFixtureTests
{
    private static string Fixture(string fileName) => Path.Combine(TestPaths.TestData, "data", fileName);

    /// <summary><c>(np.arange(20).reshape(5, 4) - 10) / 4</c> as float32.</summary>
    private static readonly float[] s_x = Enumerable.Range(0, 20).Select(i => (i - 10) / 4f).ToArray();

    [Fact]
    public void Numpy_savez_of_every_dtype_reads_the_values_numpy_wrote()
    {
        Dictionary<string, NdArray> arrays = NpzReader.Read(Fixture("dtypes.npz")).ToDictionary(a => a.Name);

        Assert.Equal(["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"], arrays.Keys);
        foreach (string name in new[] { "f2", "f4", "f8" })
        {
            Assert.Equal([-1.5f, 0.25f, 1f, 100f], arrays[name].Data);
        }
        foreach (string name in new[] { "i1", "i2", "i4", "i8" })
        {
            Assert.Equal([-5f, 0f, 1f, 100f], arrays[name].Data);
        }
        foreach (string name in new[] { "u1", "u2", "u4", "u8" })
        {
            Assert.Equal([0f, 1f, 2f, 100f], arrays[name].Data);
        }
        Assert.Equal([1f, 0f, 0f, 1f], arrays["b1"].Data);
        Assert.All(arrays.Values, a => Assert.Equal([2, 2], a.Shape));
        Assert.Equal(ElementKind.Float16, arrays["f2"].SourceKind);
        Assert.Equal(ElementKind.UInt64, arrays["u8"].SourceKind);
        Assert.Equal(ElementKind.Bool, arrays["b1"].SourceKind);
    }

    [Theory]
    [InlineData("calib_stored.npz")]
    [InlineData("calib_deflated.npz")]
    public void Numpy_savez_and_savez_compressed_read_as_samples_and_labels(string fileName)
    {
        IReadOnlyList<NdArray> arrays = DataFile.Read(Fixture(fileName));

        Assert.Equal(["x", "labels"], arrays.Select(a => a.Name));
        Assert.Equal([5, 4], arrays[0].Shape);
        Assert.Equal(s_x, arrays[0].Data);
        Assert.Equal([0, 1, 2, 1, 0], arrays[1].ToLabels());
    }

    [Theory]
    [InlineData("matrix_f32.npy")]
    [InlineData("version2.npy")]
    [InlineData("version3.npy")]
    public void Numpy_npy_of_every_format_version_reads_the_same(string fileName)
    {
        NdArray array = NpyReader.Read(Fixture(fileName));

        Assert.Equal([5, 4], array.Shape);
        Assert.Equal(s_x, array.Data);
        Assert.Equal(Path.GetFileNameWithoutExtension(fileName), array.Name);
    }

    [Fact]
    public void Numpy_big_endian_files_read_in_the_right_byte_order()
    {
        Assert.Equal([0f, 0.5f, 1f, 1.5f, 2f, 2.5f], NpyReader.Read(Fixture("big_endian_f8.npy")).Data);
        Assert.Equal([-70000f, 1f, 2f, 3f, 4f, 70000f], NpyReader.Read(Fixture("big_endian_i4.npy")).Data);
    }

    [Fact]
    public void Numpy_empty_and_zero_dimensional_arrays_read()
    {
        NdArray empty = NpyReader.Read(Fixture("empty_rows.npy"));
        NdArray scalar = NpyReader.Read(Fixture("scalar.npy"));

        Assert.Equal([0, 3], empty.Shape);
        Assert.Equal(0, empty.SampleCount);
        Assert.Empty(scalar.Shape);
        Assert.Equal([3.5f], scalar.Data);
    }

    [Fact]
    public void Numpy_savetxt_csv_reads_with_its_comment_header_skipped()
    {
        NdArray array = CsvReader.Read(Fixture("savetxt.csv"));

        Assert.Equal([5, 4], array.Shape);
        Assert.Equal(s_x, array.Data);
    }

    [Fact]
    public void Numpy_object_array_is_refused_with_BOPT1103_without_unpickling()
    {
        string path = Fixture("object.npy");

        DataAssert.Fails("BOPT1103", path, () => NpyReader.Read(path));
    }

    [Theory]
    [InlineData("complex.npy")]
    [InlineData("strings.npy")]
    public void Numpy_complex_and_string_arrays_are_refused_with_BOPT1104(string fileName)
    {
        string path = Fixture(fileName);

        DataAssert.Fails("BOPT1104", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Numpy_fortran_order_array_is_refused_with_BOPT1102()
    {
        string path = Fixture("fortran_order.npy");

        DataAssert.Fails("BOPT1102", path, () => NpyReader.Read(path));
    }

    [Fact]
    public void Numpy_float_labels_with_a_fraction_are_refused_with_BOPT1106()
    {
        NdArray labels = NpyReader.Read(Fixture("labels_float.npy"));

        var error = DataAssert.Fails("BOPT1106", labels.SourcePath, () => labels.ToLabels());
        Assert.Contains("2.5", error.Message);
    }
}
