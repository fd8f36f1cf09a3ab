using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// ConvTranspose (1-D or 2-D), float weights (the plan runs it in float): explicit begin pads, and end pads plus
/// output_padding that give exactly the lowered output size.
/// </summary>
internal sealed class ConvTransposeExporter : LayerExporter<ConvTransposeLayer>
{
    protected override void Write(ConvTransposeLayer c, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        bool oneD = writer.ShapeOf(c.Inputs[0]).Length == 3;
        string x = writer.Input(c, c.Inputs[0]);
        string output = writer.Output(c.Output);
        int[] weightDims = oneD ? [c.C, c.M / c.Group, c.KW] : [c.C, c.M / c.Group, c.KH, c.KW];
        string w = graph.Floats(c.Name + "_weight", c.Weights, weightDims);
        string b = graph.Floats(c.Name + "_bias", c.Bias, [c.M]);
        var (padBottom, extraH) = End(c.H, c.KH, c.StrideH, c.DilationH, c.PadTop, c.OH);
        var (padRight, extraW) = End(c.W, c.KW, c.StrideW, c.DilationW, c.PadLeft, c.OW);
        AttributeProto[] attributes = oneD
            ?
            [
                Ints("kernel_shape", [c.KW]), Ints("strides", [c.StrideW]), Ints("pads", [c.PadLeft, padRight]),
                Ints("dilations", [c.DilationW]), Ints("output_padding", [extraW]), Int("group", c.Group),
            ]
            :
            [
                Ints("kernel_shape", [c.KH, c.KW]), Ints("strides", [c.StrideH, c.StrideW]), Ints("pads", [c.PadTop, c.PadLeft, padBottom, padRight]),
                Ints("dilations", [c.DilationH, c.DilationW]), Ints("output_padding", [extraH, extraW]), Int("group", c.Group),
            ];
        graph.Node("ConvTranspose", c.Name, [x, w, b], output, attributes);
        writer.Written(c.Output, output);
    }

    /// <summary>The end pad and output_padding giving <paramref name="output"/>: <c>output = span − begin − end + extra</c>.</summary>
    private static (int End, int Extra) End(int input, int kernel, int stride, int dilation, int begin, int output)
    {
        long span = ((long)stride * (input - 1)) + (dilation * (kernel - 1L)) + 1;
        long end = Math.Max(0, span - begin - output);
        return ((int)end, (int)(output - (span - begin - end)));
    }
}
