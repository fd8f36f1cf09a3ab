using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// The int8 layers of a <see cref="QuantizationScheme.Dynamic"/> plan (a text model's) as ONNX Runtime runs dynamic
/// quantization, in standard opset-13 nodes that its graph optimizer fuses into its own int8 kernels.
/// </summary>
internal static class DynamicInt8Exporters
{
    /// <summary>
    /// A dense layer: <c>DynamicQuantizeLinear(x) → MatMulInteger(codes, W_q, zeroPoint) → Cast → Mul(scale · weightScale[n])
    /// → Add(bias)</c>, the int8 weights [K, N] quantized per output channel as the plan quantizes them
    /// (<see cref="WeightQuantizer.QuantizeRows"/>, 8-bit, or 7-bit in int8 containers for a 7-bit layer). ONNX Runtime (<c>ORT_ENABLE_ALL</c>) fuses the chain into one
    /// <c>com.microsoft</c> <c>DynamicQuantizeMatMul</c>. The activation is quantized per tensor (one scale for all of the
    /// layer's rows), as <c>DynamicQuantizeLinear</c> defines it; the plan quantizes each row (token) with its own scale,
    /// which ONNX Runtime has no operator for, so the two agree closely rather than bit for bit; and always to 8 bits, where
    /// a 7-bit layer of the plan quantizes its rows to 7.
    /// </summary>
    public static void Dense(DenseLayer d, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var inputShape = writer.ShapeOf(d.Inputs[0]);
        if (inputShape[^1] != d.K)
        {
            throw new NotSupportedException($"Dense '{d.Name}' reads [{string.Join(",", inputShape)}], whose last dim is not K = {d.K}.");
        }

        string x = writer.Input(d, d.Inputs[0]);
        string output = writer.Output(d.Output);
        var (q, scales) = WeightQuantizer.QuantizeRows(d.Weights, d.K, d.N, d.WeightBits);
        string weights = graph.Int8s(d.Name + "_weight_quantized", QuantizedWeights.Transpose(q, d.N, d.K), [d.K, d.N]);
        string weightScale = graph.Floats(d.Name + "_weight_scale", scales.Select(s => (float)s).ToArray(), [d.N]);

        string codes = graph.Unique(d.Name + "_input_quantized");
        string scale = graph.Unique(d.Name + "_input_scale");
        string zeroPoint = graph.Unique(d.Name + "_input_zero_point");
        graph.Node("DynamicQuantizeLinear", d.Name + "_DynamicQuantizeLinear", [x], [codes, scale, zeroPoint]);
        string accumulators = graph.Unique(d.Name + "_accumulators");
        graph.Node("MatMulInteger", d.Name + "_MatMulInteger", [codes, weights, zeroPoint], accumulators);
        string floats = graph.Unique(d.Name + "_accumulators_float");
        graph.Node("Cast", d.Name + "_Cast", [accumulators], floats, Int("to", (long)TensorProto.Types.DataType.Float));
        string unit = graph.Unique(d.Name + "_output_scale");
        graph.Node("Mul", d.Name + "_output_scale", [scale, weightScale], unit);
        string scaled = graph.Unique(d.Name + "_scaled");
        graph.Node("Mul", d.Name + "_scale", [floats, unit], scaled);
        string product = d.Activation is null ? output : graph.Unique(d.Name + "_linear");
        graph.Node("Add", d.Name, [scaled, graph.Floats(d.Name + "_bias", d.Bias, [d.N])], product);
        writer.FusedActivationNode(d.Name, d.Activation, product, output);
        writer.Written(d.Output, output);
    }

    /// <summary>
    /// An embedding lookup in the plan's int8 table: <c>Cast(Gather(Q, indices)) · Gather(scale, indices)</c>, the rows
    /// quantized as the plan quantizes them (<see cref="WeightQuantizer.QuantizeRows"/>, one symmetric scale per row), so only
    /// the looked-up rows are converted to float on a call, and exactly as the plan converts them.
    /// </summary>
    public static void Gather(GatherLayer g, QdqGraphWriter writer)
    {
        var graph = writer.Graph;
        var table = (ConstantLayer)writer.Network.Layers.Single(l => l.Output == g.Inputs[0]);
        var shape = writer.ShapeOf(g.Inputs[0]);
        int rows = shape[0], inner = shape[1];
        var (q, scales) = WeightQuantizer.QuantizeRows(table.Data, inner, rows);
        string name = writer.Network.Value(g.Inputs[0]).Name;
        string codes = graph.Int8s(name + "_quantized", q, [rows, inner]);
        string rowScales = graph.Floats(name + "_row_scale", scales.Select(s => (float)s).ToArray(), [rows, 1]);
        string indices = writer.Input(g, g.Inputs[1]);
        string output = writer.Output(g.Output);

        string gathered = graph.Unique(g.Name + "_codes");
        graph.Node("Gather", g.Name + "_codes", [codes, indices], gathered, Int("axis", 0));
        string floats = graph.Unique(g.Name + "_codes_float");
        graph.Node("Cast", g.Name + "_Cast", [gathered], floats, Int("to", (long)TensorProto.Types.DataType.Float));
        string scale = graph.Unique(g.Name + "_scale");
        graph.Node("Gather", g.Name + "_scale", [rowScales, indices], scale, Int("axis", 0));
        graph.Node("Mul", g.Name, [floats, scale], output);
        writer.Written(g.Output, output);
    }
}
