using System.Diagnostics;
using System.IO.Compression;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>Decompression bombs and lying zip records: refused from the npy headers, before the data is inflated or allocated.</summary>
public sealed class NpzHostileTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Npz_bomb_of_400_MB_zeros_in_a_few_hundred_KB_is_refused_with_BOPT1108_before_inflating()
    {
        string path = Path.Combine(_scratch.Path, "bomb.npz");
        HostileData.WriteZeroBomb(path, ("x", 100_000_000));
        Assert.InRange(new FileInfo(path).Length, 100_000, 1_000_000);

        var clock = Stopwatch.StartNew();
        long allocated = DataAssert.AllocatedBy(() =>
        {
            var error = DataAssert.Fails("BOPT1108", path, () => NpzReader.Read(path));
            Assert.Contains("array 'x'", error.Message);
            Assert.Contains("(100000000,)", error.Message);
        });

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
        Assert.True(clock.ElapsedMilliseconds < 2000, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Npz_members_within_the_floor_one_by_one_are_refused_when_their_total_exceeds_it()
    {
        // 2 x 160 MiB of float32: each under the 256 MiB floor, together over it; 100 x the archive is far less.
        string path = Path.Combine(_scratch.Path, "two.npz");
        HostileData.WriteZeroBomb(path, ("a", 40L << 20), ("b", 40L << 20));

        long allocated = DataAssert.AllocatedBy(() =>
        {
            var error = DataAssert.Fails("BOPT1108", path, () => NpzReader.Read(path));
            Assert.Contains("array 'b'", error.Message);
        });

        Assert.True(allocated < 200_000_000, $"allocated {allocated} bytes"); // the first member, 160 MiB, is read
    }

    [Fact]
    public void Npz_member_inflating_past_its_npy_header_is_refused_with_BOPT1102_after_the_declared_bytes()
    {
        // The header says 4 floats; the member goes on for 32 MB, and the zip records say so too.
        string path = Path.Combine(_scratch.Path, "liar.npz");
        using (var file = File.Create(path))
        using (var archive = new ZipArchive(file, ZipArchiveMode.Create))
        using (Stream entry = archive.CreateEntry("x.npy", CompressionLevel.Optimal).Open())
        {
            entry.Write(Npy.Build("<f4", "(4,)", []));
            entry.Write(new byte[32 << 20]);
        }

        long allocated = DataAssert.AllocatedBy(() => DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path)));

        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Npz_member_whose_zip_records_understate_what_it_inflates_to_is_refused_with_BOPT1102()
    {
        byte[] npy = Npy.Build("<f4", "(4,)", Npy.Float32(1, 2, 3, 4));
        byte[] zip = HostileData.Zip(CompressionLevel.Optimal, ("x.npy", [.. npy, .. new byte[1 << 20]]));
        HostileData.SetRecordedUncompressedSizes(zip, (uint)npy.Length);
        string path = _scratch.Write("understated.npz", zip);

        DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
    }

    [Fact]
    public void Npz_whose_zip_records_disagree_with_the_npy_header_is_refused_with_BOPT1102()
    {
        byte[] npy = Npy.Build("<f4", "(4,)", Npy.Float32(1, 2, 3, 4));
        byte[] zip = HostileData.Zip(CompressionLevel.NoCompression, ("x.npy", npy));
        HostileData.SetRecordedUncompressedSizes(zip, (uint)npy.Length + 4);
        string path = _scratch.Write("overstated.npz", zip);

        DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
    }

    [Fact]
    public void Npz_budget_is_the_floor_or_a_hundred_times_the_archive()
    {
        Assert.Equal(256L << 20, NpzReader.DecodedBudgetBytes(0));
        Assert.Equal(256L << 20, NpzReader.DecodedBudgetBytes(1 << 20));
        Assert.Equal(100L << 30, NpzReader.DecodedBudgetBytes(1L << 30));
    }

    [Fact]
    public void Npz_whose_end_record_miscounts_the_entries_is_refused_with_BOPT1102()
    {
        // Found by the data fuzzer: ZipArchive reads the central directory on first use of Entries, after the constructor.
        byte[] zip = HostileData.Zip(CompressionLevel.Optimal, ("x.npy", Npy.Build("<f4", "(2,)", Npy.Float32(1, 2))));
        int end = zip.Length - 22; // the end-of-central-directory record, no comment
        Assert.Equal(0x06054B50u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(end)));
        zip[end + 8] = zip[end + 10] = 3;
        string path = _scratch.Write("miscounted.npz", zip);

        var error = DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
        Assert.Contains("not a valid .npz", error.Message);
    }

    [Fact]
    public void Npz_entry_name_with_a_line_break_is_refused_with_BOPT1102_in_one_line()
    {
        // Found by the data fuzzer: the name went into the message verbatim and split it over two lines.
        string path = _scratch.Write("names.npz", HostileData.Zip(CompressionLevel.Optimal, ("x\n.npy", Npy.Build("<f4", "(2,)", Npy.Float32(1, 2)))));

        var error = DataAssert.Fails("BOPT1102", path, () => NpzReader.Read(path));
        Assert.Contains("array 'x\\x0A'", error.Message);
    }
}
