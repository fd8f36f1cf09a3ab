using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// Each activation as its ONNX operator; Clip with scalar bound inputs; HardSwish (opset 14) as x · HardSigmoid(x); Gelu
/// (opset 20) written out.
/// </summary>
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

            case ActivationKind.Pow:
            {
                string x = writer.Input(a, a.Inputs[0]);
                string output = writer.Output(a.Output);
                graph.Node("Pow", a.Name, [x, writer.Scalar(a.Name + "_exponent", a.Alpha)], output);
                writer.Written(a.Output, output);
                return;
            }

            case ActivationKind.Gelu:
            case ActivationKind.GeluTanh:
                Gelu(a, writer);
                return;

            default:
                writer.Simple(a, a.Kind.ToString());
                return;
        }
    }

    /// <summary>Gelu as ½x · (1 + erf(x / √2)), its tanh form as ½x · (1 + tanh(√(2/π) · (x + 0.044715 x³))), in opset-13 nodes.</summary>
    private static void Gelu(ActivationLayer a, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        string x = writer.Input(a, a.Inputs[0]);
        string output = writer.Output(a.Output);
        string Node(string opType, string suffix, params string[] inputs)
        {
            string result = graph.Unique(a.Name + "_" + suffix);
            graph.Node(opType, a.Name + "_" + suffix, inputs, result);
            return result;
        }

        string inner;
        if (a.Kind == ActivationKind.Gelu)
        {
            // Div by √2 (rather than Mul by √½) is the form ONNX Runtime's GeluFusion recognizes.
            inner = Node("Erf", "erf", Node("Div", "scaled", x, writer.Scalar(a.Name + "_sqrt_2", 1.41421356f)));
        }
        else
        {
            string cube = Node("Mul", "cube", Node("Mul", "square", x, x), x);
            string sum = Node("Add", "sum", x, Node("Mul", "cubic", cube, writer.Scalar(a.Name + "_cubic", 0.044715f)));
            inner = Node("Tanh", "tanh", Node("Mul", "scaled", sum, writer.Scalar(a.Name + "_sqrt_2_over_pi", 0.797884561f)));
        }

        string half = Node("Mul", "half", x, writer.Scalar(a.Name + "_half", 0.5f));
        graph.Node("Mul", a.Name, [half, Node("Add", "one_plus", inner, writer.Scalar(a.Name + "_one", 1f))], output);
        writer.Written(a.Output, output);
    }
}
