using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Pruning;

/// <summary>Unstructured magnitude pruning: in each Dense and Conv layer the fraction <c>sparsity</c> of weights with the smallest |w| become 0.</summary>
public static class MagnitudePruning
{
    /// <remarks>Ties are broken by position (lower index pruned first), so the result is deterministic.</remarks>
    public static Network Apply(Network network, double sparsity)
    {
        if (sparsity <= 0)
        {
            return network;
        }

        return network.With(network.Layers.Select(layer => layer switch
        {
            DenseLayer dense => dense with { Weights = Prune(dense.Weights, sparsity) },
            ConvLayer conv => conv with { Weights = Prune(conv.Weights, sparsity) },
            _ => layer,
        }).ToList());
    }

    public static float[] Prune(float[] weights, double sparsity)
    {
        int count = (int)Math.Floor(weights.Length * sparsity);
        var order = Enumerable.Range(0, weights.Length).ToArray();
        var keys = weights.Select(w => Math.Abs(w)).ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var pruned = (float[])weights.Clone();
        for (int i = 0; i < count; i++)
        {
            pruned[order[i]] = 0;
        }

        return pruned;
    }
}
