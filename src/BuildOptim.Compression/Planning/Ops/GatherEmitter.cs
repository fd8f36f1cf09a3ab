using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Compression.Planning.Ops;

/// <summary>
/// Gather: a float op (an embedding table stays float in a static int8 plan; its reader dequantizes nothing). In a
/// <see cref="QuantizationScheme.Dynamic"/> plan, an embedding lookup — axis 0 of a constant 2-D table of at least
/// <see cref="MinimumInt8Table"/> values — keeps its table as int8 rows with a symmetric scale each
/// (<see cref="OpKind.GatherRowsS8F32"/>).
/// </summary>
internal sealed class GatherEmitter : ILayerEmitter, IDynamicInt8Emitter
{
    /// <summary>Smaller tables (BERT's two token-type rows) stay float: they cost little and every value of them is read.</summary>
    internal const int MinimumInt8Table = 4096;

    public bool SupportsInt8(Layer layer, CompileContext context) => false;

    public bool SupportsDynamicInt8(Layer layer, CompileContext context)
        => layer is GatherLayer { Axis: 0 } g
            && context.Producer(g.Inputs[0]) is ConstantLayer
            && context.Network.Value(g.Inputs[0]) is { Shape.Length: 2, IsFloat: true, Length: >= MinimumInt8Table }
            && context.Network.Value(g.Output).IsFloat;

    public void EmitFloat(Layer layer, CompileContext context)
    {
        var g = (GatherLayer)layer;
        var data = context.Network.Value(g.Inputs[0]).Shape;
        int outer = data.Take(g.Axis).Aggregate(1, (p, d) => p * d);
        int inner = data.Skip(g.Axis + 1).Aggregate(1, (p, d) => p * d);
        int x = context.Float(g.Inputs[0]);
        int indices = context.Float(g.Inputs[1]);
        int y = context.NewFloat(g.Output);
        context.Emit(new GatherF32Parameters(outer, data[g.Axis], inner, context.Network.Value(g.Inputs[1]).Length), [x, indices], [y]);
        context.Summarize(g, "Gather", int8: false);
    }

    /// <summary><c>y[k, :] = (float)Q[j, :] · Scale[j]</c>, <c>j = indices[k]</c>, with the rows quantized as dense weights are (<see cref="WeightQuantizer.QuantizeRows"/>).</summary>
    public void EmitInt8(Layer layer, CompileContext context)
    {
        var g = (GatherLayer)layer;
        var table = ((ConstantLayer)context.Producer(g.Inputs[0])!).Data;
        var shape = context.Network.Value(g.Inputs[0]).Shape;
        int rows = shape[0], inner = shape[1];
        var (q, scales) = WeightQuantizer.QuantizeRows(table, inner, rows);
        int indices = context.Float(g.Inputs[1]);
        int y = context.NewFloat(g.Output);
        context.Emit(new GatherRowsS8F32Parameters(rows, inner, context.Network.Value(g.Inputs[1]).Length), [indices], [y],
            context.Data<sbyte>(q), context.Data<float>(Array.ConvertAll(scales, s => (float)s)));
        context.Summarize(g, "Gather", int8: true, 0, (long)table.Length * sizeof(float), q.Length + ((long)rows * sizeof(float)));
    }
}
