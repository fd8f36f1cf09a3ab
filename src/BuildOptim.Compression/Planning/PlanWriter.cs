using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning;

/// <summary>Serializes a plan in <see cref="PlanFormat"/>. Output depends only on the calls made (deterministic).</summary>
public sealed class PlanWriter
{
    private readonly List<(BufferKind Kind, int Length)> _buffers = [];
    private readonly List<PlanOp> _ops = [];
    private readonly MemoryStream _data = new();
    private readonly List<(int Buffer, int Length)> _inputs = [];
    private readonly List<(int Buffer, int Length)> _outputs = [];

    public int AddBuffer(BufferKind kind, int length)
    {
        _buffers.Add((kind, length));
        return _buffers.Count - 1;
    }

    public void AddInput(int buffer, int length) => _inputs.Add((buffer, length));

    public void AddOutput(int buffer, int length) => _outputs.Add((buffer, length));

    /// <summary>Appends a data section; returns its offset relative to the data area (fixed up on write).</summary>
    public long AddData<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Plans are written on little-endian machines.");
        }

        long offset = _data.Length;
        _data.Write(MemoryMarshal.AsBytes(values));
        while (_data.Length % PlanFormat.DataAlignment != 0)
        {
            _data.WriteByte(0);
        }

        return offset;
    }

    public void AddOp(OpKind kind, int[] inputs, int[] outputs, int[] parameters, params long[] data)
        => _ops.Add(new PlanOp(kind, inputs, outputs, parameters, data));

    /// <summary>Appends an op with its typed parameters (<see cref="IOpParameters.Encode"/>).</summary>
    internal void AddOp(IOpParameters parameters, int[] inputs, int[] outputs, params long[] data)
        => AddOp(parameters.Kind, inputs, outputs, parameters.Encode(), data);

    public int OpCount => _ops.Count;

    public byte[] ToArray()
    {
        int ioTable = PlanFormat.HeaderSize;
        int bufferTable = ioTable + (_inputs.Count + _outputs.Count) * PlanFormat.IoRecordSize;
        int opTable = bufferTable + _buffers.Count * PlanFormat.BufferRecordSize;
        var ops = new MemoryStream();
        foreach (var op in _ops)
        {
            int[] head = [(int)op.Kind, op.Inputs.Length, op.Outputs.Length, op.P.Length, op.D.Length];
            foreach (int v in head.Concat(op.Inputs).Concat(op.Outputs).Concat(op.P))
            {
                WriteInt(ops, v);
            }

            while ((opTable + ops.Length) % 8 != 0)
            {
                ops.WriteByte(0);
            }

            foreach (long d in op.D)
            {
                WriteLong(ops, d); // fixed up below
            }
        }

        long dataStart = Align(opTable + ops.Length, PlanFormat.DataAlignment);
        var plan = new byte[dataStart + _data.Length];
        var span = plan.AsSpan();
        PlanFormat.Magic.CopyTo(span);
        int[] header = [PlanFormat.Version, _ops.Count, _buffers.Count, _inputs.Count, _outputs.Count, ioTable, bufferTable, opTable, (int)ops.Length];
        for (int i = 0; i < header.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(8 + 4 * i, 4), header[i]);
        }

        int at = ioTable;
        foreach (var (buffer, length) in _inputs.Concat(_outputs))
        {
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at, 4), buffer);
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at + 4, 4), length);
            at += PlanFormat.IoRecordSize;
        }

        foreach (var (kind, length) in _buffers)
        {
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at, 4), (int)kind);
            BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at + 4, 4), length);
            at += PlanFormat.BufferRecordSize;
        }

        ops.GetBuffer().AsSpan(0, (int)ops.Length).CopyTo(span[opTable..]);

        // Fix up data offsets: relative to the data area -> absolute from the plan start.
        int cursor = opTable;
        foreach (var op in _ops)
        {
            cursor += 4 * (5 + op.Inputs.Length + op.Outputs.Length + op.P.Length);
            cursor = (cursor + 7) & ~7;
            foreach (long d in op.D)
            {
                BinaryPrimitives.WriteInt64LittleEndian(span.Slice(cursor, 8), d < 0 ? -1 : d + dataStart);
                cursor += 8;
            }
        }

        _data.GetBuffer().AsSpan(0, (int)_data.Length).CopyTo(span[(int)dataStart..]);
        return plan;
    }

    private static void WriteInt(Stream s, int v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, v);
        s.Write(b);
    }

    private static void WriteLong(Stream s, long v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        s.Write(b);
    }

    private static long Align(long value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
