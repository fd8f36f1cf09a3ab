using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Compression.Planning.Ops.EmitHelpers;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// A constant operand: written into its own buffer once, when the runner is created. It is stored as codes only when a
/// reader could take them: a constant only float layers read (an embedding table for Gather, a mask value for Where)
/// stays float rather than be dequantized on every call.
/// </summary>
internal sealed class ConstantEmitter : ILayerEmitter, IDynamicInt8Emitter
{
    public bool SupportsInt8(Layer layer, CompileContext context)
        => context.Consumers(layer.Output).Any(c => LayerEmitters.For(c).SupportsInt8(c, context));

    /// <summary>An embedding table that only int8 lookups read is stored by them, as int8 rows; see <see cref="EmitInt8"/>.</summary>
    public bool SupportsDynamicInt8(Layer layer, CompileContext context) => true;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var k = (ConstantLayer)layer;
        int y = context.NewFloat(k.Output, pinned: true);
        context.Emit(new ConstantParameters(k.Data.Length), [], [y], context.Data<float>(k.Data));
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var k = (ConstantLayer)layer;
        if (context.Scheme == QuantizationScheme.Dynamic)
        {
            // Read only as the table of int8 Gathers (which store it themselves): nothing to emit; otherwise a float constant.
            var readers = context.Consumers(k.Output);
            if (readers.Count == 0 || context.IsGraphOutput(k.Output) || !readers.All(c => c is GatherLayer && c.Inputs[0] == k.Output && c.Inputs[1] != k.Output && context.RunsInt8(c)))
            {
                EmitFloat(layer, context);
            }

            return;
        }

        var p = context.Calibrated(k.Output)!.Value;
        var codes = k.Data.Select(v => p.Quantize(v)).ToArray();
        int y = context.NewCodes(k.Output, p, pinned: true);
        context.Emit(new ConstantParameters(codes.Length), [], [y], context.Data<byte>(codes));
    }
}

/// <summary>Reshape, Flatten, Squeeze, Unsqueeze: the data does not move; the output shares the input's buffers.</summary>
internal sealed class ReshapeEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        context.Float(layer.Inputs[0]);
        context.Alias(layer.Output, layer.Inputs[0]);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        if (!context.HasCodes(layer.Inputs[0]) && !context.HasFloat(layer.Inputs[0]))
        {
            context.Codes(layer.Inputs[0]);
        }

        context.Alias(layer.Output, layer.Inputs[0]);
    }
}

/// <summary>MaxPool on codes is exact (max commutes with a monotonic map); AveragePool sums codes and rounds.</summary>
internal sealed class PoolEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    public static PoolGeometry Geometry(PoolLayer p) => new(p.C, p.H, p.W, p.KH, p.KW, p.StrideH, p.StrideW, p.PadTop, p.PadLeft, p.PadBottom, p.PadRight, p.DilationH, p.DilationW, p.OH, p.OW);

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var p = (PoolLayer)layer;
        int x = context.Float(p.Inputs[0]);
        int y = context.NewFloat(p.Output);
        context.Emit(new PoolF32Parameters(Geometry(p), Average: p.Kind != PoolKind.Max, p.CountIncludePad), [x], [y]);
        context.Summarize(p, p.Kind + "Pool", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var p = (PoolLayer)layer;
        int x = context.Codes(p.Inputs[0]);
        var q = context.ParamsOf(p.Inputs[0]);
        int y = context.NewCodes(p.Output, q);
        context.Emit(new PoolU8Parameters(Geometry(p), Average: p.Kind != PoolKind.Max, p.CountIncludePad, q.ZeroPoint), [x], [y]);
        context.Summarize(p, p.Kind + "Pool", int8: true);
    }
}

internal sealed class GlobalPoolEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => true;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var p = (GlobalPoolLayer)layer;
        int x = context.Float(p.Inputs[0]);
        int y = context.NewFloat(p.Output);
        context.Emit(new GlobalPoolF32Parameters(p.C, p.Spatial, Average: p.Kind != PoolKind.Max), [x], [y]);
        context.Summarize(p, "Global" + p.Kind + "Pool", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context)
    {
        var p = (GlobalPoolLayer)layer;
        int x = context.Codes(p.Inputs[0]);
        int y = context.NewCodes(p.Output, context.ParamsOf(p.Inputs[0]));
        context.Emit(new GlobalPoolU8Parameters(p.C, p.Spatial, Average: p.Kind != PoolKind.Max), [x], [y]);
        context.Summarize(p, "Global" + p.Kind + "Pool", int8: true);
    }
}

internal sealed class SoftmaxEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var s = (SoftmaxLayer)layer;
        int x = context.Float(s.Inputs[0]);
        int y = context.NewFloat(s.Output);
        context.Emit(new SoftmaxF32Parameters(s.Outer, s.AxisSize, s.Inner, s.Log), [x], [y]);
        context.Summarize(s, s.Log ? "LogSoftmax" : "Softmax", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}

internal sealed class LrnEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var l = (LrnLayer)layer;
        var shape = context.Network.Value(l.Inputs[0]).Shape;
        int x = context.Float(l.Inputs[0]);
        int y = context.NewFloat(l.Output);
        int spatial = shape.Skip(2).Aggregate(1, (p, d) => p * d);
        context.Emit(new LrnF32Parameters(shape[0], shape[1], spatial, l.Size, l.Alpha, l.Beta, l.Bias), [x], [y]);
        context.Summarize(l, "LRN", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}

internal sealed class ChannelAffineEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var c = (ChannelAffineLayer)layer;
        var shape = context.Network.Value(c.Inputs[0]).Shape;
        int x = context.Float(c.Inputs[0]);
        int y = context.NewFloat(c.Output);
        int spatial = shape.Skip(2).Aggregate(1, (p, d) => p * d);
        context.Emit(new ChannelAffineF32Parameters(shape[0], shape[1], spatial), [x], [y], context.Data<float>(c.Scale), context.Data<float>(c.Shift));
        context.Summarize(c, "BatchNormalization", int8: false, parameterBytes: c.Scale.Length * 8L, compressedBytes: c.Scale.Length * 8L);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}

internal sealed class MatMulEmitter : ILayerEmitter
{
    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var a = context.Network.Value(layer.Inputs[0]).Shape;
        var b = context.Network.Value(layer.Inputs[1]).Shape;
        int[] a2 = a.Length == 1 ? [1, a[0]] : a;
        int[] b2 = b.Length == 1 ? [b[0], 1] : b;
        int m = a2[^2], k = a2[^1], n = b2[^1];
        int batchA = a2[..^2].Aggregate(1, (p, d) => p * d);
        int batchB = b2[..^2].Aggregate(1, (p, d) => p * d);
        int x = context.Float(layer.Inputs[0]);
        int w = context.Float(layer.Inputs[1]);
        int y = context.NewFloat(layer.Output);
        bool sameBatches = a2[..^2].SkipWhile(d => d == 1).SequenceEqual(b2[..^2].SkipWhile(d => d == 1));
        if (batchA != 1 && batchB != 1 && !sameBatches)
        {
            // Batch dims broadcast partially ([3, 1] with [1, 2]; [1, 2] with [2, 1]): each output matrix picks its operands by index.
            var batch = Broadcast(a2[..^2], b2[..^2]);
            context.Emit(new MatMulBroadcastF32Parameters(m, k, n, batch), [x, w], [y]);
        }
        else
        {
            int batch = Math.Max(batchA, batchB);
            context.Emit(new MatMulF32Parameters(batch, m, k, n, BroadcastA: batchA == 1 && batch > 1, BroadcastB: batchB == 1 && batch > 1), [x, w], [y]);
        }

        context.Summarize(layer, "MatMul", int8: false);
    }

    public void EmitInt8(Layer layer, CompileContext context) => throw new NotSupportedException();
}
