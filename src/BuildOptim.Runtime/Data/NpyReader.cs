using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace BuildOptim.Runtime.Data;

/// <summary>
/// Reads numpy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0, see <c>numpy.lib.format</c>)
/// as float32 <see cref="NdArray"/>s. Never unpickles: object arrays are refused.
/// </summary>
/// <remarks>
/// Every size in the header is checked against the bytes actually present before anything is
/// allocated, so a corrupt or hostile file fails fast with BOPT1102 instead of exhausting memory.
/// </remarks>
public static class NpyReader
{
    /// <summary>The header-length cap numpy applies to untrusted files (<c>max_header_size</c>).</summary>
    public const int MaxHeaderLength = 10_000;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Bytes converted per step for non-float32 data: the staging buffer stays small.</summary>
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Elements allocated up front when the stream length is unknown; grown as data arrives.</summary>
    private const int UnknownLengthInitialElements = 64 * 1024;

    /// <summary>Reads the .npy file at <paramref name="path"/>; the array is named after the file stem.</summary>
    /// <exception cref="DataFormatException">BOPT1101, 1102, 1103 or 1104.</exception>
    public static NdArray Read(string path)
    {
        using FileStream stream = DataFile.OpenRead(path);
        return Read(stream, Path.GetFileNameWithoutExtension(path), DataSource.File(path), stream.Length);
    }

    /// <summary>
    /// Reads one .npy array from the current position of <paramref name="stream"/>. When the stream
    /// can seek, its remaining length bounds what the header may declare; otherwise memory grows only
    /// as data actually arrives.
    /// </summary>
    /// <param name="stream">Positioned at the magic string.</param>
    /// <param name="name">The array name.</param>
    /// <param name="displayPath">The file named in error messages.</param>
    /// <exception cref="DataFormatException">BOPT1102, 1103 or 1104.</exception>
    public static NdArray Read(Stream stream, string name, string displayPath)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(displayPath);
        long? available = stream.CanSeek ? stream.Length - stream.Position : null;
        return Read(stream, name, DataSource.File(displayPath), available);
    }

    /// <summary>Reads one array; <paramref name="availableBytes"/>, when known, bounds what the header may declare.</summary>
    internal static NdArray Read(Stream stream, string name, DataSource source, long? availableBytes)
    {
        NpyHeader header = ReadHeader(stream, source, out int prefixLength);
        long? dataBytes = availableBytes - prefixLength;
        float[] data = ReadData(stream, header, dataBytes, source);
        return new NdArray(name, header.Kind, header.Shape, data, source.FilePath);
    }

    /// <summary>Reads the preamble and header dict; <paramref name="prefixLength"/> is the byte count read (magic to header end).</summary>
    internal static NpyHeader ReadHeader(Stream stream, DataSource source, out int prefixLength)
    {
        Span<byte> preamble = stackalloc byte[12];
        int got = stream.ReadAtLeast(preamble[..10], 10, throwOnEndOfStream: false);
        if (got < 8 || !preamble.StartsWith(Magic))
        {
            string hint = preamble[..got].StartsWith("PK"u8)
                ? " It is a zip archive: name it .npz."
                : " Save arrays with np.save.";
            throw source.Error(DataErrorCodes.Malformed, $"not an .npy file (it does not start with the numpy magic \\x93NUMPY).{hint}");
        }

        byte major = preamble[6];
        byte minor = preamble[7];
        int lengthFieldSize = (major, minor) switch
        {
            (1, 0) => 2,
            (2, 0) or (3, 0) => 4,
            _ => throw source.Error(DataErrorCodes.Malformed,
                $"npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are); re-save the array with a current numpy."),
        };
        if (got < 8 + lengthFieldSize && stream.ReadAtLeast(preamble[got..(8 + lengthFieldSize)], 8 + lengthFieldSize - got, throwOnEndOfStream: false) < 8 + lengthFieldSize - got)
        {
            throw source.Error(DataErrorCodes.Malformed, "the .npy file is truncated inside its preamble.");
        }

        long headerLength = lengthFieldSize == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(preamble[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
        if (headerLength > MaxHeaderLength)
        {
            throw source.Error(DataErrorCodes.Malformed,
                $"the .npy header claims {headerLength} bytes, above the {MaxHeaderLength}-byte limit numpy applies to untrusted files; the file is corrupt.");
        }

        byte[] headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw source.Error(DataErrorCodes.Malformed, $"the .npy file is truncated inside its {headerLength}-byte header.");
        }

        string text;
        try
        {
            // 1.0 and 2.0 headers are latin-1; 3.0 allows utf-8 (for record field names).
            text = major == 3
                ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(headerBytes)
                : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw source.Error(DataErrorCodes.Malformed, "the .npy 3.0 header is not valid UTF-8; the file is corrupt.");
        }

        prefixLength = 8 + lengthFieldSize + (int)headerLength;
        return NpyHeader.Parse(text, source);
    }

    /// <summary>
    /// Reads exactly the data <paramref name="header"/> declares and converts it to float32. When
    /// <paramref name="availableBytes"/> is known it bounds the declared size and the result is allocated once.
    /// </summary>
    internal static float[] ReadData(Stream stream, NpyHeader header, long? availableBytes, DataSource source)
    {
        int count = header.ElementCount;
        int elementSize = header.ElementSize;
        long neededBytes = (long)count * elementSize;
        if (availableBytes < neededBytes)
        {
            throw source.Error(DataErrorCodes.Malformed,
                $"the header declares shape {NdArray.FormatShape(header.Shape)} of {ElementKinds.NumpyName(header.Kind)} ({neededBytes} bytes) but only {Math.Max(0, availableBytes.GetValueOrDefault())} bytes follow it; the file is truncated or corrupt.");
        }

        bool swap = header.LittleEndian != BitConverter.IsLittleEndian && elementSize > 1;
        float[] data = new float[availableBytes.HasValue ? count : Math.Min(count, UnknownLengthInitialElements)];
        int done = 0;

        if (header.Kind == ElementKind.Float32)
        {
            // Read straight into the result: no staging copy for the common case.
            while (done < count)
            {
                EnsureCapacity(ref data, done + 1, count);
                Span<float> destination = data.AsSpan(done);
                Span<byte> bytes = MemoryMarshal.AsBytes(destination);
                int got = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
                if (got < bytes.Length)
                {
                    throw Truncated(source, neededBytes, ((long)done * elementSize) + got);
                }
                if (swap)
                {
                    Span<uint> bits = MemoryMarshal.Cast<float, uint>(destination);
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
                done += destination.Length;
            }
            return data;
        }

        byte[] staging = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int elementsPerChunk = ChunkBytes / elementSize;
            while (done < count)
            {
                int n = Math.Min(elementsPerChunk, count - done);
                EnsureCapacity(ref data, done + n, count);
                Span<byte> raw = staging.AsSpan(0, n * elementSize);
                int got = stream.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
                if (got < raw.Length)
                {
                    throw Truncated(source, neededBytes, ((long)done * elementSize) + got);
                }
                ElementConverter.ToSingle(header.Kind, swap, raw, data.AsSpan(done, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
        return data;
    }

    /// <summary>Doubles <paramref name="data"/> (up to <paramref name="count"/>) until it holds <paramref name="required"/> elements.</summary>
    private static void EnsureCapacity(ref float[] data, int required, int count)
    {
        if (data.Length >= required)
        {
            return;
        }
        long grown = Math.Max(required, Math.Min((long)data.Length * 2, count));
        Array.Resize(ref data, (int)grown);
    }

    private static DataFormatException Truncated(DataSource source, long neededBytes, long gotBytes) =>
        source.Error(DataErrorCodes.Malformed,
            $"the array data is truncated: the header declares {neededBytes} bytes but only {gotBytes} follow it; the file is incomplete or corrupt.");
}
