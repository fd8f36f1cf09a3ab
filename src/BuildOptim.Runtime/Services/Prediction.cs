namespace BuildOptim.Runtime;

/// <summary>One class of a classifier's prediction: its index, its name (when the model has <c>ClassNames</c>) and its probability.</summary>
/// <param name="ClassIndex">The class: an index into the model's output.</param>
/// <param name="Label">The class's name from the <c>ClassNames</c> file, or null when the model has none.</param>
/// <param name="Score">The class's probability (softmax of the model's output, or the output itself when the model ends in a Softmax).</param>
public readonly record struct Prediction(int ClassIndex, string? Label, float Score);

/// <summary>What a classifier's output holds, which decides how it becomes probabilities.</summary>
public enum ClassScoreKind
{
    /// <summary>Unnormalized scores: probabilities are their softmax.</summary>
    Logits,

    /// <summary>The model ends in a Softmax: the output is the probabilities.</summary>
    Probabilities,

    /// <summary>The model ends in a LogSoftmax: probabilities are the output's exponentials.</summary>
    LogProbabilities,
}

/// <summary>
/// A classifier's output turned into probabilities and ranked, without allocating: what the generated <c>PredictWithScore</c>,
/// <c>PredictTopK</c> and <c>PredictProbabilities</c> call.
/// </summary>
public static class ClassScores
{
    /// <summary>Writes the probability of every class: softmax of logits (max subtracted first), exp of log-probabilities, or a copy.</summary>
    /// <exception cref="ArgumentException"><paramref name="probabilities"/> is not as long as <paramref name="outputs"/>.</exception>
    public static void Probabilities(ReadOnlySpan<float> outputs, ClassScoreKind kind, Span<float> probabilities)
    {
        if (probabilities.Length != outputs.Length)
        {
            throw new ArgumentException($"Expected {outputs.Length} probabilities (one per class), got {probabilities.Length}.", nameof(probabilities));
        }

        if (kind == ClassScoreKind.Probabilities)
        {
            outputs.CopyTo(probabilities);
            return;
        }

        float max = kind == ClassScoreKind.Logits ? Max(outputs) : 0f;
        double sum = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            float e = MathF.Exp(outputs[i] - max);
            probabilities[i] = e;
            sum += e;
        }

        if (kind == ClassScoreKind.Logits)
        {
            float scale = (float)(1 / sum);
            for (int i = 0; i < probabilities.Length; i++)
            {
                probabilities[i] *= scale;
            }
        }
    }

    /// <summary>The most probable class (the first on ties) and its probability.</summary>
    /// <param name="outputs">The model's output for one sample, one value per class.</param>
    /// <param name="kind">What the output holds.</param>
    /// <param name="labels">The class names (empty: <see cref="Prediction.Label"/> is null).</param>
    public static Prediction Top(ReadOnlySpan<float> outputs, ClassScoreKind kind, ReadOnlySpan<string> labels)
    {
        Prediction top = default;
        TopK(outputs, kind, labels, new Span<Prediction>(ref top));
        return top;
    }

    /// <summary>
    /// Fills <paramref name="top"/> with the most probable classes, most probable first (on ties, the lower index first),
    /// and returns how many it wrote: the smaller of its length and the number of classes.
    /// </summary>
    /// <param name="outputs">The model's output for one sample, one value per class.</param>
    /// <param name="kind">What the output holds.</param>
    /// <param name="labels">The class names (empty: every <see cref="Prediction.Label"/> is null).</param>
    /// <param name="top">Receives the classes; its length is k.</param>
    public static int TopK(ReadOnlySpan<float> outputs, ClassScoreKind kind, ReadOnlySpan<string> labels, Span<Prediction> top)
    {
        if (outputs.IsEmpty)
        {
            throw new ArgumentException("A classifier has at least one class.", nameof(outputs));
        }

        if (!labels.IsEmpty && labels.Length != outputs.Length)
        {
            throw new ArgumentException($"Expected {outputs.Length} labels (one per class), got {labels.Length}.", nameof(labels));
        }

        // Rank by the raw output (every kind is monotonic in it): insertion into the k best, kept sorted.
        int k = Math.Min(top.Length, outputs.Length);
        int count = 0;
        for (int i = 0; i < outputs.Length && k > 0; i++)
        {
            float value = outputs[i];
            if (count == k && !(value > top[k - 1].Score))
            {
                continue;
            }

            int at = count < k ? count++ : k - 1;
            while (at > 0 && value > top[at - 1].Score)
            {
                top[at] = top[at - 1];
                at--;
            }

            top[at] = new Prediction(i, null, value);
        }

        // Then the probabilities, from the same normalizer as Probabilities.
        float max = kind == ClassScoreKind.Logits ? Max(outputs) : 0f;
        double sum = 0;
        if (kind == ClassScoreKind.Logits)
        {
            foreach (float value in outputs)
            {
                sum += MathF.Exp(value - max);
            }
        }

        float scale = (float)(1 / sum);
        for (int j = 0; j < count; j++)
        {
            int index = top[j].ClassIndex;
            float score = kind switch
            {
                ClassScoreKind.Probabilities => outputs[index],
                ClassScoreKind.LogProbabilities => MathF.Exp(outputs[index]),
                _ => MathF.Exp(outputs[index] - max) * scale,
            };
            top[j] = new Prediction(index, labels.IsEmpty ? null : labels[index], score);
        }

        return count;
    }

    private static float Max(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float value in values)
        {
            max = Math.Max(max, value);
        }

        return max;
    }
}
