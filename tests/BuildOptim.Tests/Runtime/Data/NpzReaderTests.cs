using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

public sealed class NpzReaderTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static byte[] Zip(CompressionLevel level, params (string Name, byte[] Bytes)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach ((string name, byte[] bytes) in entries)
            {
                using Stream stream = archive.CreateEntry(name, level).Open();
                stream.Write(bytes);
            }
        }
        return buffer.ToArray();
    }

    private static (string, byte[]) Samples() => ("x.npy", Npy.Build("<f4", "(2, 3)", Npy.Float32(1, 2, 3, 4, 5, 6)));

    private static (string, byte[]) Labels() => ("labels.npy", Npy.Build("<i8", "(2,)", Npy.Encode(ElementKind.Int64, [1, 0], false)));

    [Theory]
    [InlineData(CompressionLevel.NoCompression, 0)] // np.savez: stored
    [InlineData(CompressionLevel.Optimal, 8)]       // np.savez_compressed: deflated
    public void Npz_entries_are_read_stored_or_deflated(CompressionLevel level, int expectedMethod)
    {
        byte[] zip = Zip(level, Samples(), Labels());
        Assert.Equal(expectedMethod, BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(8))); // first local header's method
        string path = _scratch.Write("set.npz", zip);

        IReadOnlyList<NdArray> arrays = NpzReader.Read(path);

        Assert.Equal(["x", "labels"], arrays.Select(a => a.Name));
        Assert.Equal([2, 3], arrays[0].Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], arrays[0].Data);
        Assert.Equal(ElementKind.Int64, arrays[1].SourceKind);
        Assert.Equal([1, 0], arrays[1].ToLabels());
        Assert.All(arrays, a => Assert.Equal(path, a.SourcePath));
    }

    [Fact]
    public void Npz_entry_names_keep_folders_and_drop_only_the_npy_suffix()
    {
        string path = _scratch.Write("nested.npz", Zip(CompressionLevel.Fastest, ("group/x.npy.npy", Npy.Build("<f4", "(1,)", Npy.Float32(1)))));

        Assert.Equal("group/x.npy", Assert.Single(NpzReader.Read(path)).Name);
    }

    [Fact]
    public void Npz_with_an_object_array_is_refused_with_BOPT1103_naming_the_entry()
    {
        string path = _scratch.Write("objects.npz", Zip(CompressionLevel.Optimal, Samples(), ("meta.npy", Npy.Build("|O", "(1,)", [0x80, 0x03]))));

        var error = DataAssert.Fails("BOPT1103", path, () => NpzReader.Read(path));
        Assert.Contains("array 'meta'", error.Message);
    }

    [Fact]
    public void Npz_entry_with_data_shorter_than_its_shape_is_refused_with_BOPT1102_naming_the_entry()
    {
        string path = _scratch.Write("short.npz", Zip(CompressionLevel.Optimal, ("x.npy", Npy.Build("<f4", "(1000000000,)", Npy.Float32(1, 2)))));

        long allocated = DataAssert.AllocatedBy(() =>
        {
            var error = DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
            Assert.Contains("array 'x'", error.Message);
        });

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Npz_entry_declaring_an_absurd_uncompressed_size_is_refused_before_reading()
    {
        byte[] zip = Zip(CompressionLevel.NoCompression, Samples());
        int central = zip.AsSpan().LastIndexOf("PK\x01\x02"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(central + 24), 0xF000_0000); // uncompressed size
        string path = _scratch.Write("liar.npz", zip);

        long allocated = DataAssert.AllocatedBy(() =>
        {
            var error = DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
            Assert.Contains("array 'x'", error.Message);
            Assert.Contains(0xF000_0000.ToString(), error.Message);
        });

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Npz_with_corrupt_deflate_data_is_refused_with_BOPT1102()
    {
        byte[] npy = Npy.Build("<f4", "(256,)", Npy.Float32(Enumerable.Range(0, 256).Select(i => (float)i).ToArray()));
        byte[] zip = Zip(CompressionLevel.Optimal, ("x.npy", npy));
        int dataStart = 30 + "x.npy".Length;
        for (int i = dataStart; i < dataStart + 40; i++)
        {
            zip[i] = 0xFF;
        }
        string path = _scratch.Write("corrupt.npz", zip);

        DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24 })]
    public void Npz_that_is_not_a_zip_is_refused_with_BOPT1102(byte[] bytes)
    {
        string path = _scratch.Write("not.npz", bytes);

        var error = DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
        Assert.Contains("np.savez", error.Message);
    }

    [Fact]
    public void Npz_that_is_an_npy_file_is_refused_with_BOPT1102()
    {
        string path = _scratch.Write("renamed.npz", Npy.Build("<f4", "(1,)", Npy.Float32(1)));

        DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
    }

    [Fact]
    public void Npz_with_a_non_npy_entry_is_refused_with_BOPT1102()
    {
        string path = _scratch.Write("mixed.npz", Zip(CompressionLevel.Optimal, Samples(), ("readme.txt", "hello"u8.ToArray())));

        var error = DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
        Assert.Contains("readme.txt", error.Message);
    }

    [Fact]
    public void Npz_folder_records_are_skipped()
    {
        string path = _scratch.Write("folders.npz", Zip(CompressionLevel.Optimal, ("group/", []), Samples()));

        Assert.Equal("x", Assert.Single(NpzReader.Read(path)).Name);
    }

    [Fact]
    public void Npz_without_arrays_is_refused_with_BOPT1102()
    {
        string path = _scratch.Write("empty.npz", Zip(CompressionLevel.Optimal));

        DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
    }

    [Fact]
    public void Npz_missing_file_is_refused_with_BOPT1101()
    {
        string path = Path.Combine(_scratch.Path, "absent.npz");

        DataAssert.Fails("BOPT1101", path, () => NpzReader.Read(path));
    }

    [Theory]
    [InlineData(CompressionLevel.NoCompression)]
    [InlineData(CompressionLevel.Optimal)]
    public void Npz_of_1000_by_784_float32_reads_quickly_with_one_copy_of_the_data(CompressionLevel level)
    {
        var random = new Random(1234);
        float[] values = new float[1000 * 784];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.Next(256) / 255f; // pixel-like, so deflate has something to do
        }
        string path = _scratch.Write("mnist-like.npz", Zip(level, ("x.npy", Npy.Build("<f4", "(1000, 784)", Npy.Float32(values)))));
        NpzReader.Read(path); // warm up the JIT

        var clock = Stopwatch.StartNew();
        NdArray? array = null;
        long allocated = DataAssert.AllocatedBy(() => array = Assert.Single(NpzReader.Read(path)));
        clock.Stop();

        Assert.Equal(values, array!.Data);
        Assert.True(allocated < (values.Length * sizeof(float)) + 400_000, $"allocated {allocated} bytes for {values.Length * sizeof(float)} bytes of data");
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
    }
}
