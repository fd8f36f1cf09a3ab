using System.Buffers.Binary;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// Builds plan bytes by hand, following <see cref="PlanFormat"/>, so tests of the generated code do not
/// depend on the compressor. Buffers, data sections and ops are added in order; <see cref="Build"/> lays
/// them out (header, buffer table, op table, 64-byte aligned data) and patches the data offsets.
/// </summary>
internal sealed class PlanBytes
{
    private readonly List<(BufferKind Kind, int Length)> _buffers = [];
    private readonly List<byte[]> _data = [];
    private readonly List<(OpKind Kind, int Input0, int Input1, int Output, int[] Parameters, int[] DataSections)> _ops = [];

    /// <summary>A plan with one <see cref="OpKind.FullyConnectedF32"/> op: <c>y = act(bias + W·x)</c>, W [N,K] row-major.</summary>
    public static byte[] FullyConnectedF32(float[] weights, float[] bias, int k, int n, Activation activation = Activation.None)
    {
        if (weights.Length != n * k || bias.Length != n)
        {
            throw new ArgumentException($"Expected {n * k} weights and {n} biases.");
        }

        var plan = new PlanBytes();
        int input = plan.AddBuffer(BufferKind.Float32, k);
        int output = plan.AddBuffer(BufferKind.Float32, n);
        plan.AddOp(OpKind.FullyConnectedF32, input, 0, output, [k, n, (int)activation], [plan.AddData(weights), plan.AddData(bias)]);
        return plan.Build(input, output);
    }

    /// <returns>The buffer index.</returns>
    public int AddBuffer(BufferKind kind, int length)
    {
        _buffers.Add((kind, length));
        return _buffers.Count - 1;
    }

    /// <returns>A data-section handle for <see cref="AddOp"/>.</returns>
    public int AddData(byte[] bytes)
    {
        _data.Add(bytes);
        return _data.Count - 1;
    }

    public int AddData(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return AddData(bytes);
    }

    /// <param name="parameters">P0.. (at most <see cref="PlanFormat.MaxParams"/>).</param>
    /// <param name="dataSections">Handles from <see cref="AddData(byte[])"/> stored as D0.. (at most <see cref="PlanFormat.MaxData"/>).</param>
    public void AddOp(OpKind kind, int input0, int input1, int output, int[] parameters, int[] dataSections)
    {
        if (parameters.Length > PlanFormat.MaxParams || dataSections.Length > PlanFormat.MaxData)
        {
            throw new ArgumentException("Too many op parameters or data sections.");
        }

        _ops.Add((kind, input0, input1, output, parameters, dataSections));
    }

    public byte[] Build(int inputBuffer, int outputBuffer)
    {
        int bufferTable = PlanFormat.HeaderSize;
        int opTable = Align(bufferTable + _buffers.Count * PlanFormat.BufferRecordSize);
        int end = Align(opTable + _ops.Count * PlanFormat.OpRecordSize);
        var dataOffsets = new long[_data.Count];
        for (int i = 0; i < _data.Count; i++)
        {
            dataOffsets[i] = end;
            end = Align(end + _data[i].Length);
        }

        var plan = new byte[end];
        var span = plan.AsSpan();
        PlanFormat.Magic.CopyTo(span);
        WriteInt(span, 8, PlanFormat.Version);
        WriteInt(span, 12, _ops.Count);
        WriteInt(span, 16, _buffers.Count);
        WriteInt(span, 20, _buffers[inputBuffer].Length);
        WriteInt(span, 24, _buffers[outputBuffer].Length);
        WriteInt(span, 28, inputBuffer);
        WriteInt(span, 32, outputBuffer);
        WriteInt(span, 36, opTable);
        WriteInt(span, 40, bufferTable);

        for (int i = 0; i < _buffers.Count; i++)
        {
            int at = bufferTable + i * PlanFormat.BufferRecordSize;
            WriteInt(span, at, (int)_buffers[i].Kind);
            WriteInt(span, at + 4, _buffers[i].Length);
        }

        for (int i = 0; i < _ops.Count; i++)
        {
            var op = _ops[i];
            int at = opTable + i * PlanFormat.OpRecordSize;
            WriteInt(span, at, (int)op.Kind);
            WriteInt(span, at + 4, op.Input0);
            WriteInt(span, at + 8, op.Input1);
            WriteInt(span, at + 12, op.Output);
            for (int p = 0; p < op.Parameters.Length; p++)
            {
                WriteInt(span, at + 16 + p * 4, op.Parameters[p]);
            }

            for (int d = 0; d < op.DataSections.Length; d++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(span.Slice(at + 40 + d * 8), dataOffsets[op.DataSections[d]]);
            }
        }

        for (int i = 0; i < _data.Count; i++)
        {
            _data[i].CopyTo(span.Slice((int)dataOffsets[i]));
        }

        return plan;
    }

    private static int Align(int offset) => (offset + PlanFormat.DataAlignment - 1) / PlanFormat.DataAlignment * PlanFormat.DataAlignment;

    private static void WriteInt(Span<byte> span, int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(span.Slice(at), value);
}
