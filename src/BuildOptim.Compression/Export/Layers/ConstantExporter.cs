using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// An initializer of the value's element type under its own name, or, when the plan keeps it as codes, uint8 codes and a
/// DequantizeLinear; nothing for a table only int8 embedding lookups read.
/// </summary>
internal sealed class ConstantExporter : LayerExporter<ConstantLayer>
{
    protected override void Write(ConstantLayer k, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var shape = writer.ShapeOf(k.Output);
        string name = writer.Network.Value(k.Output).Name;
        if (writer.Codes.IsOmitted(k.Output))
        {
            // An embedding table: its int8 lookups write their own int8 copy (GatherExporter).
            return;
        }

        if (!writer.Codes.IsCodesPrimary(k.Output))
        {
            writer.Publish(k.Output, graph.Typed(name, writer.Network.Value(k.Output).Type, k.Data, shape, exactName: true));
            return;
        }

        // Stored as the plan stores it: codes, dequantized in the graph.
        var p = writer.Codes.ParamsOf(k.Output);
        var codes = k.Data.Select(v => p.Quantize(v)).ToArray();
        string q = graph.UInt8s(name + "_quantized", codes, shape);
        var (scale, zeroPoint) = writer.QuantParamsOf(k.Output);
        graph.Node("DequantizeLinear", name + "_DequantizeLinear", [q, scale, zeroPoint], name);
        writer.Publish(k.Output, name);
    }
}
