using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Sharing;

namespace BuildOptim.Compression.Training;

/// <summary>How the values a layer computes with (<see cref="Parameter.Effective"/>) follow from the trained ones.</summary>
internal enum ParameterForm
{
    /// <summary>The trained values themselves (biases; weights in fp32).</summary>
    Free,

    /// <summary>
    /// Weights rounded as the int8 plan will round them (<see cref="WeightQuantizer.QuantizeRows"/>: symmetric, per
    /// output row) in the forward pass; the backward pass treats the rounding as the identity (straight-through estimator).
    /// </summary>
    FakeInt8,

    /// <summary>Weights <c>RowScales[n] · Codebook[Indices[i]]</c>: the codebook is trained, each centroid with the gradient summed over its weights.</summary>
    Shared,
}

/// <summary>
/// One trained tensor of a layer. <see cref="Values"/> is what the optimizer updates, <see cref="Effective"/> what the
/// forward pass reads (<see cref="Refresh"/>), <see cref="Gradient"/> the loss's gradient with respect to
/// <see cref="Effective"/>, summed over the batch, and <see cref="ValueGradient"/> the gradient with respect to
/// <see cref="Values"/> (<see cref="PullGradient"/>). A mask (pruned weights) holds its zeros: their gradient is
/// zeroed, so Adam never moves them.
/// </summary>
internal sealed class Parameter
{
    private readonly bool[]? _mask;
    private readonly int _rowLength;
    private readonly SharedWeights? _shared;

    private Parameter(string name, ParameterForm form, float[] values, float[] effective, bool[]? mask, int rowLength, SharedWeights? shared)
    {
        Name = name;
        Form = form;
        Values = values;
        Effective = effective;
        Gradient = new float[effective.Length];
        ValueGradient = form == ParameterForm.Free && mask is null ? Gradient : new float[values.Length];
        _mask = mask;
        _rowLength = rowLength;
        _shared = shared;
        Refresh();
    }

    public string Name { get; }

    public ParameterForm Form { get; }

    public float[] Values { get; }

    public float[] Effective { get; }

    public float[] Gradient { get; }

    public float[] ValueGradient { get; }

    /// <summary>Trained as they are; <paramref name="mask"/> (optional) keeps the weights where it is false at zero.</summary>
    public static Parameter Free(string name, float[] values, bool[]? mask = null)
    {
        var copy = (float[])values.Clone();
        return new Parameter(name, ParameterForm.Free, copy, copy, mask, 0, null);
    }

    /// <summary>Weights of <paramref name="values"/>.Length / <paramref name="rowLength"/> output rows, fake-quantized to int8 per row.</summary>
    public static Parameter FakeInt8(string name, float[] values, int rowLength, bool[]? mask = null)
        => new(name, ParameterForm.FakeInt8, (float[])values.Clone(), new float[values.Length], mask, rowLength, null);

    /// <summary>Shared weights: the codebook is trained, indices and row scales stay.</summary>
    public static Parameter Shared(string name, SharedWeights shared)
        => new(name, ParameterForm.Shared, (float[])shared.Codebook.Clone(), new float[shared.Indices.Length], null, shared.RowLength, shared);

    /// <summary>The shared weights with the trained codebook (for <see cref="ParameterForm.Shared"/>).</summary>
    public SharedWeights? TrainedShared => _shared is null ? null : _shared with { Codebook = (float[])Values.Clone() };

    /// <summary>The weights the layer ships with: the trained values, or the decoded shared weights.</summary>
    public float[] TrainedWeights() => Form == ParameterForm.Shared ? TrainedShared!.Decode() : (float[])Values.Clone();

    /// <summary>Recomputes <see cref="Effective"/> from <see cref="Values"/>.</summary>
    public void Refresh()
    {
        switch (Form)
        {
            case ParameterForm.FakeInt8:
                FakeQuantizeRows(Values, Effective, _rowLength);
                break;
            case ParameterForm.Shared:
                var shared = _shared!;
                int row = shared.RowLength;
                for (int i = 0; i < Effective.Length; i++)
                {
                    Effective[i] = (float)((double)shared.RowScales[i / row] * Values[shared.Indices[i]]);
                }

                break;
        }
    }

    /// <summary>Maps <see cref="Gradient"/> to <see cref="ValueGradient"/>: identity (straight through), masked, or summed per centroid.</summary>
    public void PullGradient()
    {
        switch (Form)
        {
            case ParameterForm.Shared:
                var shared = _shared!;
                Array.Clear(ValueGradient);
                int row = shared.RowLength;
                for (int i = 0; i < Gradient.Length; i++)
                {
                    ValueGradient[shared.Indices[i]] += Gradient[i] * shared.RowScales[i / row];
                }

                break;
            default:
                if (!ReferenceEquals(ValueGradient, Gradient))
                {
                    Gradient.AsSpan().CopyTo(ValueGradient);
                }

                if (_mask is not null)
                {
                    for (int i = 0; i < ValueGradient.Length; i++)
                    {
                        if (!_mask[i])
                        {
                            ValueGradient[i] = 0;
                        }
                    }
                }

                break;
        }
    }

    /// <summary>
    /// <c>Effective = (float)(Q · Scale[row])</c> with <c>Q</c> and <c>Scale</c> exactly as <see cref="WeightQuantizer.QuantizeRows"/>
    /// computes them (double scale, round half to even, clamp to ±127), without allocating.
    /// </summary>
    public static void FakeQuantizeRows(ReadOnlySpan<float> weights, Span<float> result, int rowLength)
    {
        for (int start = 0; start < weights.Length; start += rowLength)
        {
            var w = weights.Slice(start, rowLength);
            double maxAbs = 0;
            foreach (float v in w)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs((double)v));
            }

            double scale = maxAbs > 0 ? maxAbs / 127.0 : 1.0;
            for (int k = 0; k < rowLength; k++)
            {
                double q = Math.Clamp(Math.Round(w[k] / scale, MidpointRounding.ToEven), -127, 127);
                result[start + k] = (float)(q * scale);
            }
        }
    }
}
