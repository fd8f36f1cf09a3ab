using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// Softmax or LogSoftmax on the axis that matches [Outer, AxisSize, Inner]; a legacy (opset &lt; 13) softmax over
/// flattened trailing dims becomes Reshape → axis-1 softmax → Reshape.
/// </summary>
internal sealed class SoftmaxExporter : LayerExporter<SoftmaxLayer>
{
    protected override void Write(SoftmaxLayer s, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        string opType = s.Log ? "LogSoftmax" : "Softmax";
        var shape = writer.ShapeOf(s.Inputs[0]);
        int axis = Enumerable.Range(0, shape.Length).FirstOrDefault(
            a => shape[a] == s.AxisSize && Product(shape[..a]) == s.Outer && Product(shape[(a + 1)..]) == s.Inner, -1);
        if (axis >= 0)
        {
            writer.Simple(s, opType, Int("axis", axis));
            return;
        }

        string x = writer.Input(s, s.Inputs[0]);
        string output = writer.Output(s.Output);
        string flat = graph.Unique(s.Name + "_flat");
        string normalized = graph.Unique(s.Name + "_normalized");
        graph.Node("Reshape", s.Name + "_Reshape", [x, writer.ShapeTensor(s.Name + "_flat_shape", shape, [s.Outer, s.AxisSize, s.Inner])], flat);
        graph.Node(opType, s.Name, [flat], normalized, Int("axis", 1));
        graph.Node("Reshape", s.Name + "_Reshape_back", [normalized, writer.ShapeTensor(s.Name + "_shape", [s.Outer, s.AxisSize, s.Inner], writer.ShapeOf(s.Output))], output);
        writer.Written(s.Output, output);
    }

    private static int Product(int[] dims) => dims.Aggregate(1, (p, d) => p * d);
}

internal sealed class LrnExporter : LayerExporter<LrnLayer>
{
    protected override void Write(LrnLayer l, QdqGraphWriter writer)
        => writer.Simple(l, "LRN", Int("size", l.Size), Float("alpha", l.Alpha), Float("beta", l.Beta), Float("bias", l.Bias));
}

/// <summary>BatchNormalization as the plan runs it: <c>x · Scale[c] + Shift[c]</c> along dim 1, a Mul then an Add.</summary>
internal sealed class ChannelAffineExporter : LayerExporter<ChannelAffineLayer>
{
    protected override void Write(ChannelAffineLayer c, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var shape = writer.ShapeOf(c.Inputs[0]);
        int[] dims = [c.Scale.Length, .. Enumerable.Repeat(1, Math.Max(0, shape.Length - 2))];
        string x = writer.Input(c, c.Inputs[0]);
        string output = writer.Output(c.Output);
        string scaled = graph.Unique(c.Name + "_scaled");
        graph.Node("Mul", c.Name + "_Mul", [x, graph.Floats(c.Name + "_scale", c.Scale, dims)], scaled);
        graph.Node("Add", c.Name, [scaled, graph.Floats(c.Name + "_shift", c.Shift, dims)], output);
        writer.Written(c.Output, output);
    }
}
