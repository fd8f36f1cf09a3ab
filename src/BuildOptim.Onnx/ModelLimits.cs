namespace BuildOptim.Onnx;

/// <summary>
/// Bounds on sizes read from a model file. A model is hostile until checked: every dimension and
/// element count taken from it (initializer dims, folded shapes, the shape of every computed value)
/// is checked here before anything is allocated from it.
/// </summary>
public static class ModelLimits
{
    /// <summary>
    /// The most elements one tensor may hold: an initializer, a folded constant or a computed value
    /// (1 GB of float32). The same budget bounds the constant data one lowering creates beyond twice
    /// the model's own (<c>LoweringContext.Charge</c>).
    /// </summary>
    public const int MaxTensorElements = int.MaxValue / 8;

    /// <summary>The most dimensions one tensor may have (ONNX sets no limit; real models stay under ten).</summary>
    public const int MaxRank = 64;

    /// <summary>
    /// The element count of a tensor of <paramref name="dims"/>, checked: every dimension non-negative
    /// (BOPT1002), at most <see cref="MaxRank"/> of them and the product of the non-zero ones at most
    /// <see cref="MaxTensorElements"/> (BOPT1004). Never overflows.
    /// </summary>
    /// <param name="subject">Names the tensor or node in the message, e.g. <c>Tensor 'w' in 'model.onnx'</c>.</param>
    public static int ElementCount(ReadOnlySpan<long> dims, string path, string subject)
    {
        if (dims.Length > MaxRank)
        {
            throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path, $"{subject} has {dims.Length} dimensions; BuildOptim accepts at most {MaxRank}.");
        }

        if (dims.IndexOfAnyInRange(long.MinValue, -1) >= 0)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"{subject} has a negative dimension in [{Format(dims)}].");
        }

        bool empty = false;
        long count = 1;
        foreach (long d in dims)
        {
            // An empty tensor's other dims are bounded too, so no partial product of its shape overflows.
            // Both factors are at most MaxTensorElements here, so the product fits a long.
            empty |= d == 0;
            if (d > MaxTensorElements || (count *= Math.Max(d, 1)) > MaxTensorElements)
            {
                throw TooLarge(path, subject, dims);
            }
        }

        return empty ? 0 : (int)count;
    }

    /// <inheritdoc cref="ElementCount(ReadOnlySpan{long}, string, string)"/>
    public static int ElementCount(ReadOnlySpan<int> dims, string path, string subject)
    {
        Span<long> wide = dims.Length <= MaxRank ? stackalloc long[dims.Length] : new long[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            wide[i] = dims[i];
        }

        return ElementCount(wide, path, subject);
    }

    /// <summary>Checked dims as <see cref="int"/>s (see <see cref="ElementCount(ReadOnlySpan{long}, string, string)"/>).</summary>
    public static int[] Dims(ReadOnlySpan<long> dims, string path, string subject)
    {
        ElementCount(dims, path, subject);
        var result = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            result[i] = (int)dims[i];
        }

        return result;
    }

    private static OnnxModelException TooLarge(string path, string subject, ReadOnlySpan<long> dims)
        => new(OnnxDiagnostics.UnsupportedModel, path, $"{subject} is too large: shape [{Format(dims)}] holds more than the {MaxTensorElements} elements BuildOptim accepts in one tensor.");

    private static string Format(ReadOnlySpan<long> dims) => string.Join(",", dims.ToArray());
}
