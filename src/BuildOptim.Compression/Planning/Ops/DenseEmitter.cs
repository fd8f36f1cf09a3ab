using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Gemm / MatMul with constant weights: per-channel int8 weights, folded zero point, fixed-point requantization; in a
/// <see cref="QuantizationScheme.Dynamic"/> plan, per-channel int8 weights on float rows quantized when the op runs.
/// </summary>
internal sealed class DenseEmitter : ILayerEmitter, IDynamicInt8Emitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    public bool SupportsDynamicInt8(Layer layer, CompileContext context)
        => layer is DenseLayer d && d.K <= Kernels.DynamicGemmMaxK
            && context.Network.Value(d.Inputs[0]).IsFloat && context.Network.Value(d.Output).IsFloat;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var d = (DenseLayer)layer;
        int rows = context.Network.Value(d.Inputs[0]).Length / d.K;
        int x = context.Float(d.Inputs[0]);
        int y = context.NewFloat(d.Output);
        var (min, max) = FloatClamp(d.Activation);
        context.Emit(new DenseF32Parameters(rows, d.K, d.N, min, max), [x], [y], context.Data<float>(d.Weights), context.Data<float>(d.Bias));
        long bytes = ((long)d.Weights.Length + d.Bias.Length) * sizeof(float);
        context.Summarize(d, Kind(d), int8: false, Sparsity(d.Weights), bytes, bytes);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var d = (DenseLayer)layer;
        if (context.Scheme == QuantizationScheme.Dynamic)
        {
            EmitDynamicInt8(d, context);
            return;
        }

        if (context.SharedWeightsOf(d) is { } shared && SharedDenseEmitter.TryEmitInt8(d, shared, context))
        {
            return;
        }

        int rows = context.Network.Value(d.Inputs[0]).Length / d.K;
        int x = context.Codes(d.Inputs[0]);
        var input = context.ParamsOf(d.Inputs[0]);
        var (q, weightScales) = WeightQuantizer.QuantizeRows(d.Weights, d.K, d.N, d.WeightBits);
        var bias = WeightQuantizer.QuantizeBias(d.Bias, q, weightScales, d.K, input);
        long w = context.Data<sbyte>(q);
        long b = context.Data<int>(bias);
        long compressed = q.Length + (long)bias.Length * sizeof(int) * 3;
        if (context.OnlyFloatConsumers(d.Output))
        {
            // Nothing downstream wants codes: dequantize the accumulators straight to floats.
            var scale = weightScales.Select(s => (float)(input.Scale * s)).ToArray();
            var (min, max) = FloatClamp(d.Activation);
            int y = context.NewFloat(d.Output);
            context.Emit(new DenseU8S8ToF32Parameters(rows, d.K, d.N, min, max), [x], [y], w, b, context.Data<float>(scale));
        }
        else
        {
            var output = context.Calibrated(d.Output)!.Value;
            var (multiplier, shift) = Requantization(input.Scale, weightScales, output.Scale);
            var (lo, hi) = CodeClamp(d.Activation, output);
            int y = context.NewCodes(d.Output, output);
            context.Emit(new DenseU8S8ToU8Parameters(rows, d.K, d.N, output.ZeroPoint, lo, hi), [x], [y], w, b, context.Data<int>(multiplier), context.Data<int>(shift));
        }

        context.Summarize(d, Kind(d), int8: true, Sparsity(d.Weights), ((long)d.Weights.Length + d.Bias.Length) * sizeof(float), compressed, d.WeightBits);
    }

    /// <summary>
    /// <c>y = (float)(acc − zp·colSum) · (scale·colScale[n]) + bias[n]</c> (<see cref="OpKind.DenseDynamicU8S8F32"/>): the weights
    /// quantized per output channel as in the static plan (<see cref="WeightQuantizer.QuantizeRows"/>), the bias kept in float.
    /// A 7-bit layer (<see cref="DenseLayer.WeightBits"/>) is <see cref="OpKind.DenseDynamicU7S7F32"/>: weights in [−63, 63],
    /// rows quantized to 0..127 when it runs.
    /// </summary>
    private static void EmitDynamicInt8(DenseLayer d, CompileContext context)
    {
        int rows = context.Network.Value(d.Inputs[0]).Length / d.K;
        int x = context.Float(d.Inputs[0]);
        var (q, weightScales) = WeightQuantizer.QuantizeRows(d.Weights, d.K, d.N, d.WeightBits);
        var colScale = Array.ConvertAll(weightScales, s => (float)s);
        var (min, max) = FloatClamp(d.Activation);

        // A Gelu that alone reads the output (a feed-forward layer's) runs in the op's epilogue, on rows still in cache.
        var gelu = FusableGelu(d, context);
        int y = context.NewFloat(gelu?.Output ?? d.Output);
        var activation = gelu is null ? Activation.None : gelu.Kind == ActivationKind.Gelu ? Activation.Gelu : Activation.GeluTanh;
        context.Emit(new DenseDynamicU8S8F32Parameters(rows, d.K, d.N, min, max, activation, SevenBit: d.WeightBits == 7), [x], [y],
            context.Data<sbyte>(q), context.Data<float>(colScale), context.Data<float>(d.Bias));
        long compressed = q.Length + ((long)d.N * 2 * sizeof(float));
        context.Summarize(d, Kind(d) + (gelu is null ? "" : "+" + gelu.Kind), int8: true, Sparsity(d.Weights), ((long)d.Weights.Length + d.Bias.Length) * sizeof(float), compressed, d.WeightBits);
        if (gelu is not null)
        {
            context.Absorb(gelu);
        }
    }

    /// <summary>The Gelu layer that is the only reader of <paramref name="d"/>'s output, which nothing else needs, if any.</summary>
    private static ActivationLayer? FusableGelu(DenseLayer d, CompileContext context)
        => d.Activation is null && !context.KeepAllValues && !context.IsGraphOutput(d.Output)
            && context.Consumers(d.Output) is [ActivationLayer { Kind: ActivationKind.Gelu or ActivationKind.GeluTanh } a]
            && a.Inputs.Length == 1 && context.Network.Value(a.Output).IsFloat
            ? a
            : null;

    private static string Kind(DenseLayer d) => "Dense" + (d.Activation is null ? "" : "+" + d.Activation.Kind);
}
