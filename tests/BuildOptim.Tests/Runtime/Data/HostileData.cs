using System.Buffers.Binary;
using System.IO.Compression;
using BuildOptim.Compression;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>
/// Builders for hostile data files: the regression fixtures of docs/diagnostics.md's data codes and the
/// seeds of the data fuzzer. Generated in code, so no large or malicious file is checked in.
/// </summary>
internal static class HostileData
{
    /// <summary>
    /// What <c>np.savez_compressed(path, x=np.zeros(count, np.float32))</c> writes, streamed so that the
    /// array never exists in memory: each member's zeros deflate about 1000:1 (400 MB to about 390 KB).
    /// </summary>
    public static void WriteZeroBomb(string path, params (string Name, long Count)[] members)
    {
        using var file = File.Create(path);
        using var archive = new ZipArchive(file, ZipArchiveMode.Create);
        var zeros = new byte[1 << 20];
        foreach ((string name, long count) in members)
        {
            using Stream entry = archive.CreateEntry(name + ".npy", CompressionLevel.Optimal).Open();
            entry.Write(Npy.Build("<f4", $"({count},)", []));
            for (long left = count * sizeof(float); left > 0; left -= zeros.Length)
            {
                entry.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
            }
        }
    }

    /// <summary>The small MLP (10 classes) compressed into <paramref name="outputDirectory"/> with its own calibration set and <paramref name="evaluation"/>.</summary>
    public static CompressionOptions MlpOptions(string outputDirectory, string evaluation, string? labels = null) => new()
    {
        ModelPath = Models.MlpTanh,
        CalibrationPath = Models.SmallCalibration,
        EvaluationPath = evaluation,
        Labels = labels,
        OutputDirectory = outputDirectory,
    };

    /// <summary>A zip of <paramref name="entries"/> with the given compression.</summary>
    public static byte[] Zip(CompressionLevel level, params (string Name, byte[] Bytes)[] entries)
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

    /// <summary>The raw bytes of every entry of the zip at <paramref name="path"/>, in archive order.</summary>
    public static (string Name, byte[] Bytes)[] Entries(string path) => Entries(File.ReadAllBytes(path));

    /// <summary>The raw bytes of every entry of <paramref name="zip"/>, in archive order.</summary>
    public static (string Name, byte[] Bytes)[] Entries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        }).ToArray();
    }

    /// <summary>Sets the uncompressed size every local and central header of <paramref name="zip"/> records to <paramref name="size"/>.</summary>
    public static void SetRecordedUncompressedSizes(byte[] zip, uint size)
    {
        foreach ((int signatureOffset, int fieldOffset) in UncompressedSizeFields(zip))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(signatureOffset + fieldOffset), size);
        }
    }

    /// <summary>The (record start, offset of its uncompressed-size field) of every local and central file header.</summary>
    public static IEnumerable<(int Record, int Field)> UncompressedSizeFields(byte[] zip)
    {
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (signature == 0x04034B50 && i + 26 <= zip.Length)
            {
                yield return (i, 22); // local file header
            }
            else if (signature == 0x02014B50 && i + 28 <= zip.Length)
            {
                yield return (i, 24); // central directory file header
            }
        }
    }

    /// <summary>An .npy of float32 <paramref name="values"/> with shape (samples, ...sampleShape).</summary>
    public static byte[] Float32Npy(float[] values, params int[] shape) =>
        Npy.Build("<f4", shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})", Npy.Float32(values));

    /// <summary>An .npy of int64 labels.</summary>
    public static byte[] Int64Npy(params long[] values) =>
        Npy.Build("<i8", $"({values.Length},)", Npy.Encode(ElementKind.Int64, values.Select(v => (double)v).ToArray(), bigEndian: false));
}
