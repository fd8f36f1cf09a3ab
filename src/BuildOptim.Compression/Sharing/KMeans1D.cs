namespace BuildOptim.Compression.Sharing;

/// <summary>
/// Lloyd's k-means on a list of scalars, deterministic: centroids start evenly spaced over [min, max], each step
/// assigns every value to its nearest centroid (ties to the lower one) and moves each centroid to the mean of its
/// values, until no assignment changes or <see cref="MaxIterations"/> steps ran.
/// </summary>
/// <remarks>
/// In one dimension the clusters are runs of the sorted values split at the midpoints between neighbouring centroids,
/// so with prefix sums a step costs <c>clusters · log(n)</c>. Each step lowers (never raises) the squared error, so the
/// result is at least as good as the evenly spaced levels it starts from; starting there rather than at quantiles
/// keeps centroids on the large-magnitude tails, which matter most to a layer's output (Han et al., Deep Compression).
/// A centroid that loses all its values stays where it is (its index is then never used).
/// </remarks>
internal static class KMeans1D
{
    public const int MaxIterations = 500;

    /// <summary>Ascending centroids and, for each value, the index of its nearest centroid (ties: the lower).</summary>
    public static (float[] Centroids, byte[] Indices) Cluster(ReadOnlySpan<float> values, int clusters)
    {
        if (clusters is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(clusters), clusters, "Between 1 and 256 clusters.");
        }

        if (values.IsEmpty)
        {
            return (new float[clusters], []);
        }

        var sorted = values.ToArray();
        if (sorted.Any(v => !float.IsFinite(v)))
        {
            throw new ArgumentException("Values must be finite.", nameof(values));
        }

        Array.Sort(sorted);
        var prefix = new double[sorted.Length + 1];
        for (int i = 0; i < sorted.Length; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
        }

        double min = sorted[0], max = sorted[^1];
        var centroids = new double[clusters];
        for (int j = 0; j < clusters; j++)
        {
            centroids[j] = clusters == 1 ? min : min + ((max - min) * j / (clusters - 1));
        }

        var ends = new int[clusters];
        var previous = new int[clusters];
        Array.Fill(previous, -1);
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            for (int j = 0; j < clusters; j++)
            {
                ends[j] = j == clusters - 1 ? sorted.Length : CountAtMost(sorted, (centroids[j] + centroids[j + 1]) / 2);
            }

            if (ends.AsSpan().SequenceEqual(previous))
            {
                break;
            }

            int start = 0;
            for (int j = 0; j < clusters; j++)
            {
                if (ends[j] > start)
                {
                    centroids[j] = (prefix[ends[j]] - prefix[start]) / (ends[j] - start);
                }

                start = ends[j];
            }

            (previous, ends) = (ends, previous);
        }

        var result = Array.ConvertAll(centroids, c => (float)c);
        return (result, Assign(values, result));
    }

    /// <summary>Index of the nearest of the ascending <paramref name="centroids"/> for each value (ties: the lower).</summary>
    public static byte[] Assign(ReadOnlySpan<float> values, float[] centroids)
    {
        var midpoints = new double[centroids.Length - 1];
        for (int j = 0; j < midpoints.Length; j++)
        {
            midpoints[j] = ((double)centroids[j] + centroids[j + 1]) / 2;
        }

        var indices = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            // The number of midpoints strictly below the value: values on a midpoint go to the lower centroid.
            int lo = 0, hi = midpoints.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (midpoints[mid] < values[i])
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            indices[i] = (byte)lo;
        }

        return indices;
    }

    /// <summary>How many of the ascending <paramref name="sorted"/> values are ≤ <paramref name="threshold"/>.</summary>
    private static int CountAtMost(float[] sorted, double threshold)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= threshold)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
