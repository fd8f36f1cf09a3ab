using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Pow, Max or Min as the ONNX operator of its name (float: the plan runs it in float).</summary>
internal sealed class BinaryMathExporter : LayerExporter<BinaryMathLayer>
{
    protected override void Write(BinaryMathLayer m, QdqGraphWriter writer) => writer.Simple(m, m.Kind.ToString());
}
