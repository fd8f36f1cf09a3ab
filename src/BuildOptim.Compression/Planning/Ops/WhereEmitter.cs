using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Where: a float op selecting between its operands (an int8 plan dequantizes around it).</summary>
internal sealed class WhereEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var w = (WhereLayer)layer;
        var shapes = w.Inputs.Select(v => context.Network.Value(v).Shape).ToArray();
        var shape = WhereShape.Create(shapes[0], shapes[1], shapes[2]) ?? throw new InvalidOperationException("Shapes do not broadcast.");
        if (shape.Dims.Length > BroadcastShape.MaxRank)
        {
            throw new NotSupportedException($"Where '{w.Name}' has rank {shape.Dims.Length}; at most {BroadcastShape.MaxRank} is supported.");
        }

        var inputs = w.Inputs.Select(context.Float).ToArray();
        int y = context.NewFloat(w.Output);
        context.Emit(new WhereF32Parameters(shape), inputs, [y]);
        context.Summarize(w, "Where", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
