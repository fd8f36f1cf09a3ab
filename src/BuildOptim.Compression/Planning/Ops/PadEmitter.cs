using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Pad: floats, or codes with the pad value quantized to the input's parameters.</summary>
internal sealed class PadEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    private static PadParameters Params(PadLayer pad, CompileContext context, int value)
    {
        var dims = context.Network.Value(pad.Inputs[0]).Shape;
        if (dims.Length > Kernels.MaxLayoutRank)
        {
            throw new NotSupportedException($"Pad '{pad.Name}' has rank {dims.Length}; at most {Kernels.MaxLayoutRank} is supported.");
        }

        return new PadParameters((PadMode)pad.Mode, value, dims, pad.Pads);
    }

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var pad = (PadLayer)layer;
        int x = context.Float(pad.Inputs[0]);
        int y = context.NewFloat(pad.Output);
        context.Emit(Params(pad, context, EmitHelpers.Bits(pad.Value)), [x], [y]);
        context.Summarize(pad, "Pad", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var pad = (PadLayer)layer;
        int x = context.Codes(pad.Inputs[0]);
        var q = context.ParamsOf(pad.Inputs[0]);
        int y = context.NewCodes(pad.Output, q);
        context.Emit(Params(pad, context, q.Quantize(pad.Value)), [x], [y]);
        context.Summarize(pad, "Pad", int8: true);
    }
}
