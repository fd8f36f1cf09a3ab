using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Gather along the layer's axis (its indices keep their integer type); an int8 embedding lookup of a dynamic plan as <see cref="DynamicInt8Exporters.Gather"/>.</summary>
internal sealed class GatherExporter : LayerExporter<GatherLayer>
{
    protected override void Write(GatherLayer g, QdqGraphWriter writer)
    {
        if (writer.Codes.IsDynamic && writer.Codes.RunsInt8(g))
        {
            DynamicInt8Exporters.Gather(g, writer);
            return;
        }

        writer.Simple(g, "Gather", Int("axis", g.Axis));
    }
}
