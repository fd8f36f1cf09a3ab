namespace BuildOptim.Onnx.Ir;

/// <summary>Softmax/LogSoftmax over the middle dim of [Outer, AxisSize, Inner].</summary>
public sealed record SoftmaxLayer : Layer
{
    public required int Outer { get; init; }

    public required int AxisSize { get; init; }

    public required int Inner { get; init; }

    public required bool Log { get; init; }
}

public sealed record LrnLayer : Layer
{
    public required int Size { get; init; }

    public required float Alpha { get; init; }

    public required float Beta { get; init; }

    public required float Bias { get; init; }
}

/// <summary><c>y = x · Scale[c] + Shift[c]</c> along dim 1 (an unfolded BatchNormalization).</summary>
public sealed record ChannelAffineLayer : Layer
{
    public required float[] Scale { get; init; }

    public required float[] Shift { get; init; }
}

/// <summary>
/// ONNX LayerNormalization (its Y): each row of the trailing axes from <see cref="Axis"/> normalized,
/// <c>y = (x − mean) / √(var + Epsilon) · Scale + Bias</c>, with mean and (biased) variance over the row.
/// </summary>
public sealed record LayerNormLayer : Layer
{
    /// <summary>The first normalized axis, non-negative.</summary>
    public required int Axis { get; init; }

    public required float Epsilon { get; init; }

    /// <summary>One value per element of a row (the normalized shape).</summary>
    public required float[] Scale { get; init; }

    /// <summary>One value per element of a row, or null for none.</summary>
    public float[]? Bias { get; init; }

    /// <summary>
    /// <paramref name="data"/> of shape <paramref name="dims"/> broadcast (numpy rules) to the normalized shape, one value per
    /// element of a row; null when it does not broadcast to exactly that shape.
    /// </summary>
    public static float[]? ToRow(float[] data, int[] dims, int[] normalized)
    {
        int leading = 0;
        while (dims.Length - leading > normalized.Length && dims[leading] == 1)
        {
            leading++;
        }

        dims = dims[leading..];
        if (dims.Length > normalized.Length)
        {
            return null;
        }

        var padded = Enumerable.Repeat(1, normalized.Length - dims.Length).Concat(dims).ToArray();
        if (padded.Where((d, i) => d != 1 && d != normalized[i]).Any())
        {
            return null;
        }

        int count = normalized.Aggregate(1, (p, d) => p * d);
        var row = new float[count];
        var index = new int[normalized.Length];
        for (int at = 0; at < count; at++)
        {
            int source = 0;
            for (int d = 0; d < normalized.Length; d++)
            {
                source = (source * padded[d]) + (padded[d] == 1 ? 0 : index[d]);
            }

            row[at] = data[source];
            for (int d = normalized.Length - 1; d >= 0 && ++index[d] == normalized[d]; d--)
            {
                index[d] = 0;
            }
        }

        return row;
    }
}
