using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Gather: a float op (an embedding table stays float in an int8 plan; its reader dequantizes nothing).</summary>
internal sealed class GatherEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var g = (GatherLayer)layer;
        var data = context.Network.Value(g.Inputs[0]).Shape;
        int outer = data.Take(g.Axis).Aggregate(1, (p, d) => p * d);
        int inner = data.Skip(g.Axis + 1).Aggregate(1, (p, d) => p * d);
        int x = context.Float(g.Inputs[0]);
        int indices = context.Float(g.Inputs[1]);
        int y = context.NewFloat(g.Output);
        context.Emit(new GatherF32Parameters(outer, data[g.Axis], inner, context.Network.Value(g.Inputs[1]).Length), [x, indices], [y]);
        context.Summarize(g, "Gather", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
