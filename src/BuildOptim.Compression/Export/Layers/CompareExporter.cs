using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>The comparison or connective of the same name (LessOrEqual and GreaterOrEqual are opset 12).</summary>
internal sealed class CompareExporter : LayerExporter<CompareLayer>
{
    protected override void Write(CompareLayer c, QdqGraphWriter writer) => writer.Simple(c, c.Kind.ToString());
}
