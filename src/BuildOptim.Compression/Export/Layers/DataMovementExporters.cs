using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

internal sealed class ConcatExporter : LayerExporter<ConcatLayer>
{
    protected override void Write(ConcatLayer c, QdqGraphWriter writer) => writer.Simple(c, "Concat", Int("axis", c.Axis));
}

internal sealed class TransposeExporter : LayerExporter<TransposeLayer>
{
    protected override void Write(TransposeLayer t, QdqGraphWriter writer) => writer.Simple(t, "Transpose", Ints("perm", t.Perm));
}

/// <summary>Reshape to the output's shape (batch −1 when the model's batch is symbolic).</summary>
internal sealed class ReshapeExporter : LayerExporter<ReshapeLayer>
{
    protected override void Write(ReshapeLayer r, QdqGraphWriter writer)
    {
        string x = writer.Input(r, r.Inputs[0]);
        string output = writer.Output(r.Output);
        writer.Graph.Node("Reshape", r.Name, [x, writer.ShapeTensor(r.Name + "_shape", writer.ShapeOf(r.Inputs[0]), writer.ShapeOf(r.Output))], output);
        writer.Written(r.Output, output);
    }
}

/// <summary>Pad with pads (and, in constant mode, the value) as inputs.</summary>
internal sealed class PadExporter : LayerExporter<PadLayer>
{
    protected override void Write(PadLayer p, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        string x = writer.Input(p, p.Inputs[0]);
        string output = writer.Output(p.Output);
        var inputs = new List<string> { x, graph.Int64s(p.Name + "_pads", p.Pads.Select(v => (long)v).ToArray(), [p.Pads.Length]) };
        if (p.Mode == PaddingMode.Constant)
        {
            inputs.Add(writer.Scalar(p.Name + "_value", p.Value));
        }

        graph.Node("Pad", p.Name, inputs, output, String("mode", p.Mode.ToString().ToLowerInvariant()));
        writer.Written(p.Output, output);
    }
}
