using BuildOptim.Compression.Planning;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export.Layers;

/// <summary>The int8 weights and int32 biases of an int8 Dense or Conv, as the plan quantizes them, behind DequantizeLinear.</summary>
internal static class QuantizedWeights
{
    /// <summary>Int8 weights with one scale per output channel along <paramref name="channelAxis"/> and zero points 0.</summary>
    public static string Weights(OnnxGraphBuilder graph, string layer, sbyte[] q, int[] dims, double[] scales, int channelAxis)
    {
        int channels = scales.Length;
        string values = graph.Int8s(layer + "_weight_quantized", q, dims);
        string scale = graph.Floats(layer + "_weight_scale", scales.Select(s => (float)s).ToArray(), [channels]);
        string zeroPoint = graph.Int8s(layer + "_weight_zero_point", new sbyte[channels], [channels]);
        string weights = graph.Unique(layer + "_weight");
        graph.Node("DequantizeLinear", layer + "_weight_DequantizeLinear", [values, scale, zeroPoint], weights, Int("axis", channelAxis));
        return weights;
    }

    /// <summary>
    /// Int32 bias in units of <c>inputScale · weightScale[n]</c>, rounded as <see cref="WeightQuantizer.QuantizeBias"/>
    /// rounds it before folding the input zero point (which the QDQ graph keeps explicit).
    /// </summary>
    public static string Bias(OnnxGraphBuilder graph, string layer, float[] bias, double[] weightScales, QuantParams input)
    {
        int n = bias.Length;
        var q = new int[n];
        var scale = new float[n];
        for (int i = 0; i < n; i++)
        {
            double unit = input.Scale * weightScales[i];
            q[i] = (int)Math.Clamp(Math.Round(bias[i] / unit, MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            scale[i] = (float)unit;
        }

        string values = graph.Int32s(layer + "_bias_quantized", q, [n]);
        string scales = graph.Floats(layer + "_bias_scale", scale, [n]);
        string zeroPoint = graph.Int32s(layer + "_bias_zero_point", new int[n], [n]);
        string result = graph.Unique(layer + "_bias");
        graph.Node("DequantizeLinear", layer + "_bias_DequantizeLinear", [values, scales, zeroPoint], result, Int("axis", 0));
        return result;
    }

    /// <summary>[N, K] rows as [K, N].</summary>
    public static T[] Transpose<T>(T[] rows, int n, int k)
    {
        var result = new T[rows.Length];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < k; j++)
            {
                result[j * n + i] = rows[i * k + j];
            }
        }

        return result;
    }
}
