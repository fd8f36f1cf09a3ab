using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Slice with starts, ends, axes and steps as int64 initializers (a Split output is the Slice of its part).</summary>
internal sealed class SliceExporter : LayerExporter<SliceLayer>
{
    protected override void Write(SliceLayer s, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var input = writer.ShapeOf(s.Inputs[0]);
        var output = writer.ShapeOf(s.Output);
        int rank = input.Length;

        // Only the axes the slice changes: an axis taken whole (the batch, among others) stays whatever size it has at run time.
        var axes = Enumerable.Range(0, rank).Where(d => s.Begin[d] != 0 || s.Step[d] != 1 || output[d] != input[d]).ToList();
        if (axes.Count == 0)
        {
            axes.Add(rank - 1);
        }

        var ends = new long[axes.Count];
        for (int i = 0; i < axes.Count; i++)
        {
            // One past the last index taken; walking backwards past index 0, an end that clamps to −1 (before the first).
            int d = axes[i];
            long end = s.Begin[d] + ((long)output[d] * s.Step[d]);
            ends[i] = end < 0 ? -input[d] - 1L : end;
        }

        string x = writer.Input(s, s.Inputs[0]);
        string y = writer.Output(s.Output);
        graph.Node("Slice", s.Name,
        [
            x,
            graph.Int64s(s.Name + "_starts", axes.Select(d => (long)s.Begin[d]).ToArray(), [axes.Count]),
            graph.Int64s(s.Name + "_ends", ends, [axes.Count]),
            graph.Int64s(s.Name + "_axes", axes.Select(d => (long)d).ToArray(), [axes.Count]),
            graph.Int64s(s.Name + "_steps", axes.Select(d => (long)s.Step[d]).ToArray(), [axes.Count]),
        ], y);
        writer.Written(s.Output, y);
    }
}

/// <summary>Expand to the output's shape.</summary>
internal sealed class ExpandExporter : LayerExporter<ExpandLayer>
{
    protected override void Write(ExpandLayer e, QdqGraphWriter writer)
    {
        var shape = writer.ShapeOf(e.Output);
        string x = writer.Input(e, e.Inputs[0]);
        string y = writer.Output(e.Output);
        writer.Graph.Node("Expand", e.Name, [x, writer.Graph.Int64s(e.Name + "_shape", shape.Select(d => (long)d).ToArray(), [shape.Length])], y);
        writer.Written(e.Output, y);
    }
}

/// <summary>Tile by the layer's repeats.</summary>
internal sealed class TileExporter : LayerExporter<TileLayer>
{
    protected override void Write(TileLayer t, QdqGraphWriter writer)
    {
        string x = writer.Input(t, t.Inputs[0]);
        string y = writer.Output(t.Output);
        writer.Graph.Node("Tile", t.Name, [x, writer.Graph.Int64s(t.Name + "_repeats", t.Repeats.Select(r => (long)r).ToArray(), [t.Repeats.Length])], y);
        writer.Written(t.Output, y);
    }
}
