using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Cast to the layer's element type.</summary>
internal sealed class CastExporter : LayerExporter<CastLayer>
{
    protected override void Write(CastLayer c, QdqGraphWriter writer) => writer.Simple(c, "Cast", Int("to", (int)DataType(c.To)));
}
