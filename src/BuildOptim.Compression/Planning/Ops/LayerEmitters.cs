using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Emits the plan ops of one layer type, in fp32 and (where supported) in int8.</summary>
public interface ILayerEmitter
{
    /// <summary>Whether this layer can run on uint8 codes.</summary>
    bool SupportsInt8(Layer layer, CompileContext context);

    void EmitFloat(Layer layer, CompileContext context);

    void EmitInt8(Layer layer, CompileContext context);
}

/// <summary>The op-type registry: supporting a new layer is one emitter class and one line here.</summary>
public static class LayerEmitters
{
    private static readonly Dictionary<Type, ILayerEmitter> s_emitters = new()
    {
        [typeof(ConstantLayer)] = new ConstantEmitter(),
        [typeof(DenseLayer)] = new DenseEmitter(),
        [typeof(ConvLayer)] = new ConvEmitter(),
        [typeof(PoolLayer)] = new PoolEmitter(),
        [typeof(GlobalPoolLayer)] = new GlobalPoolEmitter(),
        [typeof(ActivationLayer)] = new ActivationEmitter(),
        [typeof(BinaryLayer)] = new BinaryEmitter(),
        [typeof(ConcatLayer)] = new ConcatEmitter(),
        [typeof(TransposeLayer)] = new TransposeEmitter(),
        [typeof(ReshapeLayer)] = new ReshapeEmitter(),
        [typeof(PadLayer)] = new PadEmitter(),
        [typeof(SoftmaxLayer)] = new SoftmaxEmitter(),
        [typeof(LrnLayer)] = new LrnEmitter(),
        [typeof(ChannelAffineLayer)] = new ChannelAffineEmitter(),
        [typeof(MatMulLayer)] = new MatMulEmitter(),
        [typeof(CastLayer)] = new CastEmitter(),
        [typeof(BinaryMathLayer)] = new BinaryMathEmitter(),
        [typeof(ReduceLayer)] = new ReduceEmitter(),
        [typeof(LayerNormLayer)] = new LayerNormEmitter(),
        [typeof(ConvTransposeLayer)] = new ConvTransposeEmitter(),
        [typeof(ResizeLayer)] = new ResizeEmitter(),
        [typeof(Conv3DLayer)] = new Conv3DEmitter(),
        [typeof(ConvTranspose3DLayer)] = new ConvTranspose3DEmitter(),
        [typeof(Pool3DLayer)] = new Pool3DEmitter(),
        [typeof(CompareLayer)] = new CompareEmitter(),
        [typeof(WhereLayer)] = new WhereEmitter(),
        [typeof(GatherLayer)] = new GatherEmitter(),
        [typeof(SliceLayer)] = new StridedCopyEmitter(),
        [typeof(ExpandLayer)] = new StridedCopyEmitter(),
        [typeof(TileLayer)] = new StridedCopyEmitter(),
    };

    public static ILayerEmitter For(Layer layer)
        => s_emitters.TryGetValue(layer.GetType(), out var emitter) ? emitter : throw new NotSupportedException($"No emitter for {layer.GetType().Name}.");
}

/// <summary>Helpers shared by emitters.</summary>
internal static class EmitHelpers
{
    public static int Bits(float value) => BitConverter.SingleToInt32Bits(value);

    /// <summary>A real clamp [min, max] as codes of <paramref name="p"/>, intersected with [0, 255].</summary>
    public static (byte Min, byte Max) CodeClamp(FusedActivation? activation, QuantParams p)
    {
        if (activation is null)
        {
            return (0, 255);
        }

        // Quantization is monotonic, so clamping codes at q(min), q(max) equals quantizing the clamped value.
        int min = float.IsNegativeInfinity(activation.Min) ? 0 : p.Quantize(activation.Min);
        int max = float.IsPositiveInfinity(activation.Max) ? 255 : p.Quantize(activation.Max);
        return min > max ? ((byte)max, (byte)max) : ((byte)min, (byte)max);
    }

    public static (float Min, float Max) FloatClamp(FusedActivation? activation)
        => activation is null ? (float.NegativeInfinity, float.PositiveInfinity) : (activation.Min, activation.Max);

    /// <summary>Per-row requantization constants for <c>M[n] = inputScale · weightScale[n] / outputScale</c>.</summary>
    public static (int[] Multiplier, int[] Shift) Requantization(double inputScale, double[] weightScales, double outputScale)
    {
        var m = new int[weightScales.Length];
        var s = new int[weightScales.Length];
        for (int i = 0; i < weightScales.Length; i++)
        {
            (m[i], s[i]) = FixedPoint.QuantizeMultiplier(inputScale * weightScales[i] / outputScale);
        }

        return (m, s);
    }

    public static double Sparsity(float[] weights) => weights.Count(w => w == 0) / (double)Math.Max(1, weights.Length);

    /// <summary>The numpy broadcast of two shapes, of rank at most <see cref="BroadcastShape.MaxRank"/>.</summary>
    public static BroadcastShape Broadcast(int[] a, int[] b)
    {
        var shape = BroadcastShape.Create(a, b) ?? throw new InvalidOperationException("Shapes do not broadcast.");
        if (shape.OutputDims.Length > BroadcastShape.MaxRank)
        {
            throw new NotSupportedException($"Elementwise ops support rank {BroadcastShape.MaxRank} at most.");
        }

        return shape;
    }
}
