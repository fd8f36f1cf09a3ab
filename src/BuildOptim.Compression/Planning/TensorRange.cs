namespace BuildOptim.Compression.Planning;

/// <summary>Observed [Min, Max] of one tensor over the calibration set.</summary>
public readonly record struct TensorRange(float Min, float Max)
{
    public static TensorRange Empty => new(float.PositiveInfinity, float.NegativeInfinity);

    public TensorRange Include(ReadOnlySpan<float> values)
    {
        float min = Min, max = Max;
        foreach (float v in values)
        {
            if (v < min)
            {
                min = v;
            }

            if (v > max)
            {
                max = v;
            }
        }

        return new TensorRange(min, max);
    }

    public QuantParams ToQuantParams() => QuantParams.FromRange(Min, Max);
}
