using BuildOptim.Onnx.Lowering;

namespace BuildOptim.Compression.Pruning;

/// <summary>Unstructured magnitude pruning: in each dense layer the fraction <c>sparsity</c> of weights with the smallest |w| become 0.</summary>
public static class MagnitudePruning
{
    /// <remarks>Ties are broken by position (lower index pruned first), so the result is deterministic.</remarks>
    public static LayerModel Apply(LayerModel model, double sparsity)
    {
        if (sparsity <= 0)
        {
            return model;
        }

        var layers = model.Layers.Select(layer => layer is DenseLayer dense ? dense with { Weights = Prune(dense.Weights, sparsity) } : layer).ToList();
        return new LayerModel
        {
            SourcePath = model.SourcePath,
            InputName = model.InputName,
            InputShape = model.InputShape,
            OutputName = model.OutputName,
            OutputShape = model.OutputShape,
            DynamicBatch = model.DynamicBatch,
            Layers = layers,
        };
    }

    public static float[] Prune(float[] weights, double sparsity)
    {
        int count = (int)Math.Floor(weights.Length * sparsity);
        var pruned = (float[])weights.Clone();
        var chosen = Enumerable.Range(0, weights.Length)
            .OrderBy(i => Math.Abs(weights[i]))
            .ThenBy(i => i)
            .Take(count);
        foreach (int i in chosen)
        {
            pruned[i] = 0;
        }

        return pruned;
    }
}
