using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Each activation as its ONNX operator; Clip with scalar bound inputs; HardSwish (opset 14) as x · HardSigmoid(x).</summary>
internal sealed class ActivationExporter : LayerExporter<ActivationLayer>
{
    protected override void Write(ActivationLayer a, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        switch (a.Kind)
        {
            case ActivationKind.LeakyRelu:
                writer.Simple(a, "LeakyRelu", Float("alpha", a.Alpha));
                return;
            case ActivationKind.Elu:
                writer.Simple(a, "Elu", Float("alpha", a.Alpha));
                return;
            case ActivationKind.Selu:
                writer.Simple(a, "Selu", Float("alpha", a.Alpha), Float("gamma", a.Beta));
                return;
            case ActivationKind.HardSigmoid:
                writer.Simple(a, "HardSigmoid", Float("alpha", a.Alpha), Float("beta", a.Beta));
                return;
            case ActivationKind.Clip:
            {
                string x = writer.Input(a, a.Inputs[0]);
                string output = writer.Output(a.Output);
                graph.Node("Clip", a.Name, [x, writer.Scalar(a.Name + "_min", a.Alpha), writer.Scalar(a.Name + "_max", a.Beta)], output);
                writer.Written(a.Output, output);
                return;
            }

            case ActivationKind.HardSwish:
            {
                // HardSwish is opset 14: x · HardSigmoid(x) with α = 1/6, β = 1/2.
                string x = writer.Input(a, a.Inputs[0]);
                string output = writer.Output(a.Output);
                string gate = graph.Unique(a.Name + "_hard_sigmoid");
                graph.Node("HardSigmoid", a.Name + "_HardSigmoid", [x], gate, Float("alpha", 1f / 6), Float("beta", 0.5f));
                graph.Node("Mul", a.Name, [x, gate], output);
                writer.Written(a.Output, output);
                return;
            }

            default:
                writer.Simple(a, a.Kind.ToString());
                return;
        }
    }
}
