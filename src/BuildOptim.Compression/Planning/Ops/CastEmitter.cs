using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Cast of a runtime tensor: truncation (float to an integer type) or x ≠ 0 (to bool) as a float op; every other
/// conversion changes nothing the plan holds, so the output shares the input's buffer.
/// </summary>
internal sealed class CastEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    /// <summary>What the cast does to the float32 a plan holds, or null when it changes nothing.</summary>
    public static CastMode? Mode(ElementType from, ElementType to) => (from, to) switch
    {
        (ElementType.Bool, _) or (_, ElementType.Float) => null,
        (_, ElementType.Bool) => CastMode.NotZero,
        (ElementType.Float, _) => CastMode.Truncate,
        _ => null, // between integer types: the plan holds integers within 2^24, which both hold
    };

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (CastLayer)layer;
        var input = context.Network.Value(c.Inputs[0]);
        int x = context.Float(c.Inputs[0]);
        if (Mode(input.Type, c.To) is not { } mode)
        {
            context.Alias(c.Output, c.Inputs[0]);
            return;
        }

        int y = context.NewFloat(c.Output);
        context.Emit(new CastF32Parameters(input.Length, mode), [x], [y]);
        context.Summarize(c, "Cast", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
