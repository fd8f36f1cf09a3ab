using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>The runtime's <see cref="VolumeGeometry"/> of the 3-D layers.</summary>
internal static class Volume3D
{
    public static AxisGeometry Axis(SpatialAxis a) => new(a.Input, a.Kernel, a.Stride, a.Dilation, a.PadBegin, a.PadEnd, a.Output);

    public static VolumeGeometry Geometry(Filter3DLayer l) => new(l.C, l.M, l.Group, Axis(l.Depth), Axis(l.Height), Axis(l.Width));

    public static VolumeGeometry Geometry(Pool3DLayer p) => new(p.C, p.C, 1, Axis(p.Depth), Axis(p.Height), Axis(p.Width));
}

/// <summary>3-D Conv (incl. grouped and depthwise): weights and bias as data sections; float in every plan (an fp32 island in int8 plans).</summary>
internal sealed class Conv3DEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (Conv3DLayer)layer;
        var g = Volume3D.Geometry(c);
        int batch = context.Network.Value(c.Inputs[0]).Length / g.InputLength;
        int x = context.Float(c.Inputs[0]);
        int y = context.NewFloat(c.Output);
        var (min, max) = FloatClamp(c.Activation);
        context.Emit(new Conv3DF32Parameters(batch, g, min, max), [x], [y], context.Data<float>(c.Weights), context.Data<float>(c.Bias));
        long bytes = ((long)c.Weights.Length + c.Bias.Length) * sizeof(float);
        context.Summarize(c, (g.IsDepthwise ? "DepthwiseConv3D" : "Conv3D") + (c.Activation is null ? "" : "+" + c.Activation.Kind), int8: false, parameterBytes: bytes, compressedBytes: bytes);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}

/// <summary>3-D ConvTranspose: weights [C, M/G, KD, KH, KW] and bias as data sections; float in every plan.</summary>
internal sealed class ConvTranspose3DEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (ConvTranspose3DLayer)layer;
        var g = Volume3D.Geometry(c);
        int batch = context.Network.Value(c.Inputs[0]).Length / g.InputLength;
        int x = context.Float(c.Inputs[0]);
        int y = context.NewFloat(c.Output);
        context.Emit(new ConvTranspose3DF32Parameters(batch, g), [x], [y], context.Data<float>(c.Weights), context.Data<float>(c.Bias));
        long bytes = ((long)c.Weights.Length + c.Bias.Length) * sizeof(float);
        context.Summarize(c, "ConvTranspose3D", int8: false, parameterBytes: bytes, compressedBytes: bytes);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}

/// <summary>3-D MaxPool and AveragePool; float in every plan.</summary>
internal sealed class Pool3DEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var p = (Pool3DLayer)layer;
        int x = context.Float(p.Inputs[0]);
        int y = context.NewFloat(p.Output);
        context.Emit(new Pool3DF32Parameters(Volume3D.Geometry(p), Average: p.Kind != PoolKind.Max, p.CountIncludePad), [x], [y]);
        context.Summarize(p, p.Kind + "Pool3D", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
