using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// Folds a BatchNormalization (<see cref="ChannelAffineLayer"/>) into the Conv or Dense before it:
/// <c>W'[m] = W[m] · Scale[m]</c>, <c>b'[m] = b[m] · Scale[m] + Shift[m]</c>.
/// </summary>
public static class FoldBatchNorm
{
    public static Network Run(Network network)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            var consumers = network.ConsumerCounts();
            var producers = GraphPasses.Producers(network);
            foreach (var layer in network.Layers)
            {
                if (layer is not ChannelAffineLayer bn || consumers[bn.Inputs[0]] != 1)
                {
                    continue;
                }

                Layer? merged = producers[bn.Inputs[0]] switch
                {
                    ConvLayer conv when conv.Activation is null && conv.M == bn.Scale.Length => conv with
                    {
                        Output = bn.Output,
                        Weights = ScaleRows(conv.Weights, bn.Scale),
                        Bias = conv.Bias.Select((b, m) => b * bn.Scale[m] + bn.Shift[m]).ToArray(),
                    },
                    DenseLayer dense when dense.Activation is null && dense.N == bn.Scale.Length && network.Value(dense.Output).Shape.Length == 2 => dense with
                    {
                        Output = bn.Output,
                        Weights = ScaleRows(dense.Weights, bn.Scale),
                        Bias = dense.Bias.Select((b, m) => b * bn.Scale[m] + bn.Shift[m]).ToArray(),
                    },
                    _ => null,
                };
                if (merged is not null)
                {
                    network = network.With(GraphPasses.Merge(network.Layers, producers[bn.Inputs[0]]!, bn, merged));
                    changed = true;
                    break;
                }
            }
        }

        return network;
    }

    private static float[] ScaleRows(float[] weights, float[] scale)
    {
        int rowLength = weights.Length / scale.Length;
        var result = new float[weights.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            result[i] = weights[i] * scale[i / rowLength];
        }

        return result;
    }
}
