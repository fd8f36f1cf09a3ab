using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>Conv (1-D or 2-D), int8 weights per output channel when the plan runs it in int8; a fused activation as its own node.</summary>
internal sealed class ConvExporter : LayerExporter<ConvLayer>
{
    protected override void Write(ConvLayer c, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        bool oneD = writer.ShapeOf(c.Inputs[0]).Length == 3;
        string x = writer.Input(c, c.Inputs[0]);
        string output = writer.Output(c.Output);
        int[] weightDims = oneD ? [c.M, c.C / c.Group, c.KW] : [c.M, c.C / c.Group, c.KH, c.KW];
        string w, b;
        if (writer.Codes.RunsInt8(c))
        {
            int patch = c.C / c.Group * c.KH * c.KW;
            var (q, scales) = WeightQuantizer.QuantizeRows(c.Weights, patch, c.M, c.WeightBits);
            w = QuantizedWeights.Weights(graph, c.Name, q, weightDims, scales, channelAxis: 0);
            b = QuantizedWeights.Bias(graph, c.Name, c.Bias, scales, writer.Codes.ParamsOf(c.Inputs[0]));
        }
        else
        {
            w = graph.Floats(c.Name + "_weight", c.Weights, weightDims);
            b = graph.Floats(c.Name + "_bias", c.Bias, [c.M]);
        }

        // The IR keeps the begin pads; the end pads are the smallest that give the lowered output size.
        int padBottom = Math.Max(0, (c.OH - 1) * c.StrideH + c.DilationH * (c.KH - 1) + 1 - c.H - c.PadTop);
        int padRight = Math.Max(0, (c.OW - 1) * c.StrideW + c.DilationW * (c.KW - 1) + 1 - c.W - c.PadLeft);
        AttributeProto[] attributes = oneD
            ?
            [
                Ints("kernel_shape", [c.KW]), Ints("strides", [c.StrideW]), Ints("pads", [c.PadLeft, padRight]),
                Ints("dilations", [c.DilationW]), Int("group", c.Group),
            ]
            :
            [
                Ints("kernel_shape", [c.KH, c.KW]), Ints("strides", [c.StrideH, c.StrideW]), Ints("pads", [c.PadTop, c.PadLeft, padBottom, padRight]),
                Ints("dilations", [c.DilationH, c.DilationW]), Int("group", c.Group),
            ];
        string convolution = c.Activation is null ? output : graph.Unique(c.Name + "_linear");
        graph.Node("Conv", c.Name, [x, w, b], convolution, attributes);
        writer.FusedActivationNode(c.Name, c.Activation, convolution, output);
        writer.Written(c.Output, output);
    }
}
