using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>Activations: float kernels, or a 256-entry table from input codes to output codes.</summary>
internal sealed class ActivationEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    /// <summary>The runtime's activation of the same name (the plan stores its number).</summary>
    public static Activation ToRuntime(ActivationKind kind)
        => Enum.TryParse<Activation>(kind.ToString(), out var activation) ? activation : throw new NotSupportedException(kind.ToString());

    /// <summary>The activation in double precision (build-time tables): one line per <see cref="ActivationKind"/>.</summary>
    public static double Apply(ActivationLayer a, double x) => a.Kind switch
    {
        ActivationKind.Relu => Math.Max(0, x),
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-x)),
        ActivationKind.Tanh => Math.Tanh(x),
        ActivationKind.LeakyRelu => x >= 0 ? x : a.Alpha * x,
        ActivationKind.Clip => Math.Min(Math.Max(x, a.Alpha), a.Beta),
        ActivationKind.HardSigmoid => Math.Clamp(a.Alpha * x + a.Beta, 0, 1),
        ActivationKind.HardSwish => x * Math.Clamp(x / 6 + 0.5, 0, 1),
        ActivationKind.Elu => x >= 0 ? x : a.Alpha * (Math.Exp(x) - 1),
        ActivationKind.Selu => a.Beta * (x > 0 ? x : a.Alpha * (Math.Exp(x) - 1)),
        ActivationKind.Softplus => Math.Log(1 + Math.Exp(x)),
        ActivationKind.Softsign => x / (1 + Math.Abs(x)),
        ActivationKind.Exp => Math.Exp(x),
        ActivationKind.Log => Math.Log(x),
        ActivationKind.Abs => Math.Abs(x),
        ActivationKind.Neg => -x,
        ActivationKind.Sqrt => Math.Sqrt(x),
        ActivationKind.Reciprocal => 1 / x,
        ActivationKind.Erf => Kernels.ErfF32((float)x),
        ActivationKind.Gelu => Kernels.GeluF32((float)x),
        ActivationKind.GeluTanh => Kernels.GeluTanhF32((float)x),
        ActivationKind.Pow => Math.Pow(x, a.Alpha),
        _ => throw new NotSupportedException(a.Kind.ToString()),
    };

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var a = (ActivationLayer)layer;
        int length = context.Network.Value(a.Output).Length;
        int x = context.Float(a.Inputs[0]);
        int y = context.NewFloat(a.Output);
        context.Emit(new ActivationF32Parameters(length, ToRuntime(a.Kind), a.Alpha, a.Beta), [x], [y]);
        context.Summarize(a, a.Kind.ToString(), int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var a = (ActivationLayer)layer;
        int length = context.Network.Value(a.Output).Length;
        int x = context.Codes(a.Inputs[0]);
        var input = context.ParamsOf(a.Inputs[0]);
        var output = context.Calibrated(a.Output)!.Value;
        var table = new byte[256];
        for (int code = 0; code < 256; code++)
        {
            table[code] = output.Quantize(Apply(a, input.Dequantize(code)));
        }

        int y = context.NewCodes(a.Output, output);
        context.Emit(new LookupU8Parameters(length), [x], [y], context.Data<byte>(table));
        context.Summarize(a, a.Kind.ToString(), int8: true, compressedBytes: 256);
    }
}
