using System.IO.Compression;

namespace BuildOptim.Runtime.Data;

/// <summary>
/// Reads numpy <c>.npz</c> archives, as written by <c>np.savez</c> (stored entries) and
/// <c>np.savez_compressed</c> (deflated entries). Each <c>NAME.npy</c> entry becomes an array named NAME.
/// </summary>
public static class NpzReader
{
    /// <summary>
    /// Deflate cannot expand data more than about 1032:1; an entry (or an archive) claiming more than this
    /// ratio over its compressed size is lying, and is refused before anything is allocated for it.
    /// </summary>
    private const long MaxExpansionRatio = 1100;

    /// <summary>Slack for tiny entries, where fixed overheads dominate the ratio.</summary>
    private const long ExpansionSlackBytes = 64 * 1024;

    /// <summary>The largest entry that can hold one array: header plus Array.MaxLength 8-byte elements.</summary>
    private static readonly long MaxEntryBytes = 12 + NpyReader.MaxHeaderLength + ((long)Array.MaxLength * 8);

    /// <summary>
    /// Every archive may decode to this many bytes of float32 arrays (the form the engine holds them in),
    /// whatever its size on disk: 256 MiB.
    /// </summary>
    public const long DecodedBudgetFloorBytes = 256L * 1024 * 1024;

    /// <summary>
    /// Beyond <see cref="DecodedBudgetFloorBytes"/>, the arrays may decode to at most this many times the
    /// archive's size on disk: numeric data compresses far less, a decompression bomb about 1000:1.
    /// </summary>
    public const int DecodedBudgetRatio = 100;

    /// <summary>
    /// The decoded (float32) bytes all arrays of an archive of <paramref name="archiveBytes"/> bytes may
    /// hold together: the larger of <see cref="DecodedBudgetFloorBytes"/> and
    /// <see cref="DecodedBudgetRatio"/> times the archive size.
    /// </summary>
    public static long DecodedBudgetBytes(long archiveBytes) => Math.Max(DecodedBudgetFloorBytes, DecodedBudgetRatio * Math.Max(0, archiveBytes));

    /// <summary>Reads every array of the archive, in archive order.</summary>
    /// <remarks>
    /// Each entry's npy header is read from the inflating stream first; what it declares is checked against
    /// the zip entry's recorded size, what the archive can physically hold and <see cref="DecodedBudgetBytes"/>
    /// before the data is allocated, no entry is inflated past the bytes its header declares, and the bytes
    /// read must match the entry's CRC-32.
    /// </remarks>
    /// <exception cref="DataFormatException">BOPT1101, 1102, 1103, 1104 or 1108; messages name the entry.</exception>
    public static IReadOnlyList<NdArray> Read(string path)
    {
        var file = DataSource.File(path);
        using FileStream stream = DataFile.OpenRead(path);
        var budget = new Budget(stream.Length);
        ZipArchive? archive = null;
        IReadOnlyList<ZipArchiveEntry> entries;
        try
        {
            // The central directory is read lazily, on the first use of Entries: both can find it corrupt.
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            entries = archive.Entries;
        }
        catch (InvalidDataException ex)
        {
            archive?.Dispose();
            throw file.Error(DataErrorCodes.Malformed, $"not a valid .npz (zip) archive ({ex.Message}); save arrays with np.savez or np.savez_compressed.", ex);
        }

        using (archive)
        {
            var arrays = new List<NdArray>(entries.Count);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (ZipArchiveEntry entry in entries)
            {
                if (entry.FullName.EndsWith('/') && entry.Length == 0)
                {
                    continue; // a folder record, added by some zip tools
                }
                arrays.Add(ReadEntry(entry, path, names, budget));
            }
            if (arrays.Count == 0)
            {
                throw file.Error(DataErrorCodes.Malformed, "the .npz archive holds no arrays; save them with np.savez(path, name=array).");
            }
            return arrays;
        }
    }

    private static NdArray ReadEntry(ZipArchiveEntry entry, string path, HashSet<string> names, Budget budget)
    {
        if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
        {
            throw new DataSource(path, entry.FullName).Error(DataErrorCodes.Malformed,
                "the .npz entry is not an .npy array; an .npz must hold only NAME.npy entries, as np.savez writes.");
        }

        string name = entry.FullName[..^".npy".Length];
        var source = new DataSource(path, name);
        if (name.Any(char.IsControl))
        {
            throw source.Error(DataErrorCodes.Malformed, "the entry name holds control characters, which np.savez never writes; the archive is corrupt.");
        }
        if (!names.Add(name))
        {
            throw source.Error(DataErrorCodes.Malformed, "the .npz archive holds two arrays with this name; the archive is corrupt.");
        }

        // The recorded sizes come from the archive and are only ever used to refuse it, never as a bound.
        long recorded = entry.Length;
        if (recorded > MaxEntryBytes || recorded > (entry.CompressedLength * MaxExpansionRatio) + ExpansionSlackBytes)
        {
            throw source.Error(DataErrorCodes.Malformed,
                $"the entry claims {recorded} bytes uncompressed from {entry.CompressedLength} compressed, which no valid archive does; the file is corrupt.");
        }

        try
        {
            using var data = new Crc32ReadStream(entry.Open());
            NpyHeader header = NpyReader.ReadHeader(data, source, out int prefixLength);
            long declared = prefixLength + header.DataBytes;
            if (declared != recorded)
            {
                throw source.Error(DataErrorCodes.Malformed,
                    $"the npy header declares shape {NdArray.FormatShape(header.Shape)} of {ElementKinds.NumpyName(header.Kind)} ({declared} bytes with the header) but the zip entry records {recorded} bytes; the archive is corrupt.");
            }
            budget.Claim(header, declared, source);

            float[] values = NpyReader.ReadData(data, header, header.DataBytes, source);

            // ZipArchiveEntry ends the stream at the recorded size, equal to the declared one here, without checking the
            // CRC: a member whose deflate data goes on is caught by the CRC, and the one-byte probe keeps the bound
            // should a runtime not end the stream.
            if (data.ReadByte() >= 0)
            {
                throw source.Error(DataErrorCodes.Malformed,
                    $"the entry inflates to more than the {declared} bytes its npy header declares; the archive is corrupt.");
            }
            if (data.Crc32 != entry.Crc32)
            {
                throw source.Error(DataErrorCodes.Malformed,
                    $"the entry's {declared} bytes do not match the CRC-32 its zip records hold (the data is damaged, or the entry holds more than its npy header declares); the archive is corrupt.");
            }
            return new NdArray(name, header.Kind, header.Shape, values, path);
        }
        catch (InvalidDataException ex)
        {
            throw source.Error(DataErrorCodes.Malformed, $"the compressed data is corrupt ({ex.Message}).", ex);
        }
    }

    /// <summary>What the entries of one archive have declared so far, against what the archive may hold.</summary>
    private sealed class Budget(long archiveBytes)
    {
        private long _inflated;
        private long _decoded;

        /// <summary>Counts one entry's declared sizes; refuses them before its data is allocated or inflated.</summary>
        public void Claim(NpyHeader header, long inflatedBytes, DataSource source)
        {
            _inflated += inflatedBytes;
            if (_inflated > (archiveBytes * MaxExpansionRatio) + ExpansionSlackBytes)
            {
                throw source.Error(DataErrorCodes.Malformed,
                    $"the arrays declare {_inflated} bytes in all, more than a {archiveBytes}-byte archive can hold even at deflate's largest ratio; the file is corrupt.");
            }

            _decoded += (long)header.ElementCount * sizeof(float);
            long allowed = DecodedBudgetBytes(archiveBytes);
            if (_decoded > allowed)
            {
                throw source.Error(DataErrorCodes.SizeBudgetExceeded,
                    $"the arrays decode to {_decoded} bytes as float32 (this one is {NdArray.FormatShape(header.Shape)} of {ElementKinds.NumpyName(header.Kind)}), over the {allowed}-byte budget of a {archiveBytes}-byte .npz (the larger of {DecodedBudgetFloorBytes} and {DecodedBudgetRatio} times its size); refused as a decompression bomb. Save real data with np.savez (uncompressed) or split it.");
            }
        }
    }
}
