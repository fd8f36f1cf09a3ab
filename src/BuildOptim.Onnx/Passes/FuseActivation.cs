using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// Fuses Relu and Clip (ReLU6) into the Conv (2-D or 3-D), Dense, Add, Sub or Mul that produces their input: a clamp in the kernel
/// (on codes, the clamp of the requantized output; in float, the activation right after the op).
/// </summary>
public static class FuseActivation
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
                if (layer is not ActivationLayer act || FusedActivation.From(act) is not { } fused || consumers[act.Inputs[0]] != 1)
                {
                    continue;
                }

                Layer? merged = producers[act.Inputs[0]] switch
                {
                    ConvLayer { Activation: null } conv => conv with { Output = act.Output, Activation = fused },
                    Conv3DLayer { Activation: null } conv3D => conv3D with { Output = act.Output, Activation = fused },
                    DenseLayer { Activation: null } dense => dense with { Output = act.Output, Activation = fused },
                    BinaryLayer { Activation: null, Kind: BinaryKind.Add or BinaryKind.Sub or BinaryKind.Mul } binary => binary with { Output = act.Output, Activation = fused },
                    _ => null,
                };
                if (merged is not null)
                {
                    network = network.With(GraphPasses.Merge(network.Layers, producers[act.Inputs[0]]!, act, merged));
                    changed = true;
                    break;
                }
            }
        }

        return network;
    }
}
