using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Add/Sub/Mul/Div/PRelu with numpy broadcasting. Add and Sub (residual connections) and Mul stay on
/// codes with integer-only rescaling; Div and PRelu run in float.
/// </summary>
internal sealed class BinaryEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => ((BinaryLayer)layer).Kind is BinaryKind.Add or BinaryKind.Sub or BinaryKind.Mul;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var b = (BinaryLayer)layer;
        int x = context.Float(b.Inputs[0]);
        int w = context.Float(b.Inputs[1]);
        int y = context.NewFloat(b.Output);
        int length = context.Network.Value(b.Output).Shape.Aggregate(1, (p, d) => p * d);
        int result = b.Activation is null ? y : context.Temporary(BufferKind.Float32, length);
        var broadcast = EmitHelpers.EncodeBroadcast(context.Network.Value(b.Inputs[0]).Shape, context.Network.Value(b.Inputs[1]).Shape);
        var op = b.Kind switch
        {
            BinaryKind.Add => BinaryOp.Add,
            BinaryKind.Sub => BinaryOp.Sub,
            BinaryKind.Mul => BinaryOp.Mul,
            BinaryKind.Div => BinaryOp.Div,
            _ => BinaryOp.PRelu,
        };
        context.Emit(OpKind.BinaryF32, [x, w], [result], [(int)op, .. broadcast]);
        if (b.Activation is { } activation)
        {
            // The fused Relu or Clip as the float op it was before fusion (Clip's bounds as alpha and beta).
            context.Emit(OpKind.ActivationF32, [result], [y], [length, (int)ActivationEmitter.ToRuntime(activation.Kind), Bits(activation.Min), Bits(activation.Max)]);
        }

        context.Summarize(b, Kind(b), int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var b = (BinaryLayer)layer;
        int x = context.Codes(b.Inputs[0]);
        int w = context.Codes(b.Inputs[1]);
        var pa = context.ParamsOf(b.Inputs[0]);
        var pb = context.ParamsOf(b.Inputs[1]);
        var py = context.Calibrated(b.Output)!.Value;
        var broadcast = EmitHelpers.EncodeBroadcast(context.Network.Value(b.Inputs[0]).Shape, context.Network.Value(b.Inputs[1]).Shape);
        int y = context.NewCodes(b.Output, py);
        var (lo, hi) = CodeClamp(b.Activation, py);
        if (b.Kind == BinaryKind.Mul)
        {
            var (m, s) = FixedPoint.QuantizeMultiplier((double)pa.Scale * pb.Scale / py.Scale);
            context.Emit(OpKind.MulU8, [x, w], [y], [.. broadcast, pa.ZeroPoint, pb.ZeroPoint, m, s, py.ZeroPoint, lo, hi]);
        }
        else
        {
            // y = clamp(⌊(qa·Ma ± qb·Mb + C) / 2^S⌋): Ma ≈ Sa/Sy·2^S, Mb ≈ Sb/Sy·2^S, C holds the zero points and the rounding.
            var add = Kernels.AddU8Coefficients(pa.Scale, pa.ZeroPoint, pb.Scale, pb.ZeroPoint, py.Scale, py.ZeroPoint, b.Kind == BinaryKind.Sub, lo, hi);
            context.Emit(OpKind.AddU8, [x, w], [y], [.. broadcast, add.MultiplierA, add.MultiplierB, add.Offset, add.Shift, add.ClampMin, add.ClampMax]);
        }

        context.Summarize(b, Kind(b), int8: true);
    }

    private static string Kind(BinaryLayer b) => b.Kind + (b.Activation is null ? "" : "+" + b.Activation.Kind);
}

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
        var p = new List<int> { outer, outputInner };
        for (int i = 0; i < inputs.Length; i++)
        {
            p.Add(inner[i]);
            p.Add(offsets[i]);
        }

        context.Emit(OpKind.ConcatF32, inputs, [y], [.. p]);
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
        var p = new List<int> { outer, outputInner, py.ZeroPoint };
        for (int i = 0; i < inputs.Length; i++)
        {
            var pi = context.ParamsOf(c.Inputs[i]);
            bool same = pi.Scale == py.Scale && pi.ZeroPoint == py.ZeroPoint;
            var (m, s) = same ? (0, 1) : Kernels.RequantizeU8Multiplier(pi.Scale, py.Scale);
            p.AddRange([inner[i], offsets[i], pi.ZeroPoint, m, s, same ? 0 : 1]);
        }

        context.Emit(OpKind.ConcatU8, inputs, [y, temp], [.. p]);
        context.Summarize(c, "Concat", int8: true);
    }
}

internal sealed class TransposeEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    private static int[] Params(TransposeLayer t, CompileContext context)
    {
        var dims = context.Network.Value(t.Inputs[0]).Shape;
        if (dims.Length > 6)
        {
            throw new NotSupportedException($"Transpose '{t.Name}' has rank {dims.Length}; at most 6 is supported.");
        }

        var p = new int[13];
        p[0] = dims.Length;
        dims.CopyTo(p, 1);
        t.Perm.CopyTo(p, 7);
        return p;
    }

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var t = (TransposeLayer)layer;
        int x = context.Float(t.Inputs[0]);
        int y = context.NewFloat(t.Output);
        context.Emit(OpKind.Transpose, [x], [y], Params(t, context));
        context.Summarize(t, "Transpose", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var t = (TransposeLayer)layer;
        int x = context.Codes(t.Inputs[0]);
        int y = context.NewCodes(t.Output, context.ParamsOf(t.Inputs[0]));
        context.Emit(OpKind.Transpose, [x], [y], Params(t, context));
        context.Summarize(t, "Transpose", int8: true);
    }
}

internal sealed class PadEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    private static int[] Params(PadLayer pad, CompileContext context, int value)
    {
        var dims = context.Network.Value(pad.Inputs[0]).Shape;
        if (dims.Length > 6)
        {
            throw new NotSupportedException($"Pad '{pad.Name}' has rank {dims.Length}; at most 6 is supported.");
        }

        var p = new int[21];
        p[0] = dims.Length;
        p[1] = (int)pad.Mode;
        p[2] = value;
        dims.CopyTo(p, 3);
        pad.Pads.CopyTo(p, 9);
        return p;
    }

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var pad = (PadLayer)layer;
        int x = context.Float(pad.Inputs[0]);
        int y = context.NewFloat(pad.Output);
        context.Emit(OpKind.Pad, [x], [y], Params(pad, context, EmitHelpers.Bits(pad.Value)));
        context.Summarize(pad, "Pad", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var pad = (PadLayer)layer;
        int x = context.Codes(pad.Inputs[0]);
        var q = context.ParamsOf(pad.Inputs[0]);
        int y = context.NewCodes(pad.Output, q);
        context.Emit(OpKind.Pad, [x], [y], Params(pad, context, q.Quantize(pad.Value)));
        context.Summarize(pad, "Pad", int8: true);
    }
}
