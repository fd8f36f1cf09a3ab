using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Where over the condition and the two operands.</summary>
internal sealed class WhereExporter : LayerExporter<WhereLayer>
{
    protected override void Write(WhereLayer w, QdqGraphWriter writer) => writer.Simple(w, "Where");
}
