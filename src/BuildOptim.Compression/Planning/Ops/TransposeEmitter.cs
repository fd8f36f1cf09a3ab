using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Transpose: moves floats or codes (keeping the input's quantization parameters).</summary>
internal sealed class TransposeEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    private static TransposeParameters Params(TransposeLayer t, CompileContext context)
    {
        var dims = context.Network.Value(t.Inputs[0]).Shape;
        if (dims.Length > Kernels.MaxLayoutRank)
        {
            throw new NotSupportedException($"Transpose '{t.Name}' has rank {dims.Length}; at most {Kernels.MaxLayoutRank} is supported.");
        }

        return new TransposeParameters(dims, t.Perm);
    }

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var t = (TransposeLayer)layer;
        int x = context.Float(t.Inputs[0]);
        int y = context.NewFloat(t.Output);
        context.Emit(Params(t, context), [x], [y]);
        context.Summarize(t, "Transpose", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var t = (TransposeLayer)layer;
        int x = context.Codes(t.Inputs[0]);
        int y = context.NewCodes(t.Output, context.ParamsOf(t.Inputs[0]));
        context.Emit(Params(t, context), [x], [y]);
        context.Summarize(t, "Transpose", int8: true);
    }
}
