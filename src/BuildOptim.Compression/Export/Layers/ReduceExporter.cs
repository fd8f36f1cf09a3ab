using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>ReduceSum (axes as an input in opset 13), ReduceMean, ReduceMax, ReduceMin, ReduceSumSquare or ReduceL2 (axes as an attribute).</summary>
internal sealed class ReduceExporter : LayerExporter<ReduceLayer>
{
    protected override void Write(ReduceLayer r, QdqGraphWriter writer)
    {
        var keepDims = Int("keepdims", r.KeepDims ? 1 : 0);
        if (r.Kind != ReduceKind.Sum)
        {
            writer.Simple(r, "Reduce" + r.Kind, Ints("axes", r.Axes), keepDims);
            return;
        }

        string x = writer.Input(r, r.Inputs[0]);
        string output = writer.Output(r.Output);
        writer.Graph.Node("ReduceSum", r.Name, [x, writer.Graph.Int64s(r.Name + "_axes", r.Axes.Select(a => (long)a).ToArray(), [r.Axes.Length])], output, keepDims);
        writer.Written(r.Output, output);
    }
}
