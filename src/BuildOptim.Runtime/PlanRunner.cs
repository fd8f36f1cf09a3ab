
namespace BuildOptim.Runtime;

/// <summary>
/// Executes a <see cref="ModelPlan"/> one sample at a time. All scratch memory is allocated in the
/// constructor: <see cref="Run"/> allocates nothing.
/// </summary>
/// <remarks>An instance is not thread-safe; create one per thread (they share the plan).</remarks>
public sealed class PlanRunner
{
    private readonly ModelPlan _plan;
    private readonly float[]?[] _floats;
    private readonly byte[]?[] _bytes;
    private readonly int[] _accumulator;

    public PlanRunner(ModelPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        _plan = plan;
        var buffers = plan.Buffers;
        _floats = new float[]?[buffers.Length];
        _bytes = new byte[]?[buffers.Length];
        int maxAccumulator = 0;
        for (int i = 0; i < buffers.Length; i++)
        {
            switch (buffers[i].Kind)
            {
                case BufferKind.Float32:
                    _floats[i] = new float[buffers[i].Length];
                    break;
                case BufferKind.UInt8:
                    _bytes[i] = new byte[buffers[i].Length];
                    break;
                default:
                    throw new InvalidDataException($"Buffer kind {buffers[i].Kind} is not supported.");
            }
        }

        foreach (var op in plan.Ops)
        {
            if (op.Kind is OpKind.FullyConnectedU8S8ToU8 or OpKind.FullyConnectedU8S8ToF32)
            {
                maxAccumulator = Math.Max(maxAccumulator, op.P1);
            }
        }

        _accumulator = new int[maxAccumulator];
        ScratchBytes = _floats.Sum(f => (long)(f?.Length ?? 0) * sizeof(float))
            + _bytes.Sum(b => (long)(b?.Length ?? 0))
            + (long)_accumulator.Length * sizeof(int);
    }

    /// <summary>The plan this runner executes.</summary>
    public ModelPlan Plan => _plan;

    /// <summary>Floats per input sample.</summary>
    public int InputLength => _plan.InputLength;

    /// <summary>Floats per output sample.</summary>
    public int OutputLength => _plan.OutputLength;

    /// <summary>Bytes of scratch memory this runner holds (activations and accumulators).</summary>
    public long ScratchBytes { get; }

    /// <summary>Runs one sample: <paramref name="input"/> has <see cref="InputLength"/> floats, <paramref name="output"/> <see cref="OutputLength"/>.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        if (input.Length != InputLength)
        {
            throw new ArgumentException($"Expected an input of {InputLength} floats, got {input.Length}.", nameof(input));
        }

        if (output.Length != OutputLength)
        {
            throw new ArgumentException($"Expected an output of {OutputLength} floats, got {output.Length}.", nameof(output));
        }

        RunCore(input, output);
    }

    /// <summary>Runs <paramref name="batchSize"/> samples stored one after the other.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        if (input.Length != (long)InputLength * batchSize)
        {
            throw new ArgumentException($"Expected an input of {InputLength} × {batchSize} = {(long)InputLength * batchSize} floats, got {input.Length}.", nameof(input));
        }

        if (output.Length != (long)OutputLength * batchSize)
        {
            throw new ArgumentException($"Expected an output of {OutputLength} × {batchSize} = {(long)OutputLength * batchSize} floats, got {output.Length}.", nameof(output));
        }

        for (int b = 0; b < batchSize; b++)
        {
            RunCore(input.Slice(b * InputLength, InputLength), output.Slice(b * OutputLength, OutputLength));
        }
    }

    private void RunCore(ReadOnlySpan<float> input, Span<float> output)
    {
        input.CopyTo(_floats[_plan.InputBuffer].AsSpan(0, input.Length));
        foreach (ref readonly var op in _plan.Ops)
        {
            Execute(in op);
        }

        _floats[_plan.OutputBuffer].AsSpan(0, output.Length).CopyTo(output);
    }

    private void Execute(in OpRecord op)
    {
        switch (op.Kind)
        {
            case OpKind.QuantizeF32ToU8:
                Kernels.QuantizeF32ToU8(F(op.Input0, op.P0), OpRecord.AsFloat(op.P2), op.P1, B(op.Output, op.P0));
                break;
            case OpKind.DequantizeU8ToF32:
                Kernels.DequantizeU8ToF32(B(op.Input0, op.P0), OpRecord.AsFloat(op.P2), op.P1, F(op.Output, op.P0));
                break;
            case OpKind.FullyConnectedU8S8ToU8:
            {
                int k = op.P0, n = op.P1;
                var acc = _accumulator.AsSpan(0, n);
                Kernels.GemvU8S8S32(B(op.Input0, k), _plan.Data<sbyte>(op.D0, n * k), _plan.Data<int>(op.D1, n), acc);
                Kernels.RequantizeS32ToU8(acc, _plan.Data<int>(op.D2, n), _plan.Data<int>(op.D3, n), op.P2, (byte)op.P3, (byte)op.P4, B(op.Output, n));
                break;
            }

            case OpKind.FullyConnectedU8S8ToF32:
            {
                int k = op.P0, n = op.P1;
                var acc = _accumulator.AsSpan(0, n);
                var y = F(op.Output, n);
                Kernels.GemvU8S8S32(B(op.Input0, k), _plan.Data<sbyte>(op.D0, n * k), _plan.Data<int>(op.D1, n), acc);
                Kernels.DequantizeS32ToF32(acc, _plan.Data<float>(op.D2, n), y);
                Kernels.ActivationF32(y, (Activation)op.P2, y);
                break;
            }

            case OpKind.FullyConnectedF32:
            {
                int k = op.P0, n = op.P1;
                Kernels.GemvF32(F(op.Input0, k), _plan.Data<float>(op.D0, n * k), _plan.Data<float>(op.D1, n), (Activation)op.P2, F(op.Output, n));
                break;
            }

            case OpKind.LookupU8:
                Kernels.LookupU8(B(op.Input0, op.P0), _plan.Data<byte>(op.D0, 256), B(op.Output, op.P0));
                break;
            case OpKind.ActivationF32:
                Kernels.ActivationF32(F(op.Input0, op.P0), (Activation)op.P1, F(op.Output, op.P0));
                break;
            case OpKind.SoftmaxF32:
                Kernels.SoftmaxF32(F(op.Input0, op.P0), op.P1, op.P2 != 0, F(op.Output, op.P0));
                break;
            case OpKind.Copy:
                if (_floats[op.Input0] is { } source)
                {
                    source.AsSpan(0, op.P0).CopyTo(F(op.Output, op.P0));
                }
                else
                {
                    B(op.Input0, op.P0).CopyTo(B(op.Output, op.P0));
                }

                break;
            default:
                throw new InvalidDataException($"Op kind {op.Kind} is not supported by this runtime.");
        }
    }

    private Span<float> F(int buffer, int length) => _floats[buffer].AsSpan(0, length);

    private Span<byte> B(int buffer, int length) => _bytes[buffer].AsSpan(0, length);
}
