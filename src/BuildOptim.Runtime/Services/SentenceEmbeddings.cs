namespace BuildOptim.Runtime;

/// <summary>
/// A sentence embedding from a text encoder's token states, without allocating: the mean of the states of the tokens the
/// attention mask keeps, optionally scaled to unit length (then a dot product is the cosine similarity). What the generated
/// embedding generators call.
/// </summary>
public static class SentenceEmbeddings
{
    /// <summary>
    /// Writes the mean of the rows of <paramref name="tokenStates"/> (row-major, one row of <paramref name="embedding"/>'s
    /// length per token) whose <paramref name="attentionMask"/> value is not 0; all rows when the mask is empty.
    /// </summary>
    /// <returns>The number of tokens averaged (0 leaves <paramref name="embedding"/> all zero).</returns>
    /// <exception cref="ArgumentException">The lengths do not fit together.</exception>
    public static int MeanPool(ReadOnlySpan<float> tokenStates, ReadOnlySpan<long> attentionMask, Span<float> embedding)
    {
        int dimensions = embedding.Length;
        if (dimensions == 0 || tokenStates.Length % dimensions != 0)
        {
            throw new ArgumentException($"Token states of {tokenStates.Length} values are not whole rows of {dimensions}.", nameof(tokenStates));
        }

        int tokens = tokenStates.Length / dimensions;
        if (!attentionMask.IsEmpty && attentionMask.Length != tokens)
        {
            throw new ArgumentException($"Expected an attention mask of {tokens} values (one per token), got {attentionMask.Length}.", nameof(attentionMask));
        }

        embedding.Clear();
        int kept = 0;
        for (int t = 0; t < tokens; t++)
        {
            if (!attentionMask.IsEmpty && attentionMask[t] == 0)
            {
                continue;
            }

            ReadOnlySpan<float> row = tokenStates.Slice(t * dimensions, dimensions);
            for (int d = 0; d < dimensions; d++)
            {
                embedding[d] += row[d];
            }

            kept++;
        }

        if (kept > 1)
        {
            float scale = 1f / kept;
            for (int d = 0; d < dimensions; d++)
            {
                embedding[d] *= scale;
            }
        }

        return kept;
    }

    /// <summary>Scales <paramref name="vector"/> to unit length (L2); a zero vector stays zero.</summary>
    public static void Normalize(Span<float> vector)
    {
        double squares = 0;
        foreach (float value in vector)
        {
            squares += (double)value * value;
        }

        if (squares > 0)
        {
            float scale = (float)(1 / Math.Sqrt(squares));
            for (int d = 0; d < vector.Length; d++)
            {
                vector[d] *= scale;
            }
        }
    }
}
