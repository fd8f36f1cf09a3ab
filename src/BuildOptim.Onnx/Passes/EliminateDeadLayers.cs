using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>Removes layers whose outputs no graph output depends on.</summary>
public static class EliminateDeadLayers
{
    public static Network Run(Network network)
    {
        var live = new HashSet<int>(network.Outputs);
        var kept = new List<Layer>();
        for (int i = network.Layers.Count - 1; i >= 0; i--)
        {
            var layer = network.Layers[i];
            if (!live.Contains(layer.Output))
            {
                continue;
            }

            kept.Add(layer);
            foreach (int input in layer.Inputs)
            {
                live.Add(input);
            }
        }

        kept.Reverse();
        return kept.Count == network.Layers.Count ? network : network.With(kept);
    }
}
