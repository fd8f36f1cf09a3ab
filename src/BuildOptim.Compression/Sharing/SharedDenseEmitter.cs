using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Sharing;

/// <summary>The int8 Dense path over shared weights: <c>DenseEmitter</c>'s, with packed 4-bit indices and int8 codebooks in place of int8 weights.</summary>
internal static class SharedDenseEmitter
{
    /// <summary>Emits the layer and returns true, or returns false (nothing emitted) when packing does not apply.</summary>
    public static bool TryEmitInt8(DenseLayer d, SharedWeights shared, CompileContext context)
    {
        var packed = SharedWeightPacking.Pack(d.Name, d.Weights, shared, d.K, d.N);
        if (packed is null)
        {
            return false;
        }

        int rows = context.Network.Value(d.Inputs[0]).Length / d.K;
        int x = context.Codes(d.Inputs[0]);
        var input = context.ParamsOf(d.Inputs[0]);
        var bias = WeightQuantizer.QuantizeBias(d.Bias, packed.Q, packed.Scales, d.K, input);
        long w = context.Data<byte>(packed.Indices);
        long t = context.Data<sbyte>(packed.Codebooks);
        long b = context.Data<int>(bias);
        if (context.OnlyFloatConsumers(d.Output))
        {
            var scale = packed.Scales.Select(s => (float)(input.Scale * s)).ToArray();
            var (min, max) = FloatClamp(d.Activation);
            int y = context.NewFloat(d.Output);
            context.Emit(new DenseSharedU8U4ToF32Parameters(rows, d.K, d.N, min, max, packed.CodebookCount), [x], [y], w, t, b, context.Data<float>(scale));
        }
        else
        {
            var output = context.Calibrated(d.Output)!.Value;
            var (multiplier, shift) = Requantization(input.Scale, packed.Scales, output.Scale);
            var (lo, hi) = CodeClamp(d.Activation, output);
            int y = context.NewCodes(d.Output, output);
            context.Emit(new DenseSharedU8U4ToU8Parameters(rows, d.K, d.N, output.ZeroPoint, lo, hi, packed.CodebookCount), [x], [y], w, t, b, context.Data<int>(multiplier), context.Data<int>(shift));
        }

        string kind = "Dense" + (d.Activation is null ? "" : "+" + d.Activation.Kind);
        context.Summarize(d, kind, int8: true, Sparsity(d.Weights), ((long)d.Weights.Length + d.Bias.Length) * sizeof(float), packed.Bytes + ((long)bias.Length * sizeof(int) * 3));
        return true;
    }
}
