using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Planning;

/// <summary>Serializes a plan in <see cref="PlanFormat"/>. Output depends only on the calls made (deterministic).</summary>
public sealed class PlanWriter
{
    private readonly List<(BufferKind Kind, int Length)> _buffers = [];
    private readonly List<OpRecord> _ops = [];
    private readonly MemoryStream _data = new();
    private readonly List<(long Placeholder, int Length)> _sections = [];

    public int AddBuffer(BufferKind kind, int length)
    {
        _buffers.Add((kind, length));
        return _buffers.Count - 1;
    }

    public void GrowBuffer(int buffer, int length)
    {
        var b = _buffers[buffer];
        _buffers[buffer] = (b.Kind, Math.Max(b.Length, length));
    }

    public BufferKind KindOf(int buffer) => _buffers[buffer].Kind;

    /// <summary>Appends a data section; returns its offset relative to the data area (fixed up on write).</summary>
    public long AddData<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        long offset = _data.Length;
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Plans are written on little-endian machines.");
        }

        _data.Write(bytes);
        Pad(_data, PlanFormat.DataAlignment);
        return offset;
    }

    public void AddOp(OpRecord op) => _ops.Add(op);

    public int OpCount => _ops.Count;

    public byte[] ToArray(int inputBuffer, int outputBuffer, int inputLength, int outputLength)
    {
        int bufferTable = PlanFormat.HeaderSize;
        int opTable = bufferTable + _buffers.Count * PlanFormat.BufferRecordSize;
        long dataStart = Align(opTable + (long)_ops.Count * PlanFormat.OpRecordSize, PlanFormat.DataAlignment);
        var plan = new byte[dataStart + _data.Length];
        var span = plan.AsSpan();
        PlanFormat.Magic.CopyTo(span);
        Write(span, 8, PlanFormat.Version);
        Write(span, 12, _ops.Count);
        Write(span, 16, _buffers.Count);
        Write(span, 20, inputLength);
        Write(span, 24, outputLength);
        Write(span, 28, inputBuffer);
        Write(span, 32, outputBuffer);
        Write(span, 36, opTable);
        Write(span, 40, bufferTable);
        for (int i = 0; i < _buffers.Count; i++)
        {
            Write(span, bufferTable + i * PlanFormat.BufferRecordSize, (int)_buffers[i].Kind);
            Write(span, bufferTable + i * PlanFormat.BufferRecordSize + 4, _buffers[i].Length);
        }

        for (int i = 0; i < _ops.Count; i++)
        {
            var op = _ops[i];
            int at = opTable + i * PlanFormat.OpRecordSize;
            int[] ints = [(int)op.Kind, op.Input0, op.Input1, op.Output, op.P0, op.P1, op.P2, op.P3, op.P4, op.P5];
            for (int j = 0; j < ints.Length; j++)
            {
                Write(span, at + j * 4, ints[j]);
            }

            long[] offsets = [op.D0, op.D1, op.D2, op.D3, op.D4, op.D5];
            for (int j = 0; j < offsets.Length; j++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(span.Slice(at + 40 + j * 8, 8), offsets[j] < 0 ? -1 : offsets[j] + dataStart);
            }
        }

        _data.GetBuffer().AsSpan(0, (int)_data.Length).CopyTo(span[(int)dataStart..]);
        return plan;
    }

    private static void Write(Span<byte> span, int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at, 4), value);

    private static long Align(long value, int alignment) => (value + alignment - 1) / alignment * alignment;

    private static void Pad(MemoryStream stream, int alignment)
    {
        long padded = Align(stream.Length, alignment);
        while (stream.Length < padded)
        {
            stream.WriteByte(0);
        }
    }
}
