using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Gather along the layer's axis (its indices keep their integer type).</summary>
internal sealed class GatherExporter : LayerExporter<GatherLayer>
{
    protected override void Write(GatherLayer g, QdqGraphWriter writer) => writer.Simple(g, "Gather", Int("axis", g.Axis));
}
