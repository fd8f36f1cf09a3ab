using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Comparisons and bool connectives: a float op writing 1 or 0 (bools are never quantized).</summary>
internal sealed class CompareEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (CompareLayer)layer;
        int a = context.Float(c.Inputs[0]);
        int b = context.Float(c.Inputs[1]);
        int y = context.NewFloat(c.Output);
        var broadcast = Broadcast(context.Network.Value(c.Inputs[0]).Shape, context.Network.Value(c.Inputs[1]).Shape);
        context.Emit(new CompareF32Parameters(ToRuntime(c.Kind), broadcast), [a, b], [y]);
        context.Summarize(c, c.Kind.ToString(), int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();

    private static CompareOp ToRuntime(CompareKind kind) => kind switch
    {
        CompareKind.Equal => CompareOp.Equal,
        CompareKind.Less => CompareOp.Less,
        CompareKind.Greater => CompareOp.Greater,
        CompareKind.LessOrEqual => CompareOp.LessOrEqual,
        CompareKind.GreaterOrEqual => CompareOp.GreaterOrEqual,
        CompareKind.And => CompareOp.And,
        CompareKind.Or => CompareOp.Or,
        CompareKind.Xor => CompareOp.Xor,
        _ => throw new NotSupportedException(kind.ToString()),
    };
}
