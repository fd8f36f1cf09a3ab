using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>MatMul of two computed tensors (float in the plan).</summary>
internal sealed class MatMulExporter : LayerExporter<MatMulLayer>
{
    protected override void Write(MatMulLayer m, QdqGraphWriter writer) => writer.Simple(m, "MatMul");
}
