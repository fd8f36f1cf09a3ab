using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Planning.Ops;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Sharing;

/// <summary>
/// The int8 Conv path over shared weights: <c>ConvEmitter</c>'s, with packed 4-bit indices and int8 codebooks (one row
/// per output channel, <c>PatchLength</c> long) in place of int8 weights; the runtime decodes them once per call.
/// </summary>
internal static class SharedConvEmitter
{
    /// <summary>Emits the layer and returns true, or returns false (nothing emitted) when packing does not apply.</summary>
    public static bool TryEmitInt8(ConvLayer c, SharedWeights shared, CompileContext context)
    {
        var g = ConvEmitter.Geometry(c);
        var packed = SharedWeightPacking.Pack(c.Name, c.Weights, shared, g.PatchLength, c.M);
        if (packed is null)
        {
            return false;
        }

        int batch = context.Network.Value(c.Inputs[0]).Length / g.InputLength;
        int x = context.Codes(c.Inputs[0]);
        var input = context.ParamsOf(c.Inputs[0]);
        var bias = WeightQuantizer.QuantizeBias(c.Bias, packed.Q, packed.Scales, g.PatchLength, input);
        long w = context.Data<byte>(packed.Indices);
        long t = context.Data<sbyte>(packed.Codebooks);
        long b = context.Data<int>(bias);
        if (context.OnlyFloatConsumers(c.Output))
        {
            var scale = packed.Scales.Select(s => (float)(input.Scale * s)).ToArray();
            var (min, max) = FloatClamp(c.Activation);
            int y = context.NewFloat(c.Output);
            context.Emit(new ConvSharedU8U4ToF32Parameters(batch, g, input.ZeroPoint, min, max, packed.CodebookCount), [x], [y], w, t, b, context.Data<float>(scale));
        }
        else
        {
            var output = context.Calibrated(c.Output)!.Value;
            var (multiplier, shift) = Requantization(input.Scale, packed.Scales, output.Scale);
            var (lo, hi) = CodeClamp(c.Activation, output);
            int y = context.NewCodes(c.Output, output);
            context.Emit(new ConvSharedU8U4ToU8Parameters(batch, g, input.ZeroPoint, output.ZeroPoint, lo, hi, packed.CodebookCount), [x], [y], w, t, b, context.Data<int>(multiplier), context.Data<int>(shift));
        }

        string kind = (c.Group == c.C && c.Group == c.M && c.Group > 1 ? "DepthwiseConv" : "Conv") + (c.Activation is null ? "" : "+" + c.Activation.Kind);
        context.Summarize(c, kind, int8: true, Sparsity(c.Weights), ((long)c.Weights.Length + c.Bias.Length) * sizeof(float), packed.Bytes + ((long)bias.Length * sizeof(int) * 3));
        return true;
    }
}
