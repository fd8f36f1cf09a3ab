using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>The pass pipeline every lowered network goes through, in order.</summary>
public static class GraphPasses
{
    public static Network Run(Network network)
    {
        network = FuseLayerNorm.Run(network);
        network = FuseGelu.Run(network);
        network = FuseHardSwish.Run(network);
        network = FoldBatchNorm.Run(network);
        network = FoldBiasAdd.Run(network);
        network = FuseActivation.Run(network);
        network = EliminateDeadLayers.Run(network);
        return network;
    }

    /// <summary>The layer producing each value (null for graph inputs).</summary>
    internal static Layer?[] Producers(Network network)
    {
        var producers = new Layer?[network.Values.Count];
        foreach (var layer in network.Layers)
        {
            producers[layer.Output] = layer;
        }

        return producers;
    }

    /// <summary>
    /// Replaces <paramref name="producer"/> by <paramref name="merged"/> (which writes the consumer's
    /// output) and drops <paramref name="consumer"/>. Valid when the consumer was the producer's only reader.
    /// </summary>
    internal static List<Layer> Merge(List<Layer> layers, Layer producer, Layer consumer, Layer merged)
    {
        var result = new List<Layer>(layers.Count - 1);
        foreach (var layer in layers)
        {
            if (ReferenceEquals(layer, consumer))
            {
                result.Add(merged);
            }
            else if (!ReferenceEquals(layer, producer))
            {
                result.Add(layer);
            }
        }

        return result;
    }
}
