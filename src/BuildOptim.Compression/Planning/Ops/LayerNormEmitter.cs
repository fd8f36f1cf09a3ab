using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>LayerNormalization over rows of the trailing axes; scale and bias as data sections; float in every plan.</summary>
internal sealed class LayerNormEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var l = (LayerNormLayer)layer;
        var shape = context.Network.Value(l.Inputs[0]).Shape;
        int rows = shape[..l.Axis].Aggregate(1, (p, d) => p * d);
        int x = context.Float(l.Inputs[0]);
        int y = context.NewFloat(l.Output);
        long[] data = l.Bias is null ? [context.Data<float>(l.Scale)] : [context.Data<float>(l.Scale), context.Data<float>(l.Bias)];
        context.Emit(new LayerNormF32Parameters(rows, l.Scale.Length, l.Epsilon, HasBias: l.Bias is not null), [x], [y], data);
        long parameterBytes = (l.Scale.Length + (l.Bias?.Length ?? 0)) * sizeof(float);
        context.Summarize(l, "LayerNormalization", int8: false, parameterBytes: parameterBytes, compressedBytes: parameterBytes);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
