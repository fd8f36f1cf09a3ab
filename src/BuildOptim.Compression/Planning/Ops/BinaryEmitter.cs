using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
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
        var broadcast = Broadcast(context.Network.Value(b.Inputs[0]).Shape, context.Network.Value(b.Inputs[1]).Shape);
        var op = b.Kind switch
        {
            BinaryKind.Add => BinaryOp.Add,
            BinaryKind.Sub => BinaryOp.Sub,
            BinaryKind.Mul => BinaryOp.Mul,
            BinaryKind.Div => BinaryOp.Div,
            _ => BinaryOp.PRelu,
        };
        context.Emit(new BinaryF32Parameters(op, broadcast), [x, w], [result]);
        if (b.Activation is { } activation)
        {
            // The fused Relu or Clip as the float op it was before fusion (Clip's bounds as alpha and beta).
            context.Emit(new ActivationF32Parameters(length, ActivationEmitter.ToRuntime(activation.Kind), activation.Min, activation.Max), [result], [y]);
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
        var broadcast = Broadcast(context.Network.Value(b.Inputs[0]).Shape, context.Network.Value(b.Inputs[1]).Shape);
        int y = context.NewCodes(b.Output, py);
        var (lo, hi) = CodeClamp(b.Activation, py);
        if (b.Kind == BinaryKind.Mul)
        {
            var (m, s) = FixedPoint.QuantizeMultiplier((double)pa.Scale * pb.Scale / py.Scale);
            context.Emit(new MulU8Parameters(broadcast, pa.ZeroPoint, pb.ZeroPoint, m, s, py.ZeroPoint, lo, hi), [x, w], [y]);
        }
        else
        {
            // y = clamp(⌊(qa·Ma ± qb·Mb + C) / 2^S⌋): Ma ≈ Sa/Sy·2^S, Mb ≈ Sb/Sy·2^S, C holds the zero points and the rounding.
            var add = Kernels.AddU8Coefficients(pa.Scale, pa.ZeroPoint, pb.Scale, pb.ZeroPoint, py.Scale, py.ZeroPoint, b.Kind == BinaryKind.Sub, lo, hi);
            context.Emit(new AddU8Parameters(broadcast, add), [x, w], [y]);
        }

        context.Summarize(b, Kind(b), int8: true);
    }

    private static string Kind(BinaryLayer b) => b.Kind + (b.Activation is null ? "" : "+" + b.Activation.Kind);
}
