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
    private readonly SequenceLengths? _sequence;

    /// <summary>Constants derived from data sections (<see cref="Ops.OpLoadContext.Prepared"/>), shared with every specialization.</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<(long Offset, int Kind, int Variant, int Rows, int Columns), object> PreparedConstants { get; } = new();

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
        if (version != PlanFormat.Version && version != PlanFormat.SequenceVersion)
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

        if (version == PlanFormat.SequenceVersion)
        {
            long tableOffset = (uint)ReadInt(span, 44), tableLength = (uint)ReadInt(span, 48);
            if (tableOffset < PlanFormat.HeaderSize || tableOffset + tableLength > length)
            {
                throw new InvalidDataException($"The plan's sequence-length table [{tableOffset}, {tableOffset + tableLength}) lies outside the plan ({length} bytes).");
            }

            _sequence = SequenceLengths.Read(span.Slice((int)tableOffset, (int)tableLength), inputCount + outputCount, bufferCount, _ops);
            SequenceLength = _sequence.MaxLength;
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

    /// <summary>The plan of <paramref name="source"/> with its lengths and parameters evaluated at sequence length <paramref name="n"/>.</summary>
    private ModelPlan(ModelPlan source, SequenceLengths sequence, int n)
    {
        _base = source._base;
        _length = source._length;
        _owner = source._owner;
        PreparedConstants = source.PreparedConstants;
        _sequence = sequence;
        SequenceLength = n;
        _buffers = [.. source._buffers];
        _inputs = [.. source._inputs];
        _outputs = [.. source._outputs];
        var parameters = new Dictionary<int, int[]>();
        foreach (var term in sequence.Terms)
        {
            int value = term.At(n) is { } v and >= int.MinValue and <= int.MaxValue
                ? (int)v
                : throw new InvalidDataException($"Sequence-length term {term.Target} {term.Index}/{term.Parameter} leaves the int range at length {n}.");
            if (term.Target != SequenceTarget.OpParameter && value < 0)
            {
                throw new InvalidDataException($"Sequence-length term {term.Target} {term.Index} is negative at length {n}.");
            }

            switch (term.Target)
            {
                case SequenceTarget.IoLength when term.Index < _inputs.Length:
                    _inputs[term.Index].Length = value;
                    break;
                case SequenceTarget.IoLength:
                    _outputs[term.Index - _inputs.Length].Length = value;
                    break;
                case SequenceTarget.BufferLength:
                    _buffers[term.Index].Length = value;
                    break;
                default:
                    if (!parameters.TryGetValue(term.Index, out int[]? p))
                    {
                        p = [.. source._ops[term.Index].P];
                        parameters.Add(term.Index, p);
                    }

                    p[term.Parameter] = value;
                    break;
            }
        }

        _ops = new PlanOp[source._ops.Length];
        for (int i = 0; i < _ops.Length; i++)
        {
            var op = source._ops[i];
            _ops[i] = parameters.TryGetValue(i, out int[]? p) ? new PlanOp(op.Kind, op.Inputs, op.Outputs, p, op.D) : op;
        }

        foreach (var (buffer, count) in _inputs.Concat(_outputs))
        {
            if (count > _buffers[buffer].Length)
            {
                throw new InvalidDataException($"At sequence length {n} an input or output is longer than its buffer.");
            }
        }

        InputLength = checked(_inputs.Sum(i => i.Length));
        OutputLength = checked(_outputs.Sum(o => o.Length));
    }

    /// <summary>
    /// Whether the inputs have a dynamic dimension besides the batch (a sequence length): the plan then runs at any length
    /// from <see cref="MinSequenceLength"/> to <see cref="MaxSequenceLength"/>, taken from the inputs' lengths.
    /// </summary>
    public bool HasSequenceLength => _sequence is not null;

    /// <summary>The shortest sequence a plan with <see cref="HasSequenceLength"/> accepts; 0 otherwise.</summary>
    public int MinSequenceLength => _sequence?.MinLength ?? 0;

    /// <summary>The longest sequence a plan with <see cref="HasSequenceLength"/> accepts; 0 otherwise.</summary>
    public int MaxSequenceLength => _sequence?.MaxLength ?? 0;

    /// <summary>The sequence length this plan's lengths and parameters are for (<see cref="MaxSequenceLength"/> until specialized); 0 without one.</summary>
    public int SequenceLength { get; }

    /// <summary>This plan for sequence length <paramref name="n"/>: lengths and op parameters evaluated, data shared.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is outside [<see cref="MinSequenceLength"/>, <see cref="MaxSequenceLength"/>].</exception>
    /// <exception cref="InvalidOperationException">The plan has no sequence length.</exception>
    public ModelPlan Specialize(int n)
    {
        var sequence = _sequence ?? throw new InvalidOperationException("This plan has no dynamic sequence length.");
        if (n < sequence.MinLength || n > sequence.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"The plan takes sequences of {sequence.MinLength} to {sequence.MaxLength}.");
        }

        return new ModelPlan(this, sequence, n);
    }

    /// <summary>Elements of input <paramref name="index"/> at sequence length <paramref name="n"/> (fixed inputs: their length); allocates nothing.</summary>
    public int GetInputLength(int index, int n) => IoLengthAt(index, n);

    /// <summary>Elements of output <paramref name="index"/> at sequence length <paramref name="n"/>; allocates nothing.</summary>
    public int GetOutputLength(int index, int n) => IoLengthAt(_inputs.Length + index, n);

    /// <summary>
    /// The sequence length at which input <paramref name="index"/> holds <paramref name="length"/> elements: false when none
    /// in range does, or when the input's length does not depend on it. Allocates nothing.
    /// </summary>
    public bool TryGetSequenceLength(int index, int length, out int n)
    {
        n = 0;
        if (_sequence is null || (uint)index >= (uint)_inputs.Length || !TryTerm(SequenceTarget.IoLength, index, out var term))
        {
            return false;
        }

        // Input lengths grow with n (a polynomial with no negative slope on the range): bisect.
        int lo = _sequence.MinLength, hi = _sequence.MaxLength;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if ((term.At(mid) ?? long.MaxValue) < length)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        n = lo;
        return term.At(lo) == length;
    }

    private int IoLengthAt(int io, int n)
    {
        int count = _inputs.Length + _outputs.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)io, (uint)count, nameof(io));
        if (_sequence is null || !TryTerm(SequenceTarget.IoLength, io, out var term))
        {
            return io < _inputs.Length ? _inputs[io].Length : _outputs[io - _inputs.Length].Length;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(n, _sequence.MinLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, _sequence.MaxLength);
        return (int)term.At(n)!.Value;
    }

    private bool TryTerm(SequenceTarget target, int index, out SequenceTerm found) => _sequence!.TryFind(target, index, out found);

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
