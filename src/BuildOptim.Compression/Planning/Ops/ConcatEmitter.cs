using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Concat: blocks copied into the output; on codes, inputs whose parameters differ from the output's are requantized.</summary>
internal sealed class ConcatEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    private static (int Outer, int OutputInner, int[] Inner, int[] Offsets) Blocks(ConcatLayer c, CompileContext context)
    {
        var outShape = context.Network.Value(c.Output).Shape;
        int outer = outShape.Take(c.Axis).Aggregate(1, (p, d) => p * d);
        int after = outShape.Skip(c.Axis + 1).Aggregate(1, (p, d) => p * d);
        var inner = c.Inputs.Select(v => context.Network.Value(v).Shape[c.Axis] * after).ToArray();
        var offsets = new int[inner.Length];
        for (int i = 1; i < inner.Length; i++)
        {
            offsets[i] = offsets[i - 1] + inner[i - 1];
        }

        return (outer, outShape[c.Axis] * after, inner, offsets);
    }

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (ConcatLayer)layer;
        var (outer, outputInner, inner, offsets) = Blocks(c, context);
        var inputs = c.Inputs.Select(context.Float).ToArray();
        int y = context.NewFloat(c.Output);
        var blocks = inner.Select((length, i) => new ConcatF32Input(length, offsets[i])).ToArray();
        context.Emit(new ConcatF32Parameters(outer, outputInner, blocks), inputs, [y]);
        context.Summarize(c, "Concat", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var c = (ConcatLayer)layer;
        var (outer, outputInner, inner, offsets) = Blocks(c, context);
        var inputs = c.Inputs.Select(context.Codes).ToArray();
        var py = context.Calibrated(c.Output)!.Value;
        int y = context.NewCodes(c.Output, py);
        int temp = context.Temporary(BufferKind.UInt8, inner.Max() * outer);
        var blocks = new ConcatU8Input[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var pi = context.ParamsOf(c.Inputs[i]);
            bool same = pi.Scale == py.Scale && pi.ZeroPoint == py.ZeroPoint;
            var (m, s) = same ? (0, 1) : Kernels.RequantizeU8Multiplier(pi.Scale, py.Scale);
            blocks[i] = new ConcatU8Input(inner[i], offsets[i], pi.ZeroPoint, m, s, Requantize: !same);
        }

        context.Emit(new ConcatU8Parameters(outer, outputInner, py.ZeroPoint, blocks), inputs, [y, temp]);
        context.Summarize(c, "Concat", int8: true);
    }
}
