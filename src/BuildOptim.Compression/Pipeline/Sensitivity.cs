using BuildOptim.Compression.Artifacts;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Pipeline;

/// <summary>How much each layer costs the gate's metric in int8: the order <c>Fallback="Auto"</c> keeps layers in fp32.</summary>
internal static class Sensitivity
{
    /// <summary>Sensitivity analysis evaluates at most this many samples per layer.</summary>
    public const int Samples = 500;

    /// <summary>What a sensitivity measures: <c>accuracy</c> with labels, else <c>agreement</c> for classifiers, else <c>cosine</c>.</summary>
    internal static string MetricName(bool labels, bool classifier) => labels ? "accuracy" : classifier ? "agreement" : "cosine";

    /// <summary>Most sensitive first; ties in network order.</summary>
    internal static List<string> FallbackOrder(Dictionary<string, double> sensitivities, Network model)
        => [.. sensitivities.OrderByDescending(kv => kv.Value).ThenBy(kv => model.Layers.FindIndex(l => l.Name == kv.Key)).Select(kv => kv.Key)];

    /// <summary>
    /// Sensitivity of each Dense/Conv layer: how much the gate's metric improves when that layer alone
    /// runs in fp32 (accuracy with labels, else agreement for classifiers, else mean cosine), measured on
    /// at most <see cref="Samples"/> evaluation samples.
    /// </summary>
    internal static Dictionary<string, double> Measure(SearchContext c, Candidate baseline)
        => Sensitivity.Measure(c, baseline, baseline.Model.Layers.Where(l => l is DenseLayer or ConvLayer).Select(l => l.Name), new HashSet<string>());

    /// <summary>
    /// The sensitivity of each of <paramref name="layers"/> over <paramref name="baseline"/>, whose plan keeps
    /// <paramref name="floatLayers"/> in fp32: how much the gate's metric improves when that layer runs in fp32 as well.
    /// </summary>
    internal static Dictionary<string, double> Measure(SearchContext c, Candidate baseline, IEnumerable<string> layers, IReadOnlySet<string> floatLayers)
    {
        var result = new Dictionary<string, double>();
        var model = baseline.Model;
        int count = Math.Min(c.Evaluation!.SampleCount, Samples);
        var referenceSlice = c.Reference.AsSpan(0, count * model.OutputLength).ToArray();
        var labelSlice = c.Labels?.Take(count).ToArray();
        bool classifier = ModelKinds.IsClassifier(model);
        double Score(Metrics m) => m.CompressedAccuracy ?? (classifier ? m.Agreement : m.MeanCosine);
        double baseScore = Score(Metrics.Compute(referenceSlice, baseline.Outputs.AsSpan(0, count * model.OutputLength).ToArray(), model.OutputLength, labelSlice));
        foreach (string layer in layers)
        {
            var plan = PlanCompiler.Compile(model, QuantizeMode.Int8, baseline.Ranges, new HashSet<string>(floatLayers) { layer }, sharedWeights: baseline.Shared);
            var m = Metrics.Compute(referenceSlice, PlanOutputs.Run(plan.Bytes, c.Evaluation, count), model.OutputLength, labelSlice);
            result[layer] = Score(m) - baseScore;
        }

        return result;
    }
}
