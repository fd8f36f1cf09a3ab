using BuildOptim.Runtime;

namespace BuildOptim.Compression.Evaluation;

/// <summary>Top-1 accuracy of both models (when labels exist) and their top-1 agreement.</summary>
public sealed record Metrics(int SampleCount, double? OriginalAccuracy, double? CompressedAccuracy, double Agreement, double MaxAbsError, double MeanCosine, double MinCosine)
{
    /// <summary>
    /// For a model that is not a classifier (embeddings): the fraction of samples whose nearest neighbour among the other
    /// samples (cosine of the whole output) is the same for the compressed outputs as for the fp32 ones, over the first
    /// <see cref="MaxRetrievalSamples"/> samples; what a search app sees. Null when not measured or with fewer than 3 samples.
    /// </summary>
    public double? RetrievalAgreement { get; init; }

    /// <summary>Retrieval agreement compares every pair of samples: at most this many.</summary>
    public const int MaxRetrievalSamples = 1000;

    /// <summary>Accuracy drop in percentage points (null without labels).</summary>
    public double? AccuracyDropPoints => OriginalAccuracy is { } o && CompressedAccuracy is { } c ? (o - c) * 100 : null;

    /// <param name="retrieval">Also measure <see cref="RetrievalAgreement"/> (embedding models).</param>
    public static Metrics Compute(float[] reference, float[] compressed, int outputLength, int[]? labels, bool retrieval = false)
    {
        int count = reference.Length / outputLength;
        int agree = 0, originalCorrect = 0, compressedCorrect = 0;
        double maxAbs = 0, cosineSum = 0, cosineMin = 1;
        for (int s = 0; s < count; s++)
        {
            var r = reference.AsSpan(s * outputLength, outputLength);
            var c = compressed.AsSpan(s * outputLength, outputLength);
            int rTop = Kernels.ArgMax(r);
            int cTop = Kernels.ArgMax(c);
            agree += rTop == cTop ? 1 : 0;
            if (labels is not null)
            {
                originalCorrect += rTop == labels[s] ? 1 : 0;
                compressedCorrect += cTop == labels[s] ? 1 : 0;
            }

            double dot = 0, rr = 0, cc = 0;
            for (int j = 0; j < outputLength; j++)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs((double)r[j] - c[j]));
                dot += (double)r[j] * c[j];
                rr += (double)r[j] * r[j];
                cc += (double)c[j] * c[j];
            }

            double cosine = rr == 0 && cc == 0 ? 1 : rr == 0 || cc == 0 ? 0 : dot / Math.Sqrt(rr * cc);
            cosineSum += cosine;
            cosineMin = Math.Min(cosineMin, cosine);
        }

        double n = Math.Max(1, count);
        return new Metrics(
            count,
            labels is null ? null : originalCorrect / n,
            labels is null ? null : compressedCorrect / n,
            agree / n,
            maxAbs,
            cosineSum / n,
            count == 0 ? 1 : cosineMin)
        {
            RetrievalAgreement = retrieval && count >= 3 ? Retrieval(reference, compressed, outputLength, Math.Min(count, MaxRetrievalSamples)) : null,
        };
    }

    /// <summary>Top-1 retrieval agreement of the first <paramref name="count"/> samples (ties: the lowest index).</summary>
    private static double Retrieval(float[] reference, float[] compressed, int outputLength, int count)
    {
        int[] Nearest(float[] outputs)
        {
            var unit = new double[count][];
            for (int s = 0; s < count; s++)
            {
                var v = outputs.AsSpan(s * outputLength, outputLength);
                double norm = 0;
                foreach (float x in v)
                {
                    norm += (double)x * x;
                }

                double scale = norm > 0 ? 1 / Math.Sqrt(norm) : 0;
                unit[s] = new double[outputLength];
                for (int j = 0; j < outputLength; j++)
                {
                    unit[s][j] = v[j] * scale;
                }
            }

            var nearest = new int[count];
            var best = new double[count];
            Array.Fill(best, double.NegativeInfinity);
            for (int a = 0; a < count; a++)
            {
                for (int b = a + 1; b < count; b++)
                {
                    double dot = 0;
                    for (int j = 0; j < outputLength; j++)
                    {
                        dot += unit[a][j] * unit[b][j];
                    }

                    if (dot > best[a])
                    {
                        (best[a], nearest[a]) = (dot, b);
                    }

                    if (dot > best[b])
                    {
                        (best[b], nearest[b]) = (dot, a);
                    }
                }
            }

            return nearest;
        }

        int[] expected = Nearest(reference), actual = Nearest(compressed);
        int same = 0;
        for (int s = 0; s < count; s++)
        {
            same += expected[s] == actual[s] ? 1 : 0;
        }

        return (double)same / count;
    }
}
