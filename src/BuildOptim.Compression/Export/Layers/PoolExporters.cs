using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>MaxPool or AveragePool; ceil_mode when the lowered output size needs it. A dilated AveragePool has no opset-13 form.</summary>
internal sealed class PoolExporter : LayerExporter<PoolLayer>
{
    protected override void Write(PoolLayer p, QdqGraphWriter writer)
    {
        bool oneD = writer.ShapeOf(p.Inputs[0]).Length == 3;
        int effectiveH = p.DilationH * (p.KH - 1) + 1, effectiveW = p.DilationW * (p.KW - 1) + 1;
        bool ceil = (p.H + p.PadTop + p.PadBottom - effectiveH) / p.StrideH + 1 != p.OH
            || (p.W + p.PadLeft + p.PadRight - effectiveW) / p.StrideW + 1 != p.OW;
        var attributes = new List<AttributeProto>
        {
            Ints("kernel_shape", oneD ? [p.KW] : [p.KH, p.KW]),
            Ints("strides", oneD ? [p.StrideW] : [p.StrideH, p.StrideW]),
            Ints("pads", oneD ? [p.PadLeft, p.PadRight] : [p.PadTop, p.PadLeft, p.PadBottom, p.PadRight]),
        };
        if (ceil)
        {
            attributes.Add(Int("ceil_mode", 1));
        }

        bool dilated = p.DilationH != 1 || p.DilationW != 1;
        if (p.Kind == PoolKind.Max)
        {
            if (dilated)
            {
                attributes.Add(Ints("dilations", oneD ? [p.DilationW] : [p.DilationH, p.DilationW]));
            }

            writer.Simple(p, "MaxPool", [.. attributes]);
            return;
        }

        if (dilated)
        {
            throw new NotSupportedException($"AveragePool '{p.Name}' is dilated; opset {QdqExporter.Opset} AveragePool has no dilations.");
        }

        if (p.CountIncludePad)
        {
            attributes.Add(Int("count_include_pad", 1));
        }

        writer.Simple(p, "AveragePool", [.. attributes]);
    }
}

internal sealed class GlobalPoolExporter : LayerExporter<GlobalPoolLayer>
{
    protected override void Write(GlobalPoolLayer g, QdqGraphWriter writer)
        => writer.Simple(g, g.Kind == PoolKind.Max ? "GlobalMaxPool" : "GlobalAveragePool");
}
