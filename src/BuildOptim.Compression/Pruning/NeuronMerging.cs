using BuildOptim.Compression.Evaluation;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Pruning;

/// <summary>What near-duplicate merging did to one Dense or Conv layer.</summary>
/// <param name="Name">The layer's name.</param>
/// <param name="Kind"><c>Dense</c>, <c>Conv</c> or <c>DepthwiseConv</c> (grouped convolutions included).</param>
/// <param name="Before">Neurons (Dense outputs) or output channels (Conv) before merging.</param>
/// <param name="After">The same after merging (equal to <paramref name="Before"/> when nothing merged).</param>
/// <param name="Consumer">The layer that reads these outputs (null when the layer is constrained).</param>
/// <param name="Constraint">Why the layer's outputs cannot be removed; null when they can.</param>
public sealed record NeuronMergingLayer(string Name, string Kind, int Before, int After, string? Consumer, string? Constraint)
{
    public int Merged => Before - After;
}

/// <summary>The merged network and a per-layer summary (every Dense and Conv layer, in network order).</summary>
public sealed record NeuronMergingResult(Network Network, IReadOnlyList<NeuronMergingLayer> Layers)
{
    public int MergedUnits => Layers.Sum(l => l.Merged);
}

/// <summary>
/// Near-duplicate neuron merging (<c>MergeNeurons="0.98"</c>): a neuron (Dense output) or output channel
/// (Conv) whose centred calibration activations are a positive multiple of an earlier neuron's, up to a cosine
/// similarity threshold, is removed and its outgoing weights are added, scaled, to that neuron's.
/// </summary>
/// <remarks>
/// <para><b>Which layers.</b> Exactly those <see cref="NeuronPruning"/> may prune: the same analysis decides
/// whether a layer's outputs can be removed (residual adds, concats, depthwise/grouped convolutions, values
/// read twice and graph outputs constrain them) and which consumer is updated.</para>
/// <para><b>Similarity.</b> Unit c's activation vector <c>x_c</c> is what the consumer reads of it — after the
/// fused activation and any pool, unfolded BatchNormalization or Flatten in between — over the calibration
/// samples and all spatial positions (fp32 plan, the Runtime's own kernels). Units are compared by the cosine
/// similarity of their mean-centred vectors (the Pearson correlation): with
/// <c>Cov[i, j] = mean(x_i·x_j) − mean(x_i)·mean(x_j)</c>, <c>cosine(i, j) = Cov[i, j] / sqrt(Cov[i, i]·Cov[j, j])</c>.
/// Centring matters: activations after ReLU or a global pool are non-negative, and the plain cosine of two
/// non-negative vectors is high whenever their means dominate, whether or not they vary together.</para>
/// <para><b>Greedy merge.</b> Units are visited in index order; unit j merges into the kept unit i &lt; j of
/// highest cosine (ties: lower index) when that cosine is at least the threshold, otherwise it is kept. Units
/// that are constant on the calibration set are never merged (their cosine is undefined).</para>
/// <para><b>Update.</b> <c>alpha = Cov[i, j] / Cov[i, i]</c> and <c>beta = mean(x_j) − alpha·mean(x_i)</c> minimize
/// <c>||x_j − alpha·x_i − beta||²</c> (alpha &gt; 0 because the cosine is), so the consumer's columns of j, scaled
/// by alpha, are added to those of i, <c>W_next[:, i] += alpha·W_next[:, j]</c> (every kernel tap for a Conv
/// consumer, every position after a Flatten), and the offset goes into the consumer's bias,
/// <c>b_next += W_next[:, j]·mean(x_j − alpha·x_i)</c> (per position after a Flatten; averaged over positions for
/// a Conv consumer, exact away from padded borders). Exact duplicates and positive multiples
/// (<c>x_j = alpha·x_i</c>, e.g. ReLU neurons whose incoming weights and bias are scaled copies: ReLU is
/// positively homogeneous) leave the consumer's output unchanged.</para>
/// <para>Layers are visited in network order on the network as merged so far; accumulating the statistics is
/// subsampled deterministically (every k-th sample) beyond <see cref="GramBudget"/> multiply-adds.</para>
/// </remarks>
public static class NeuronMerging
{
    /// <summary>Work budget for one layer's covariance matrix (multiply-adds); samples beyond it are subsampled.</summary>
    public const double GramBudget = 2e9;

    public static NeuronMergingResult Apply(Network network, NdArray calibration, double threshold)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(calibration);
        if (double.IsNaN(threshold) || threshold <= 0 || threshold > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The cosine threshold must be in (0, 1].");
        }

        NeuronPruning.CheckCalibration(network, calibration);
        var current = network;
        var summaries = new List<NeuronMergingLayer>();
        for (int index = 0; index < network.Layers.Count; index++)
        {
            var layer = current.Layers[index];
            if (layer is not (DenseLayer or ConvLayer))
            {
                continue;
            }

            int units = NeuronPruning.Units(layer);
            var (chain, constraint) = NeuronPruning.Analyze(current, index);
            if (chain is null)
            {
                summaries.Add(new NeuronMergingLayer(layer.Name, NeuronPruning.KindOf(layer), units, units, null, constraint));
                continue;
            }

            var consumer = current.Layers[chain.ConsumerIndex];
            var statistics = Measure(current, chain, calibration);
            var merges = Pair(statistics.Covariance, units, threshold);
            if (merges.Count > 0)
            {
                current = Merge(current, chain, statistics, merges);
            }

            summaries.Add(new NeuronMergingLayer(layer.Name, NeuronPruning.KindOf(layer), units, units - merges.Count, consumer.Name, null));
        }

        return new NeuronMergingResult(current, summaries);
    }

    /// <summary>One unit <c>Duplicate</c> merged into the kept unit <c>Into</c>, with <c>x_Duplicate ≈ Alpha·x_Into</c>.</summary>
    private readonly record struct MergePair(int Duplicate, int Into, double Alpha);

    /// <summary>
    /// The covariance matrix of the units' activations (row-major, C×C, symmetric; each unit's values over
    /// samples and positions), the per-position sums of each unit (C×P), the sample count they cover, and P
    /// (positions per unit).
    /// </summary>
    private sealed record Statistics(double[] Covariance, double[] Sums, int Samples, int Positions);

    /// <summary>Activation statistics of the consumer's input, unit by unit, over the calibration set.</summary>
    private static Statistics Measure(Network network, NeuronPruning.Chain chain, NdArray calibration)
    {
        int channels = chain.Channels;
        int inputId = network.Layers[chain.ConsumerIndex].Inputs[0];
        int length = network.Value(inputId).Length;
        int positions = length / channels;
        var layout = chain.Between.Count > 0 ? chain.Between[^1].Output : chain.ProducerLayout;

        double perSample = (double)channels * (channels + 1) / 2 * positions + length;
        int step = (int)Math.Max(1, Math.Ceiling(calibration.SampleCount * perSample / GramBudget));
        var probe = new ValueProbe(network);
        var gram = new double[channels * channels];
        var sums = new double[length];
        var x = new double[length]; // unit-major: x[c·P + p]
        int used = 0;
        for (int s = 0; s < calibration.SampleCount; s += step, used++)
        {
            probe.Run(calibration.Sample(s));
            var a = probe.Value(inputId);
            for (int c = 0; c < channels; c++)
            {
                for (int p = 0; p < positions; p++)
                {
                    x[c * positions + p] = layout == NeuronPruning.Layout.Last ? a[p * channels + c] : a[c * positions + p];
                }
            }

            for (int i = 0; i < length; i++)
            {
                sums[i] += x[i];
            }

            for (int i = 0; i < channels; i++)
            {
                var xi = x.AsSpan(i * positions, positions);
                for (int j = i; j < channels; j++)
                {
                    var xj = x.AsSpan(j * positions, positions);
                    double dot = 0;
                    for (int p = 0; p < positions; p++)
                    {
                        dot += xi[p] * xj[p];
                    }

                    gram[i * channels + j] += dot;
                }
            }
        }

        // Centre: Cov[i, j] = Gram[i, j] / n − mean_i · mean_j over the n = used · P values of each unit.
        double count = (double)used * positions;
        var means = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double total = 0;
            foreach (double v in sums.AsSpan(c * positions, positions))
            {
                total += v;
            }

            means[c] = total / count;
        }

        for (int i = 0; i < channels; i++)
        {
            for (int j = i; j < channels; j++)
            {
                double covariance = gram[i * channels + j] / count - means[i] * means[j];
                gram[i * channels + j] = covariance;
                gram[j * channels + i] = covariance;
            }
        }

        return new Statistics(gram, sums, used, positions);
    }

    /// <summary>The greedy, deterministic pairing: each unit against the kept units before it.</summary>
    private static List<MergePair> Pair(double[] covariance, int units, double threshold)
    {
        var kept = new List<int>();
        var merges = new List<MergePair>();
        for (int j = 0; j < units; j++)
        {
            double jj = covariance[j * units + j];
            int best = -1;
            double bestCosine = double.NegativeInfinity;
            foreach (int i in kept)
            {
                double ii = covariance[i * units + i];
                if (jj > 0 && ii > 0)
                {
                    double cosine = covariance[i * units + j] / Math.Sqrt(ii * jj);
                    if (cosine > bestCosine)
                    {
                        (best, bestCosine) = (i, cosine);
                    }
                }
            }

            if (best >= 0 && bestCosine >= threshold)
            {
                merges.Add(new MergePair(j, best, covariance[best * units + j] / covariance[best * units + best]));
            }
            else
            {
                kept.Add(j);
            }
        }

        return merges;
    }

    /// <summary>Adds each duplicate's scaled outgoing columns to its kept unit's, corrects the bias, removes the duplicates.</summary>
    private static Network Merge(Network network, NeuronPruning.Chain chain, Statistics statistics, List<MergePair> merges)
    {
        var consumer = network.Layers[chain.ConsumerIndex];
        var (weights, rows, rowLength) = NeuronPruning.ConsumerWeights(consumer);
        var bias = (float[])(consumer switch
        {
            DenseLayer d => d.Bias,
            ConvLayer c => c.Bias,
            _ => throw new InvalidOperationException(),
        }).Clone();
        var merged = (float[])weights.Clone();
        int group = chain.ColumnGroup, positions = statistics.Positions;

        // After a Flatten the Dense consumer's column u of a unit reads its position u; otherwise (a Conv's
        // kernel taps, a Dense over rows) the columns see every position, and the mean residual is used.
        bool perPosition = consumer is DenseLayer && group == positions;
        var residual = new double[group];
        foreach (var (j, i, alpha) in merges)
        {
            for (int p = 0; p < positions; p++)
            {
                double r = (statistics.Sums[j * positions + p] - alpha * statistics.Sums[i * positions + p]) / statistics.Samples;
                if (perPosition)
                {
                    residual[p] = r;
                }
                else
                {
                    residual[0] += r / positions;
                }
            }

            for (int r = 0; r < rows; r++)
            {
                double correction = 0;
                for (int u = 0; u < group; u++)
                {
                    float outgoing = weights[r * rowLength + j * group + u];
                    merged[r * rowLength + i * group + u] += (float)(alpha * outgoing);
                    correction += outgoing * residual[perPosition ? u : 0];
                }

                bias[r] += (float)correction;
            }

            Array.Clear(residual);
        }

        var removed = merges.Select(m => m.Duplicate).ToHashSet();
        var kept = Enumerable.Range(0, chain.Channels).Where(c => !removed.Contains(c)).ToArray();
        var keptColumns = NeuronPruning.KeptColumns(kept, group);
        var updated = (NeuronPruning.SelectColumns(merged, rows, rowLength, keptColumns), bias);
        return NeuronPruning.Rewrite(network, chain, kept, keptColumns, updated);
    }
}
