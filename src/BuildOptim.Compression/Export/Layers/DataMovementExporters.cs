using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <remarks>
/// With a symbolic batch, a constant concatenated along another axis (a ViT's class token, expanded to the batch in the
/// original and folded at batch 1) is expanded to the batch of a computed input first.
/// </remarks>
internal sealed class ConcatExporter : LayerExporter<ConcatLayer>
{
    protected override void Write(ConcatLayer c, QdqGraphWriter writer)
    {
        int? computed = c.Inputs.Cast<int?>().FirstOrDefault(v => !writer.IsConstant(v!.Value));
        if (!writer.DynamicBatch || c.Axis == 0 || computed is not { } batchSource || c.Inputs.All(v => !writer.IsConstant(v)))
        {
            writer.Simple(c, "Concat", Int("axis", c.Axis));
            return;
        }

        var graph = writer.Graph;
        string source = writer.Input(c, batchSource);
        string shape = graph.Unique(c.Name + "_input_shape");
        graph.Node("Shape", c.Name + "_Shape", [source], shape);
        string batch = graph.Unique(c.Name + "_batch");
        graph.Node("Slice", c.Name + "_batch_Slice", [shape, graph.Int64s(c.Name + "_batch_starts", [0], [1]), graph.Int64s(c.Name + "_batch_ends", [1], [1])], batch);
        var inputs = new List<string>();
        foreach (int value in c.Inputs)
        {
            string x = writer.Input(c, value);
            if (!writer.IsConstant(value))
            {
                inputs.Add(x);
                continue;
            }

            string target = graph.Unique(c.Name + "_expanded_shape");
            long[] rest = writer.ShapeOf(value).Skip(1).Select(d => (long)d).ToArray();
            graph.Node("Concat", c.Name + "_expanded_shape_Concat", [batch, graph.Int64s(c.Name + "_rest", rest, [rest.Length])], target, Int("axis", 0));
            string expanded = graph.Unique(x + "_expanded");
            graph.Node("Expand", c.Name + "_Expand", [x, target], expanded);
            inputs.Add(expanded);
        }

        string output = writer.Output(c.Output);
        graph.Node("Concat", c.Name, inputs, output, Int("axis", c.Axis));
        writer.Written(c.Output, output);
    }
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
