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
    private readonly OpRecord[] _ops;
    private readonly (BufferKind Kind, int Length)[] _buffers;

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
            throw new InvalidDataException($"Plan format version {version} is not supported by this runtime (expects {PlanFormat.Version}).");
        }

        int opCount = ReadInt(span, 12);
        int bufferCount = ReadInt(span, 16);
        InputLength = ReadInt(span, 20);
        OutputLength = ReadInt(span, 24);
        InputBuffer = ReadInt(span, 28);
        OutputBuffer = ReadInt(span, 32);
        int opTable = ReadInt(span, 36);
        int bufferTable = ReadInt(span, 40);

        _buffers = new (BufferKind, int)[bufferCount];
        for (int i = 0; i < bufferCount; i++)
        {
            int at = bufferTable + i * PlanFormat.BufferRecordSize;
            _buffers[i] = ((BufferKind)ReadInt(span, at), ReadInt(span, at + 4));
        }

        _ops = new OpRecord[opCount];
        for (int i = 0; i < opCount; i++)
        {
            int at = opTable + i * PlanFormat.OpRecordSize;
            var op = new OpRecord(
                (OpKind)ReadInt(span, at), ReadInt(span, at + 4), ReadInt(span, at + 8), ReadInt(span, at + 12),
                ReadInt(span, at + 16), ReadInt(span, at + 20), ReadInt(span, at + 24), ReadInt(span, at + 28), ReadInt(span, at + 32), ReadInt(span, at + 36),
                ReadLong(span, at + 40), ReadLong(span, at + 48), ReadLong(span, at + 56), ReadLong(span, at + 64), ReadLong(span, at + 72), ReadLong(span, at + 80));
            _ops[i] = op;
        }

        if ((uint)InputBuffer >= (uint)bufferCount || (uint)OutputBuffer >= (uint)bufferCount
            || _buffers[InputBuffer].Kind != BufferKind.Float32 || _buffers[OutputBuffer].Kind != BufferKind.Float32)
        {
            throw new InvalidDataException("Plan input/output buffers are invalid.");
        }

        if (InputLength > _buffers[InputBuffer].Length || OutputLength > _buffers[OutputBuffer].Length)
        {
            throw new InvalidDataException("Plan input/output lengths exceed their buffers.");
        }
    }

    /// <summary>Floats per sample in the model input.</summary>
    public int InputLength { get; }

    /// <summary>Floats per sample in the model output.</summary>
    public int OutputLength { get; }

    internal int InputBuffer { get; }

    internal int OutputBuffer { get; }

    internal ReadOnlySpan<OpRecord> Ops => _ops;

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

    private static int ReadInt(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadInt32LittleEndian(span.Slice(at, 4));

    private static long ReadLong(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadInt64LittleEndian(span.Slice(at, 8));
}
