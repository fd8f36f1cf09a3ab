using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;

namespace BuildOptim.Runtime;

/// <summary>
/// A compressed plan mapped in memory: the op list, the buffer table and the constant data
/// (weights, biases, requantization constants), read in place.
/// </summary>
/// <remarks>
/// The plan memory is never copied into managed arrays: for an embedded resource it is the
/// assembly image itself, which lives as long as the process.
/// </remarks>
public sealed unsafe class ModelPlan
{
    private readonly byte* _base;
    private readonly long _length;
    private readonly object? _owner; // keeps a pinned array or stream alive
    private readonly PlanOp[] _ops;
    private readonly (BufferKind Kind, int Length)[] _buffers;
    private readonly (int Buffer, int Length)[] _inputs;
    private readonly (int Buffer, int Length)[] _outputs;

    /// <summary>Wraps plan bytes that stay valid and immovable for the lifetime of the process (or of <paramref name="owner"/>).</summary>
    public ModelPlan(byte* data, long length, object? owner = null)
    {
        _base = data;
        _length = length;
        _owner = owner;
        var span = new ReadOnlySpan<byte>(data, checked((int)Math.Min(length, int.MaxValue)));
        if (length < PlanFormat.HeaderSize || !span[..8].SequenceEqual(PlanFormat.Magic))
        {
            throw new InvalidDataException("Not a BuildOptim plan (bad magic).");
        }

        int version = ReadInt(span, 8);
        if (version != PlanFormat.Version)
        {
            throw new InvalidDataException($"Plan format version {version} is not supported by this runtime (expects {PlanFormat.Version}); rebuild the project with the matching BuildOptim package.");
        }

        int opCount = ReadInt(span, 12);
        int bufferCount = ReadInt(span, 16);
        int inputCount = ReadInt(span, 20);
        int outputCount = ReadInt(span, 24);
        int ioTable = ReadInt(span, 28);
        int bufferTable = ReadInt(span, 32);
        int opTable = ReadInt(span, 36);

        _inputs = new (int, int)[inputCount];
        _outputs = new (int, int)[outputCount];
        for (int i = 0; i < inputCount + outputCount; i++)
        {
            int at = ioTable + i * PlanFormat.IoRecordSize;
            var record = (ReadInt(span, at), ReadInt(span, at + 4));
            if (i < inputCount)
            {
                _inputs[i] = record;
            }
            else
            {
                _outputs[i - inputCount] = record;
            }
        }

        _buffers = new (BufferKind, int)[bufferCount];
        for (int i = 0; i < bufferCount; i++)
        {
            int at = bufferTable + i * PlanFormat.BufferRecordSize;
            _buffers[i] = ((BufferKind)ReadInt(span, at), ReadInt(span, at + 4));
        }

        _ops = new PlanOp[opCount];
        int cursor = opTable;
        for (int i = 0; i < opCount; i++)
        {
            var kind = (OpKind)ReadInt(span, cursor);
            int nIn = ReadInt(span, cursor + 4), nOut = ReadInt(span, cursor + 8), nParams = ReadInt(span, cursor + 12), nData = ReadInt(span, cursor + 16);
            cursor += 20;
            var inputs = ReadInts(span, ref cursor, nIn);
            var outputs = ReadInts(span, ref cursor, nOut);
            var parameters = ReadInts(span, ref cursor, nParams);
            cursor = (cursor + 7) & ~7;
            var offsets = new long[nData];
            for (int j = 0; j < nData; j++)
            {
                offsets[j] = ReadLong(span, cursor);
                cursor += 8;
            }

            foreach (int b in inputs.Concat(outputs))
            {
                if ((uint)b >= (uint)bufferCount)
                {
                    throw new InvalidDataException($"Op {i} ({kind}) references buffer {b} of {bufferCount}.");
                }
            }

            _ops[i] = new PlanOp(kind, inputs, outputs, parameters, offsets);
        }

        foreach (var (buffer, count) in _inputs.Concat(_outputs))
        {
            if ((uint)buffer >= (uint)bufferCount || _buffers[buffer].Kind != BufferKind.Float32 || count > _buffers[buffer].Length)
            {
                throw new InvalidDataException("Plan input/output buffers are invalid.");
            }
        }

        if (_outputs.Length == 0)
        {
            throw new InvalidDataException("A plan needs at least one output.");
        }

        long inputLength = 0, outputLength = 0;
        foreach (var (_, count) in _inputs)
        {
            inputLength += count;
        }

        foreach (var (_, count) in _outputs)
        {
            outputLength += count;
        }

        if (inputLength > int.MaxValue || outputLength > int.MaxValue)
        {
            throw new InvalidDataException("Plan inputs or outputs are too large.");
        }

        (InputLength, OutputLength) = ((int)inputLength, (int)outputLength);
    }

    /// <summary>Floats per sample in the model inputs: the one input's, or all of them packed one after the other in graph order.</summary>
    public int InputLength { get; private set; }

    /// <summary>Floats per sample in the model outputs: the one output's, or all of them packed one after the other.</summary>
    public int OutputLength { get; private set; }

    internal ReadOnlySpan<(int Buffer, int Length)> Inputs => _inputs;

    internal ReadOnlySpan<(int Buffer, int Length)> Outputs => _outputs;

    internal ReadOnlySpan<PlanOp> Ops => _ops;

    internal ReadOnlySpan<(BufferKind Kind, int Length)> Buffers => _buffers;

    /// <summary>Total plan size in bytes.</summary>
    public long SizeInBytes => _length;

    /// <summary>Number of ops in the plan.</summary>
    public int OpCount => _ops.Length;

    /// <summary>A typed view of a data section.</summary>
    internal ReadOnlySpan<T> Data<T>(long offset, int count)
        where T : unmanaged
    {
        long bytes = (long)count * sizeof(T);
        if (offset < 0 || offset + bytes > _length)
        {
            throw new InvalidDataException($"Plan data section [{offset}, {offset + bytes}) lies outside the plan ({_length} bytes).");
        }

        return new ReadOnlySpan<T>(_base + offset, count);
    }

    /// <summary>
    /// A data section checked once to lie inside the plan: executors keep it and read it on every call without a check.
    /// </summary>
    internal PlanSection<T> Section<T>(long offset, long count)
        where T : unmanaged
    {
        if (count < 0 || count > int.MaxValue)
        {
            throw new InvalidDataException($"Plan data section of {count} elements at {offset} is invalid.");
        }

        var span = Data<T>(offset, (int)count);
        return new PlanSection<T>((T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)), (int)count);
    }

    /// <summary>Loads a plan embedded as a manifest resource, read in place from the mapped assembly.</summary>
    public static ModelPlan FromManifestResource(Assembly assembly, string resourceName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Resource '{resourceName}' is not embedded in {assembly.GetName().Name}. Rebuild the project so BuildOptim can embed the compressed model.");
        if (stream is UnmanagedMemoryStream unmanaged)
        {
            return new ModelPlan(unmanaged.PositionPointer, unmanaged.Length, unmanaged);
        }

        using (stream)
        {
            var copy = new byte[stream.Length];
            stream.ReadExactly(copy);
            return FromBytes(copy);
        }
    }

    /// <summary>Loads a plan from bytes (copied once into pinned memory).</summary>
    public static ModelPlan FromBytes(ReadOnlySpan<byte> bytes)
    {
        var pinned = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(pinned);
        return new ModelPlan((byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned)), pinned.Length, pinned);
    }

    /// <summary>Loads a plan file.</summary>
    public static ModelPlan FromFile(string path) => FromBytes(File.ReadAllBytes(path));

    private static int[] ReadInts(ReadOnlySpan<byte> span, ref int cursor, int count)
    {
        var values = new int[count];
        for (int j = 0; j < count; j++)
        {
            values[j] = ReadInt(span, cursor);
            cursor += 4;
        }

        return values;
    }

    private static int ReadInt(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadInt32LittleEndian(span.Slice(at, 4));

    private static long ReadLong(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadInt64LittleEndian(span.Slice(at, 8));
}

/// <summary>
/// A typed data section of a <see cref="ModelPlan"/>, bounds-checked when it was taken (<see cref="ModelPlan.Section{T}"/>).
/// Valid while the plan is: a runner holds its plan.
/// </summary>
internal readonly unsafe struct PlanSection<T>
    where T : unmanaged
{
    private readonly T* _start;

    internal PlanSection(T* start, int length)
    {
        _start = start;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<T> Span => new(_start, Length);
}
