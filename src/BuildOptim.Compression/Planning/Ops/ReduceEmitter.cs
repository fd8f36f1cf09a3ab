using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>A reduction over a run of adjacent axes: the input viewed as [outer, reduced, inner]; float in every plan.</summary>
internal sealed class ReduceEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var r = (ReduceLayer)layer;
        var shape = context.Network.Value(r.Inputs[0]).Shape;
        int first = r.Axes[0], end = r.Axes[^1] + 1;
        int x = context.Float(r.Inputs[0]);
        int y = context.NewFloat(r.Output);
        var op = Enum.Parse<ReduceOp>(r.Kind.ToString());
        context.Emit(new ReduceF32Parameters(op, Product(shape[..first]), Product(shape[first..end]), Product(shape[end..])), [x], [y]);
        context.Summarize(r, "Reduce" + r.Kind, int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();

    private static int Product(int[] dims) => dims.Aggregate(1, (p, d) => p * d);
}
