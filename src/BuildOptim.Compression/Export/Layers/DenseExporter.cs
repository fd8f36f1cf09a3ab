using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>
/// Gemm (transB = 1) on a 2-D input, MatMul (+ Add of the bias) otherwise; int8 weights per output channel when the
/// plan runs the layer in int8; a fused activation as its own node. In a dynamic plan, the form of
/// <see cref="DynamicInt8Exporters.Dense"/>.
/// </summary>
internal sealed class DenseExporter : LayerExporter<DenseLayer>
{
    protected override void Write(DenseLayer d, QdqGraphWriter writer)
    {
        if (writer.Codes.IsDynamic && writer.Codes.RunsInt8(d))
        {
            DynamicInt8Exporters.Dense(d, writer);
            return;
        }

        var graph = writer.Graph;
        var inputShape = writer.ShapeOf(d.Inputs[0]);
        string x = writer.Input(d, d.Inputs[0]);
        string output = writer.Output(d.Output);
        bool gemm = inputShape.Length == 2;
        if (!gemm && inputShape[^1] != d.K)
        {
            throw new NotSupportedException($"Dense '{d.Name}' reads [{string.Join(",", inputShape)}], whose last dim is not K = {d.K}.");
        }

        // Gemm takes the [N, K] rows as they are (transB = 1); MatMul needs [K, N], with the channel axis 1.
        var weights = gemm ? d.Weights : QuantizedWeights.Transpose(d.Weights, d.N, d.K);
        int[] weightDims = gemm ? [d.N, d.K] : [d.K, d.N];
        int channelAxis = gemm ? 0 : 1;
        string w, b;
        if (writer.Codes.RunsInt8(d))
        {
            var (q, scales) = WeightQuantizer.QuantizeRows(d.Weights, d.K, d.N, d.WeightBits);
            w = QuantizedWeights.Weights(graph, d.Name, gemm ? q : QuantizedWeights.Transpose(q, d.N, d.K), weightDims, scales, channelAxis);
            b = gemm ? QuantizedWeights.Bias(graph, d.Name, d.Bias, scales, writer.Codes.ParamsOf(d.Inputs[0])) : graph.Floats(d.Name + "_bias", d.Bias, [d.N]);
        }
        else
        {
            w = graph.Floats(d.Name + "_weight", weights, weightDims);
            b = graph.Floats(d.Name + "_bias", d.Bias, [d.N]);
        }

        string product = d.Activation is null ? output : graph.Unique(d.Name + "_linear");
        if (gemm)
        {
            graph.Node("Gemm", d.Name, [x, w, b], product, Int("transB", 1));
        }
        else if (d.Bias.All(v => v == 0))
        {
            graph.Node("MatMul", d.Name, [x, w], product);
        }
        else
        {
            string matmul = graph.Unique(d.Name + "_matmul");
            graph.Node("MatMul", d.Name, [x, w], matmul);
            graph.Node("Add", d.Name + "_bias_add", [matmul, b], product);
        }

        writer.FusedActivationNode(d.Name, d.Activation, product, output);
        writer.Written(d.Output, output);
    }
}
