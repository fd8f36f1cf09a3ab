using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Conv (incl. grouped and depthwise): weights per output channel as dense rows of length C/group·KH·KW.</summary>
internal sealed class ConvEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    public static ConvGeometry Geometry(ConvLayer c) => new(c.C, c.H, c.W, c.M, c.KH, c.KW, c.StrideH, c.StrideW, c.PadTop, c.PadLeft, c.DilationH, c.DilationW, c.Group, c.OH, c.OW);

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (ConvLayer)layer;
        var g = Geometry(c);
        int batch = context.Network.Value(c.Inputs[0]).Length / g.InputLength;
        int x = context.Float(c.Inputs[0]);
        int y = context.NewFloat(c.Output);
        var (min, max) = FloatClamp(c.Activation);
        context.Emit(new ConvF32Parameters(batch, g, min, max), [x], [y], context.Data<float>(c.Weights), context.Data<float>(c.Bias));
        long bytes = ((long)c.Weights.Length + c.Bias.Length) * sizeof(float);
        context.Summarize(c, Kind(c), int8: false, Sparsity(c.Weights), bytes, bytes);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var c = (ConvLayer)layer;
        if (context.SharedWeightsOf(c) is { } shared && SharedConvEmitter.TryEmitInt8(c, shared, context))
        {
            return;
        }

        var g = Geometry(c);
        int batch = context.Network.Value(c.Inputs[0]).Length / g.InputLength;
        int x = context.Codes(c.Inputs[0]);
        var input = context.ParamsOf(c.Inputs[0]);
        var (q, weightScales) = WeightQuantizer.QuantizeRows(c.Weights, g.PatchLength, c.M, c.WeightBits);

        // A 7-bit layer on the matrix-product tiles also halves its input codes (Kernels/ConvGemmU8S7.cs): c7 = c8 >> 1 stands
        // for 2·c7 + (Zx & 1), exact for every code of the zero point's parity (the real zero and the padding included),
        // so Σ w·(c8 − Zx) ≈ (4·Σ w·c7 − (2·Zx − 2·(Zx & 1))·Σ w) / 2: the bias and the requantization are those of an input
        // of scale Sx / 2 and zero point 2·Zx − 2·(Zx & 1) (QuantizeBias folds it), and the kernel adds 4·Σ w·c7.
        bool sevenBit = c.WeightBits == 7 && Kernels.ConvRunsOnSevenBitTiles(g);
        var accumulated = sevenBit ? new QuantParams(input.Scale / 2, (2 * input.ZeroPoint) - (2 * (input.ZeroPoint & 1))) : input;
        var bias = WeightQuantizer.QuantizeBias(c.Bias, q, weightScales, g.PatchLength, accumulated);
        long w = context.Data<sbyte>(q);
        long b = context.Data<int>(bias);
        if (context.OnlyFloatConsumers(c.Output))
        {
            var scale = weightScales.Select(s => (float)(accumulated.Scale * s)).ToArray();
            var (min, max) = FloatClamp(c.Activation);
            int y = context.NewFloat(c.Output);
            context.Emit(new ConvU8S8ToF32Parameters(batch, g, input.ZeroPoint, min, max, sevenBit), [x], [y], w, b, context.Data<float>(scale));
        }
        else
        {
            var output = context.Calibrated(c.Output)!.Value;
            var (multiplier, shift) = Requantization(accumulated.Scale, weightScales, output.Scale);
            var (lo, hi) = CodeClamp(c.Activation, output);
            int y = context.NewCodes(c.Output, output);
            context.Emit(new ConvU8S8ToU8Parameters(batch, g, input.ZeroPoint, output.ZeroPoint, lo, hi, sevenBit), [x], [y], w, b, context.Data<int>(multiplier), context.Data<int>(shift));
        }

        context.Summarize(c, Kind(c), int8: true, Sparsity(c.Weights), ((long)c.Weights.Length + c.Bias.Length) * sizeof(float), q.Length + (long)bias.Length * sizeof(int) * 3, c.WeightBits);
    }

    private static string Kind(ConvLayer c) => (c.Group == c.C && c.Group == c.M && c.Group > 1 ? "DepthwiseConv" : "Conv") + (c.Activation is null ? "" : "+" + c.Activation.Kind);
}
