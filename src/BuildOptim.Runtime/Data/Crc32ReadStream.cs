namespace BuildOptim.Runtime.Data;

/// <summary>
/// A read-only pass-through that computes the zip CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of
/// the bytes read. <see cref="System.IO.Compression.ZipArchiveEntry"/> stops an entry at its recorded
/// size without checking the CRC, so a member whose deflate data goes on past what its records declare,
/// or a stored member with a flipped bit, is only caught by comparing this with the recorded CRC.
/// </summary>
internal sealed class Crc32ReadStream(Stream inner) : Stream
{
    private static readonly uint[] s_table = BuildTable();

    private uint _crc = 0xFFFF_FFFF;

    /// <summary>The CRC-32 of every byte read so far.</summary>
    public uint Crc32 => ~_crc;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int got = inner.Read(buffer);
        uint crc = _crc;
        foreach (byte b in buffer[..got])
        {
            crc = s_table[(byte)(crc ^ b)] ^ (crc >> 8);
        }
        _crc = crc;
        return got;
    }

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

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }
}
