using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// LayerNormalization (opset 17) written out in opset-13 nodes, the operations the plan runs: ReduceMean → Sub → Pow 2 (the
/// square) → ReduceMean → Add ε → Sqrt → Div → Mul scale → Add bias.
/// </summary>
internal sealed class LayerNormExporter : LayerExporter<LayerNormLayer>
{
    protected override void Write(LayerNormLayer l, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var shape = writer.ShapeOf(l.Inputs[0]);
        var axes = Ints("axes", Enumerable.Range(l.Axis, shape.Length - l.Axis).ToArray());
        string x = writer.Input(l, l.Inputs[0]);
        string output = writer.Output(l.Output);
        string Node(string opType, string suffix, string[] inputs, params global::Onnx.AttributeProto[] attributes)
        {
            string result = graph.Unique(l.Name + "_" + suffix);
            graph.Node(opType, l.Name + "_" + suffix, inputs, result, attributes);
            return result;
        }

        string mean = Node("ReduceMean", "mean", [x], axes);
        string deviation = Node("Sub", "deviation", [x, mean]);
        // Pow(·, 2) rather than Mul(d, d): the form ONNX Runtime's LayerNormFusion recognizes (its Pow squares by one multiply).
        string variance = Node("ReduceMean", "variance", [Node("Pow", "square", [deviation, writer.Scalar(l.Name + "_two", 2f)])], axes);
        string root = Node("Sqrt", "root", [Node("Add", "epsilon_add", [variance, writer.Scalar(l.Name + "_epsilon", l.Epsilon)])]);
        string scale = graph.Floats(l.Name + "_scale", l.Scale, shape[l.Axis..]);
        string normalized = Node("Div", "normalized", [deviation, root]);
        if (l.Bias is null)
        {
            graph.Node("Mul", l.Name, [normalized, scale], output);
        }
        else
        {
            graph.Node("Add", l.Name, [Node("Mul", "scaled", [normalized, scale]), graph.Floats(l.Name + "_bias", l.Bias, shape[l.Axis..])], output);
        }

        writer.Written(l.Output, output);
    }
}
