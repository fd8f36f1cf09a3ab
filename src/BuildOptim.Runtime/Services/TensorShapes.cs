namespace BuildOptim.Runtime;

/// <summary>
/// Checks a tensor's dimensions against a model's per-sample shape: what the generated tensor-span overloads call, so that
/// shapes travel with the data and a wrong one is a clear exception rather than a run on misread values.
/// </summary>
public static class TensorShapes
{
    /// <summary>
    /// The batch size <paramref name="lengths"/> describes: 1 for the sample shape itself or for [1, sample…]; n for
    /// [n, sample…] when the model takes a batch.
    /// </summary>
    /// <param name="lengths">The tensor's dimensions.</param>
    /// <param name="sampleShape">The model's shape of one sample (the batch dimension excluded).</param>
    /// <param name="dynamicBatch">Whether the model takes any batch size.</param>
    /// <param name="paramName">The parameter, for the exception.</param>
    /// <exception cref="ArgumentException">The dimensions are not those of the model's sample, or of a batch of them.</exception>
    public static int BatchSize(ReadOnlySpan<nint> lengths, ReadOnlySpan<int> sampleShape, bool dynamicBatch, string paramName)
    {
        if (SameDims(lengths, sampleShape))
        {
            return 1;
        }

        if (lengths.Length == sampleShape.Length + 1 && SameDims(lengths[1..], sampleShape)
            && (lengths[0] == 1 || (dynamicBatch && lengths[0] >= 0 && lengths[0] <= int.MaxValue)))
        {
            return (int)lengths[0];
        }

        string sample = Format(sampleShape);
        string expected = dynamicBatch
            ? $"[{sample}] or [batch, {sample}]"
            : $"[{sample}] or [1, {sample}]";
        throw new ArgumentException($"Expected a tensor of shape {expected}, got [{Format(lengths)}].", paramName);
    }

    /// <summary>Throws unless the tensor's elements are contiguous in row-major order (<c>IsDense</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="isDense"/> is false.</exception>
    public static void RequireDense(bool isDense, string paramName)
    {
        if (!isDense)
        {
            throw new ArgumentException("Expected a dense tensor (contiguous, row-major); copy a strided or broadcast tensor first.", paramName);
        }
    }

    private static bool SameDims(ReadOnlySpan<nint> lengths, ReadOnlySpan<int> shape)
    {
        if (lengths.Length != shape.Length)
        {
            return false;
        }

        for (int i = 0; i < shape.Length; i++)
        {
            if (lengths[i] != shape[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string Format(ReadOnlySpan<nint> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            parts[i] = dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return string.Join(", ", parts);
    }

    private static string Format(ReadOnlySpan<int> dims)
    {
        var parts = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            parts[i] = dims[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return string.Join(", ", parts);
    }
}
