using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Sharing;

/// <summary>
/// The weights of one shared layer, one row per output (Dense <c>[N, K]</c>, Conv <c>[M, C/group·KH·KW]</c>):
/// <c>Weights[n·RowLength + k] = (float)(RowScales[n] · Codebook[Indices[n·RowLength + k]])</c>.
/// </summary>
/// <param name="Codebook">The layer's cluster centroids in [-1, 1], ascending (an unused centroid may remain).</param>
/// <param name="Indices">One codebook index per weight, in the layer's weight layout.</param>
/// <param name="RowScales">Per output row, the largest |weight| of the original row (0 for an all-zero row).</param>
public sealed record SharedWeights(float[] Codebook, byte[] Indices, float[] RowScales)
{
    public int Clusters => Codebook.Length;

    public int RowLength => RowScales.Length == 0 ? 0 : Indices.Length / RowScales.Length;

    /// <summary>Weight <paramref name="i"/> as the codebook, indices and row scales define it.</summary>
    public float Weight(int i) => (float)((double)RowScales[i / RowLength] * Codebook[Indices[i]]);

    /// <summary>All the weights the codebook, indices and row scales stand for.</summary>
    public float[] Decode()
    {
        var weights = new float[Indices.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = Weight(i);
        }

        return weights;
    }
}

/// <summary>
/// <see cref="WeightSharing.Apply"/>'s result: the network with every shared weight replaced by its decoded value (so
/// fp32 evaluation and calibration see exactly the shared model), and each shared layer's codebook, indices and row
/// scales by layer name, for <c>PlanCompiler.Compile(..., sharedWeights: result.Layers)</c>.
/// </summary>
public sealed record WeightSharingResult(Network Network, IReadOnlyDictionary<string, SharedWeights> Layers);

/// <summary>
/// Weight sharing (<c>ShareWeights</c>): each Dense and Conv layer's weights take one of <c>clusters</c> values per
/// output row, a layer-wide codebook scaled by the row's largest |weight|.
/// </summary>
/// <remarks>
/// <para>
/// Each row is divided by its largest |weight|, the layer's normalized weights (in [-1, 1]) are clustered by
/// deterministic 1-D k-means (<see cref="KMeans1D"/>), and each weight becomes its row scale times its centroid.
/// Normalizing first matters: folded BatchNormalization leaves output channels whose weights differ in scale by 10× or
/// more, and one unscaled codebook collapses the small channels onto a few levels (on the FashionCnn sample, top-1
/// falls from 88 % to 62 % with 16 unscaled clusters). The row scales cost nothing in the int8 plan, which already
/// holds a scale per output row.
/// </para>
/// <para>
/// Left alone: layers with fewer than <see cref="MinWeightsPerCluster"/> · clusters weights; layers whose rows hold
/// fewer than <see cref="MinRowWeightsPerCluster"/> · clusters weights (a 3×3 stem or depthwise convolution has 9 per
/// output: each is a tiny share of the model's bytes, yet one codebook across such rows costs the most accuracy; on
/// FashionCnn with 16 clusters, sharing them too drops top-1 by 4.5 points instead of 0.7); and layers whose name is
/// not unique (the compiler finds shared layers by name). Same network and clusters, same result, bit for bit.
/// </para>
/// </remarks>
public static class WeightSharing
{
    public const int MaxClusters = 256;

    /// <summary>A layer is shared only when it has at least this many weights per cluster.</summary>
    public const int MinWeightsPerCluster = 4;

    /// <summary>A layer is shared only when each of its output rows has at least this many weights per cluster.</summary>
    public const int MinRowWeightsPerCluster = 2;

    /// <param name="clusters">Clusters per layer, 2 to <see cref="MaxClusters"/>; 0 leaves the network unchanged.</param>
    public static WeightSharingResult Apply(Network network, int clusters)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shared = new Dictionary<string, SharedWeights>(StringComparer.Ordinal);
        if (clusters == 0)
        {
            return new WeightSharingResult(network, shared);
        }

        if (clusters is < 2 or > MaxClusters)
        {
            throw new ArgumentOutOfRangeException(nameof(clusters), clusters, $"Weight sharing takes 2 to {MaxClusters} clusters per layer (0 = off).");
        }

        var ambiguous = network.Layers.GroupBy(l => l.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        float[]? Share(Layer layer, float[] weights, int rows)
        {
            if (weights.Length < MinWeightsPerCluster * clusters || rows == 0 || weights.Length / rows < MinRowWeightsPerCluster * clusters || ambiguous.Contains(layer.Name))
            {
                return null;
            }

            var result = Cluster(weights, rows, clusters);
            shared.Add(layer.Name, result);
            return result.Decode();
        }

        var layers = network.Layers.Select(layer => layer switch
        {
            DenseLayer dense when Share(dense, dense.Weights, dense.N) is { } weights => dense with { Weights = weights },
            ConvLayer conv when Share(conv, conv.Weights, conv.M) is { } weights => conv with { Weights = weights },
            _ => layer,
        }).ToList();
        return new WeightSharingResult(network.With(layers), shared);
    }

    /// <summary>Row scales, then k-means on the row-normalized weights.</summary>
    internal static SharedWeights Cluster(float[] weights, int rows, int clusters)
    {
        int rowLength = weights.Length / rows;
        var rowScales = new float[rows];
        var normalized = new float[weights.Length];
        for (int row = 0; row < rows; row++)
        {
            var w = weights.AsSpan(row * rowLength, rowLength);
            float scale = 0;
            foreach (float v in w)
            {
                scale = Math.Max(scale, Math.Abs(v));
            }

            rowScales[row] = scale;
            for (int k = 0; scale > 0 && k < rowLength; k++)
            {
                normalized[(row * rowLength) + k] = (float)(w[k] / (double)scale);
            }
        }

        var (codebook, indices) = KMeans1D.Cluster(normalized, clusters);
        return new SharedWeights(codebook, indices, rowScales);
    }
}
