using System.Buffers.Binary;
using System.Text;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>A temporary folder for files a test writes, deleted when the test ends.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "buildoptim-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string fileName, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string WriteText(string fileName, string text)
    {
        string path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder must not fail a test.
        }
    }
}

/// <summary>Builds .npy bytes by hand, following numpy.lib.format, so tests control every byte.</summary>
internal static class Npy
{
    /// <summary>A well-formed file: <c>{'descr': D, 'fortran_order': F, 'shape': S, }</c>, padded to 64 bytes like numpy.</summary>
    public static byte[] Build(string descr, string shape, byte[] data, bool fortranOrder = false, byte major = 1)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': {shape}, }}";
        int preamble = major == 1 ? 10 : 12;
        int padded = (preamble + dict.Length + 1 + 63) / 64 * 64;
        string header = dict + new string(' ', padded - preamble - dict.Length - 1) + "\n";
        return WithHeader(major, 0, header, data);
    }

    /// <summary>Exactly <paramref name="header"/> after the preamble, with its true length.</summary>
    public static byte[] WithHeader(byte major, byte minor, string header, byte[] data)
    {
        byte[] text = major == 3 ? Encoding.UTF8.GetBytes(header) : Encoding.Latin1.GetBytes(header);
        return WithHeaderLengthField(major, minor, (uint)text.Length, [.. text, .. data]);
    }

    /// <summary>The magic, version and a length field claiming <paramref name="headerLength"/>, then <paramref name="rest"/>.</summary>
    public static byte[] WithHeaderLengthField(byte major, byte minor, uint headerLength, byte[] rest)
    {
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, minor };
        if (major == 1)
        {
            bytes.Add((byte)headerLength);
            bytes.Add((byte)(headerLength >> 8));
        }
        else
        {
            var field = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(field, headerLength);
            bytes.AddRange(field);
        }
        bytes.AddRange(rest);
        return [.. bytes];
    }

    public static byte[] Float32(params float[] values) => Encode(ElementKind.Float32, values.Select(v => (double)v).ToArray(), bigEndian: false);

    /// <summary>Encodes <paramref name="values"/> as <paramref name="kind"/> in the given byte order.</summary>
    public static byte[] Encode(ElementKind kind, double[] values, bool bigEndian)
    {
        int size = kind switch
        {
            ElementKind.Int8 or ElementKind.UInt8 or ElementKind.Bool => 1,
            ElementKind.Int16 or ElementKind.UInt16 or ElementKind.Float16 => 2,
            ElementKind.Int32 or ElementKind.UInt32 or ElementKind.Float32 => 4,
            _ => 8,
        };
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            Span<byte> at = bytes.AsSpan(i * size, size);
            double v = values[i];
            switch (kind)
            {
                case ElementKind.Float16: if (bigEndian) BinaryPrimitives.WriteHalfBigEndian(at, (Half)v); else BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v); break;
                case ElementKind.Float32: if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(at, (float)v); else BinaryPrimitives.WriteSingleLittleEndian(at, (float)v); break;
                case ElementKind.Float64: if (bigEndian) BinaryPrimitives.WriteDoubleBigEndian(at, v); else BinaryPrimitives.WriteDoubleLittleEndian(at, v); break;
                case ElementKind.Int8: at[0] = (byte)(sbyte)v; break;
                case ElementKind.UInt8: at[0] = (byte)v; break;
                case ElementKind.Bool: at[0] = v != 0 ? (byte)1 : (byte)0; break;
                case ElementKind.Int16: if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(at, (short)v); else BinaryPrimitives.WriteInt16LittleEndian(at, (short)v); break;
                case ElementKind.UInt16: if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)v); break;
                case ElementKind.Int32: if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(at, (int)v); else BinaryPrimitives.WriteInt32LittleEndian(at, (int)v); break;
                case ElementKind.UInt32: if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(at, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(at, (uint)v); break;
                case ElementKind.Int64: if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(at, (long)v); else BinaryPrimitives.WriteInt64LittleEndian(at, (long)v); break;
                case ElementKind.UInt64: if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(at, (ulong)v); else BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)v); break;
                default: throw new ArgumentOutOfRangeException(nameof(kind));
            }
        }
        return bytes;
    }
}

/// <summary>A read-only stream that cannot seek or report its length, like a deflate or network stream.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }
}

internal static class DataAssert
{
    /// <summary>Asserts the reader failed with <paramref name="code"/>, naming the file, in one line.</summary>
    public static DataFormatException Fails(string code, string path, Action read)
    {
        var error = Assert.Throws<DataFormatException>(read);
        Assert.Equal(code, error.Code);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain('\r', error.Message);
        return error;
    }

    /// <summary>Bytes the current thread allocated while <paramref name="action"/> ran.</summary>
    public static long AllocatedBy(Action action)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
