using System.IO.Compression;

namespace BuildOptim.Runtime.Data;

/// <summary>
/// Reads numpy <c>.npz</c> archives, as written by <c>np.savez</c> (stored entries) and
/// <c>np.savez_compressed</c> (deflated entries). Each <c>NAME.npy</c> entry becomes an array named NAME.
/// </summary>
public static class NpzReader
{
    /// <summary>
    /// Deflate cannot expand data more than about 1032:1; an entry claiming more than this ratio
    /// over its compressed size is lying, and is refused before anything is allocated for it.
    /// </summary>
    private const long MaxExpansionRatio = 1100;

    /// <summary>Slack for tiny entries, where fixed overheads dominate the ratio.</summary>
    private const long ExpansionSlackBytes = 64 * 1024;

    /// <summary>The largest entry that can hold one array: header plus Array.MaxLength 8-byte elements.</summary>
    private static readonly long MaxEntryBytes = 12 + NpyReader.MaxHeaderLength + ((long)Array.MaxLength * 8);

    /// <summary>Reads every array of the archive, in archive order.</summary>
    /// <exception cref="DataFormatException">BOPT1101, 1102, 1103 or 1104; messages name the entry.</exception>
    public static IReadOnlyList<NdArray> Read(string path)
    {
        var file = DataSource.File(path);
        using FileStream stream = DataFile.OpenRead(path);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw file.Error(DataErrorCodes.Malformed, $"not a valid .npz (zip) archive ({ex.Message}); save arrays with np.savez or np.savez_compressed.", ex);
        }

        using (archive)
        {
            var arrays = new List<NdArray>(archive.Entries.Count);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (ZipArchiveEntry entry in archive.Entries)
            {
                if (entry.FullName.EndsWith('/') && entry.Length == 0)
                {
                    continue; // a folder record, added by some zip tools
                }
                arrays.Add(ReadEntry(entry, path, names));
            }
            if (arrays.Count == 0)
            {
                throw file.Error(DataErrorCodes.Malformed, "the .npz archive holds no arrays; save them with np.savez(path, name=array).");
            }
            return arrays;
        }
    }

    private static NdArray ReadEntry(ZipArchiveEntry entry, string path, HashSet<string> names)
    {
        if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
        {
            throw new DataSource(path, entry.FullName).Error(DataErrorCodes.Malformed,
                "the .npz entry is not an .npy array; an .npz must hold only NAME.npy entries, as np.savez writes.");
        }

        string name = entry.FullName[..^".npy".Length];
        var source = new DataSource(path, name);
        if (!names.Add(name))
        {
            throw source.Error(DataErrorCodes.Malformed, "the .npz archive holds two arrays with this name; the archive is corrupt.");
        }

        long declared = entry.Length;
        if (declared > MaxEntryBytes || declared > (entry.CompressedLength * MaxExpansionRatio) + ExpansionSlackBytes)
        {
            throw source.Error(DataErrorCodes.Malformed,
                $"the entry claims {declared} bytes uncompressed from {entry.CompressedLength} compressed, which no valid archive does; the file is corrupt.");
        }

        try
        {
            using Stream data = entry.Open();
            return NpyReader.Read(data, name, source, declared);
        }
        catch (InvalidDataException ex)
        {
            throw source.Error(DataErrorCodes.Malformed, $"the compressed data is corrupt ({ex.Message}).", ex);
        }
    }
}
