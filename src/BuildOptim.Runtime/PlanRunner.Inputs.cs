namespace BuildOptim.Runtime;

/// <summary>
/// Models with several inputs and outputs, or inputs that are not float (transformers take int64 token ids and masks):
/// set each input, run, read each output. Everything here is allocation-free. Integer and boolean inputs are held as
/// float32 inside the plan, so integers must lie within ±2^24, where float32 is exact (token ids, positions and masks do).
/// </summary>
public sealed partial class PlanRunner
{
    /// <summary>The largest integer magnitude an integer input may carry: float32 holds every integer up to it exactly.</summary>
    public const long MaxExactInteger = 1L << 24;

    /// <summary>How many graph inputs the plan takes.</summary>
    public int InputCount => _plan.Inputs.Length;

    /// <summary>How many graph outputs the plan gives.</summary>
    public int OutputCount => _plan.Outputs.Length;

    /// <summary>Elements in one sample of input <paramref name="index"/>.</summary>
    public int GetInputLength(int index) => _plan.Inputs[index].Length;

    /// <summary>Elements in one sample of output <paramref name="index"/>.</summary>
    public int GetOutputLength(int index) => _plan.Outputs[index].Length;

    /// <summary>Sets input <paramref name="index"/> of the next <see cref="Execute"/>.</summary>
    public void SetInput(int index, ReadOnlySpan<float> values) => values.CopyTo(InputBuffer(index, values.Length, nameof(values)));

    /// <summary>Sets an integer input (int64 in the model); each value must lie within ±<see cref="MaxExactInteger"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value float32 cannot hold exactly.</exception>
    public void SetInput(int index, ReadOnlySpan<long> values)
    {
        var buffer = InputBuffer(index, values.Length, nameof(values));
        for (int i = 0; i < values.Length; i++)
        {
            long v = values[i];
            if (v > MaxExactInteger || v < -MaxExactInteger)
            {
                ThrowNotExact(index, i, v);
            }

            buffer[i] = v;
        }
    }

    /// <summary>Sets an integer input (int32 in the model); each value must lie within ±<see cref="MaxExactInteger"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value float32 cannot hold exactly.</exception>
    public void SetInput(int index, ReadOnlySpan<int> values)
    {
        var buffer = InputBuffer(index, values.Length, nameof(values));
        for (int i = 0; i < values.Length; i++)
        {
            int v = values[i];
            if (v > MaxExactInteger || v < -MaxExactInteger)
            {
                ThrowNotExact(index, i, v);
            }

            buffer[i] = v;
        }
    }

    /// <summary>Sets a boolean input: true is 1, false is 0.</summary>
    public void SetInput(int index, ReadOnlySpan<bool> values)
    {
        var buffer = InputBuffer(index, values.Length, nameof(values));
        for (int i = 0; i < values.Length; i++)
        {
            buffer[i] = values[i] ? 1f : 0f;
        }
    }

    /// <summary>Runs the plan on the inputs set since the last run (an input not set keeps its previous values).</summary>
    public void Execute()
    {
        CheckInputsAtCurrentLength();
        ExecuteAll();
    }

    /// <summary>Copies output <paramref name="index"/> of the last <see cref="Execute"/> into <paramref name="output"/>.</summary>
    public void GetOutput(int index, Span<float> output)
    {
        var (buffer, length) = _plan.Outputs[index];
        if (output.Length != length)
        {
            throw new ArgumentException($"Output {index} has {length} values; the span holds {output.Length}.", nameof(output));
        }

        _floats[buffer].AsSpan(0, length).CopyTo(output);
    }

    private Span<float> InputBuffer(int index, int length, string paramName)
    {
        if ((uint)index >= (uint)_plan.Inputs.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The plan has {_plan.Inputs.Length} inputs.");
        }

        FollowInputLength(index, length);

        var (buffer, expected) = _plan.Inputs[index];
        if (length != expected)
        {
            throw new ArgumentException(_basePlan.HasSequenceLength
                ? $"Input {index} takes {expected} values at sequence length {_plan.SequenceLength}; the span holds {length}, which is no length from {_basePlan.MinSequenceLength} to {_basePlan.MaxSequenceLength}."
                : $"Input {index} takes {expected} values; the span holds {length}.", paramName);
        }

        return _floats[buffer].AsSpan(0, expected);
    }

    private static void ThrowNotExact(int input, int position, long value)
        => throw new ArgumentOutOfRangeException(nameof(value), value, $"Input {input}, value {position}: {value} is beyond ±2^24, which the plan's float32 cannot hold exactly.");
}
