namespace BuildOptim.Compression.Training;

/// <summary>
/// One value of the network during training: <see cref="Length"/> floats per sample, for each sample of the batch when
/// <see cref="Batched"/> (anything computed from the input), once otherwise (a constant). <see cref="Grad"/> is null
/// where no gradient is needed (the input, constants).
/// </summary>
internal sealed class Slot
{
    public Slot(int[] shape, bool batched, int maxBatch, float[]? constant = null, bool needsGradient = true)
    {
        Shape = shape;
        Length = shape.Aggregate(1, (p, d) => checked(p * d));
        Batched = batched;
        Data = constant ?? new float[checked((batched ? maxBatch : 1) * Length)];
        Grad = batched && needsGradient ? new float[Data.Length] : null;
    }

    /// <summary>The value's shape with the batch dimension bound to 1, as the network lowered it.</summary>
    public int[] Shape { get; }

    public int Length { get; }

    public bool Batched { get; }

    public float[] Data { get; }

    public float[]? Grad { get; }

    /// <summary>The values of sample <paramref name="s"/> (of the only copy of a constant).</summary>
    public Span<float> Sample(int s) => Data.AsSpan(Batched ? s * Length : 0, Length);

    public Span<float> GradSample(int s) => Grad.AsSpan(s * Length, Length);

    /// <summary>The values of the first <paramref name="batch"/> samples.</summary>
    public Span<float> Rows(int batch) => Data.AsSpan(0, (Batched ? batch : 1) * Length);

    public Span<float> GradRows(int batch) => Grad.AsSpan(0, batch * Length);
}

/// <summary>
/// The training form of one layer of the IR: <see cref="Forward"/> computes its output for the first <c>batch</c>
/// samples; <see cref="Backward"/> adds the gradient of its inputs (and of its parameters) from its output's gradient.
/// Gradients are added, never assigned, since a value may feed several layers.
/// </summary>
internal abstract class TrainingLayer(string name)
{
    public string Name { get; } = name;

    public virtual IEnumerable<Parameter> Parameters => [];

    public abstract void Forward(int batch);

    public abstract void Backward(int batch);
}
