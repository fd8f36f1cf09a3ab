using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>ConvTranspose: weights [C, M/G, KH, KW] and bias as data sections; float in every plan (an fp32 island in int8 plans).</summary>
internal sealed class ConvTransposeEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public static ConvGeometry Geometry(ConvTransposeLayer c) => new(c.C, c.H, c.W, c.M, c.KH, c.KW, c.StrideH, c.StrideW, c.PadTop, c.PadLeft, c.DilationH, c.DilationW, c.Group, c.OH, c.OW);

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (ConvTransposeLayer)layer;
        var g = Geometry(c);
        int batch = context.Network.Value(c.Inputs[0]).Length / g.InputLength;
        int x = context.Float(c.Inputs[0]);
        int y = context.NewFloat(c.Output);
        context.Emit(new ConvTransposeF32Parameters(batch, g), [x], [y], context.Data<float>(c.Weights), context.Data<float>(c.Bias));
        long bytes = ((long)c.Weights.Length + c.Bias.Length) * sizeof(float);
        context.Summarize(c, "ConvTranspose", int8: false, parameterBytes: bytes, compressedBytes: bytes);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
