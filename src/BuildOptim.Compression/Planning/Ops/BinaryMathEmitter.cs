using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Pow, Max, Min of two tensors with numpy broadcasting: float in every plan.</summary>
internal sealed class BinaryMathEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var m = (BinaryMathLayer)layer;
        int a = context.Float(m.Inputs[0]);
        int b = context.Float(m.Inputs[1]);
        int y = context.NewFloat(m.Output);
        var broadcast = Broadcast(context.Network.Value(m.Inputs[0]).Shape, context.Network.Value(m.Inputs[1]).Shape);
        context.Emit(new BinaryMathF32Parameters(Enum.Parse<BinaryMathOp>(m.Kind.ToString()), broadcast), [a, b], [y]);
        context.Summarize(m, m.Kind.ToString(), int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
