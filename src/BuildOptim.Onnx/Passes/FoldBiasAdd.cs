using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// Folds <c>Add</c>/<c>Sub</c> of a per-output-channel constant after a Dense (MatMul + Add, as
/// Keras and hand-written PyTorch export) or a Conv into that layer's bias.
/// </summary>
public static class FoldBiasAdd
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
                if (layer is not BinaryLayer { Kind: BinaryKind.Add or BinaryKind.Sub, Activation: null } add)
                {
                    continue;
                }

                for (int side = 0; side < 2; side++)
                {
                    int data = add.Inputs[side], constant = add.Inputs[1 - side];
                    if (add.Kind == BinaryKind.Sub && side == 1)
                    {
                        continue; // const - x is not a bias
                    }

                    if (consumers[data] != 1 || producers[constant] is not ConstantLayer k || network.Value(add.Output).Shape.SequenceEqual(network.Value(data).Shape) is false)
                    {
                        continue;
                    }

                    float sign = add.Kind == BinaryKind.Sub ? -1 : 1;
                    var kShape = network.Value(constant).Shape;
                    Layer? merged = producers[data] switch
                    {
                        DenseLayer d when d.Activation is null && PerChannel(kShape, d.N, channelAxisFromEnd: 1, network.Value(data).Shape.Length) is { } perN
                            => d with { Output = add.Output, Bias = d.Bias.Select((b, i) => b + sign * k.Data[perN(i)]).ToArray() },
                        ConvLayer cv when cv.Activation is null && PerChannel(kShape, cv.M, channelAxisFromEnd: network.Value(data).Shape.Length - 1, network.Value(data).Shape.Length) is { } perM
                            => cv with { Output = add.Output, Bias = cv.Bias.Select((b, i) => b + sign * k.Data[perM(i)]).ToArray() },
                        _ => null,
                    };
                    if (merged is not null)
                    {
                        network = network.With(GraphPasses.Merge(network.Layers, producers[data]!, add, merged));
                        changed = true;
                        break;
                    }
                }

                if (changed)
                {
                    break;
                }
            }
        }

        return network;
    }

    /// <summary>
    /// When a constant of <paramref name="shape"/> broadcasts over a tensor of rank <paramref name="rank"/>
    /// varying only along the channel axis (counted from the end), returns channel → index; else null.
    /// </summary>
    private static Func<int, int>? PerChannel(int[] shape, int channels, int channelAxisFromEnd, int rank)
    {
        if (shape.Length > rank)
        {
            return null;
        }

        int count = shape.Aggregate(1, (p, d) => p * d);
        if (count == 1)
        {
            return _ => 0;
        }

        for (int i = 0; i < shape.Length; i++)
        {
            int fromEnd = shape.Length - i;
            if (fromEnd == channelAxisFromEnd ? shape[i] != channels : shape[i] != 1)
            {
                return null;
            }
        }

        return c => c;
    }
}
