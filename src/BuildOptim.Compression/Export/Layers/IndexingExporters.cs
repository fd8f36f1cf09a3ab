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
        var ends = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            // One past the last index taken; walking backwards past index 0, an end that clamps to −1 (before the first).
            long end = s.Begin[d] + ((long)output[d] * s.Step[d]);
            ends[d] = end < 0 ? -input[d] - 1L : end;
        }

        string x = writer.Input(s, s.Inputs[0]);
        string y = writer.Output(s.Output);
        graph.Node("Slice", s.Name,
        [
            x,
            graph.Int64s(s.Name + "_starts", s.Begin.Select(b => (long)b).ToArray(), [rank]),
            graph.Int64s(s.Name + "_ends", ends, [rank]),
            graph.Int64s(s.Name + "_axes", Enumerable.Range(0, rank).Select(d => (long)d).ToArray(), [rank]),
            graph.Int64s(s.Name + "_steps", s.Step.Select(t => (long)t).ToArray(), [rank]),
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
