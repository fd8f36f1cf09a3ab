using BuildOptim.Runtime;

namespace BuildOptim.Compression.Evaluation;

/// <summary>Top-1 accuracy of both models (when labels exist) and their top-1 agreement.</summary>
public sealed record Metrics(int SampleCount, double? OriginalAccuracy, double? CompressedAccuracy, double Agreement, double MaxAbsError, double MeanCosine, double MinCosine)
{
    /// <summary>Accuracy drop in percentage points (null without labels).</summary>
    public double? AccuracyDropPoints => OriginalAccuracy is { } o && CompressedAccuracy is { } c ? (o - c) * 100 : null;

    public static Metrics Compute(float[] reference, float[] compressed, int outputLength, int[]? labels)
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
            count == 0 ? 1 : cosineMin);
    }
}
