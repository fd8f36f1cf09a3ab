using System.Globalization;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Reporting;
using BuildOptim.Onnx;

namespace BuildOptim.Compression.Pipeline;

/// <summary>What the run knows when its gate has failed: the figures advice is built from.</summary>
/// <param name="Sensitivities">Each Dense/Conv layer's gain of <paramref name="SensitivityMetric"/> alone in fp32 (fractions, or cosine).</param>
/// <param name="Sparsity">The kept model's sparsity; null without pruning.</param>
/// <param name="Clusters">The kept model's clusters per layer (0 = no sharing).</param>
/// <param name="FallbackLayers">Layers <c>Fallback="Auto"</c> kept in fp32.</param>
internal sealed record AdviceFacts(
    CompressionOptions Options,
    Metrics Metrics,
    IReadOnlyDictionary<string, double> Sensitivities,
    string SensitivityMetric,
    int SensitivitySamples,
    int? CalibrationSamples,
    double? Sparsity,
    int Clusters,
    IReadOnlyList<string> FallbackLayers);

/// <summary>
/// What would help a failed gate, each with the figures behind it: <c>Fallback="Auto"</c> when a few layers dominate
/// the error per the sensitivities, a lower sparsity or more clusters when the model was pruned or shared, distillation,
/// more calibration or evaluation samples when there are few, labels, and last the threshold itself.
/// </summary>
internal static class GateAdvice
{
    /// <summary>Fewer calibration samples than this is "few" (ranges measured on them may not hold on new data).</summary>
    public const int FewCalibrationSamples = 100;

    /// <summary>Fewer evaluation samples than this is "few" (one sample moves a top-1 metric by more than half a point).</summary>
    public const int FewEvaluationSamples = 200;

    /// <summary>Fallback advice names at most this many layers.</summary>
    private const int MaxLayersNamed = 3;

    /// <summary>The failed <paramref name="gate"/> with its advice, appended to its message too; a passed gate as it is.</summary>
    public static GateResult Apply(GateResult gate, AdviceFacts facts)
    {
        if (gate.Passed || gate.Value is null)
        {
            return gate;
        }

        var advice = For(gate, facts);
        return gate with { Advice = advice, Message = gate.Message + " " + string.Join(" ", advice) };
    }

    private static List<string> For(GateResult gate, AdviceFacts f)
    {
        var o = f.Options;
        var advice = new List<string>();
        bool pruned = f.Sparsity is > 0;
        bool shared = f.Clusters > 0;

        if (o.Quantize == QuantizeMode.Int8 && o.Fallback == FallbackMode.None && f.Sensitivities.Count > 0)
        {
            advice.Add(Fallback(gate, f));
        }

        if (o.Fallback == FallbackMode.Auto && f.FallbackLayers.Count > 0)
        {
            string cause = pruned || shared || o.Distills
                ? $": what is lost comes from {Steps(f)}, not from int8"
                : "";
            advice.Add(Invariant($"Fallback=\"Auto\" kept {f.FallbackLayers.Count} layers in fp32 and the gate still failed{cause}."));
        }

        if (pruned && !o.AutoSparsity)
        {
            advice.Add(Invariant($"Sparsity={f.Sparsity:0.##} ({o.Prune}) removes {f.Sparsity * 100:0.#} % of the weights: a lower Sparsity, or Sparsity=\"Auto\" (tries 0.9 down to 0 and keeps the largest that passes), keeps more of them."));
        }

        if (shared && !o.AutoShareWeights)
        {
            advice.Add(Invariant($"ShareWeights={f.Clusters} leaves {f.Clusters} distinct weight values per layer: more clusters (16 = 4-bit indices), or ShareWeights=\"Auto\", keep more detail."));
        }

        if ((pruned || shared) && !o.Distills)
        {
            advice.Add("Distill=\"true\" fine-tunes the pruned or shared model on the original's outputs before the gate, which usually wins back most of what they cost.");
        }

        if (o.Quantize == QuantizeMode.Int8 && f.CalibrationSamples is { } calibration && calibration < FewCalibrationSamples)
        {
            advice.Add(Invariant($"The int8 ranges were measured on {calibration} Calibration samples only: a few hundred representative samples give ranges that hold on new data."));
        }
        else if (o.Quantize == QuantizeMode.Int8 && !pruned && !shared && o.Calibrator == Calibration.CalibrationMethod.MinMax)
        {
            advice.Add("Calibrator=\"Percentile\" or \"Mse\" clips the rare outliers that stretch MinMax ranges and cost int8 resolution.");
        }

        int samples = f.Metrics.SampleCount;
        if (gate.Metric != Gate.Cosine && samples > 0 && samples < FewEvaluationSamples)
        {
            advice.Add(Invariant($"The gate measured {samples} Evaluation samples, so one sample moves the {(gate.Metric == Gate.Agreement ? "agreement" : "accuracy")} by {100.0 / samples:0.##} points: more evaluation data makes its figure steadier."));
        }

        if (gate.Metric == Gate.Agreement && f.Metrics.OriginalAccuracy is null)
        {
            advice.Add("Labels would gate on top-1 accuracy instead of agreement with the fp32 model.");
        }

        advice.Add(gate.Metric switch
        {
            Gate.AccuracyDrop => Invariant($"Or relax MaxAccuracyDrop (now {GateText.Threshold(gate.Threshold)}; the drop is {gate.Value:0.##} points)."),
            Gate.Agreement => Invariant($"Or lower MinAgreement (now {GateText.Threshold(gate.Threshold)}; measured {gate.Value:0.####})."),
            _ => Invariant($"Or lower MinCosine (now {GateText.Threshold(gate.Threshold)}; measured {gate.Value:0.#####})."),
        });
        return advice;
    }

    /// <summary>
    /// How far the most sensitive layers go towards the gate: a few that make up what is missing call for
    /// <c>Fallback="Auto"</c>; an error spread over many layers says it would keep many in fp32.
    /// </summary>
    private static string Fallback(GateResult gate, AdviceFacts f)
    {
        var positive = f.Sensitivities.Where(kv => kv.Value > 0).OrderByDescending(kv => kv.Value).ToList();
        string measured = Invariant($"(sensitivities on {f.SensitivitySamples} samples, in report.json)");
        // Sensitivities are gains of the metric the gate checks when the units agree (accuracy points, agreement points, cosine).
        bool sameUnits = (gate.Metric, f.SensitivityMetric) is (Gate.AccuracyDrop, "accuracy") or (Gate.Agreement, "agreement") or (Gate.Cosine, "cosine");
        if (positive.Count == 0)
        {
            return sameUnits
                ? Invariant($"Fallback=\"Auto\" is unlikely to help: no Dense or Conv layer alone in fp32 improves the {f.SensitivityMetric} {measured}.")
                : Invariant($"Fallback=\"Auto\" keeps layers in fp32 until the gate passes; the sensitivities measure the {f.SensitivityMetric}, which no Dense or Conv layer alone in fp32 improves {measured}, not the {GateText.MetricName(gate.Metric)} the gate checks.");
        }

        bool points = f.SensitivityMetric != "cosine";
        double Scale(double v) => points ? v * 100 : v;
        string Amount(double v) => points ? Invariant($"{v:0.##} points") : Invariant($"{v:0.#####}");
        double missing = gate.Metric switch
        {
            Gate.AccuracyDrop => gate.Value!.Value - gate.Threshold,
            Gate.Agreement => (gate.Threshold - gate.Value!.Value) * 100,
            _ => gate.Threshold - gate.Value!.Value,
        };

        var named = new List<KeyValuePair<string, double>>();
        double gained = 0;
        foreach (var layer in positive.Take(MaxLayersNamed))
        {
            named.Add(layer);
            gained += Scale(layer.Value);
            if (sameUnits && gained >= missing)
            {
                break;
            }
        }

        // "'/fc1/Gemm' wins back 0.8 points, '/fc2/Gemm' 0.3 points": each layer's gain alone in fp32.
        string layers = string.Join(", ", named.Select((kv, i) => $"'{DisplayText.Safe(kv.Key)}' {(i == 0 ? "wins back " : "")}{Amount(Scale(kv.Value))}"));
        if (!sameUnits)
        {
            return Invariant($"Fallback=\"Auto\" keeps the most sensitive layers in fp32 until the gate passes; in fp32 on its own, {layers} of {f.SensitivityMetric} {measured}.");
        }

        return gained >= missing
            ? Invariant($"Fallback=\"Auto\" keeps the most sensitive layers in fp32 until the gate passes, and a few layers dominate the error here: in fp32 on its own, {layers}, against {Amount(missing)} missing {measured}.")
            : Invariant($"Fallback=\"Auto\" keeps the most sensitive layers in fp32 until the gate passes, but the error is spread over the layers: in fp32 on its own, {layers}, together {Amount(gained)} against {Amount(missing)} missing {measured}, so it may keep many layers in fp32.");
    }

    private static string Steps(AdviceFacts f)
    {
        var steps = new List<string>();
        if (f.Sparsity is > 0)
        {
            steps.Add(Invariant($"pruning (Sparsity={f.Sparsity:0.##})"));
        }

        if (f.Clusters > 0)
        {
            steps.Add(Invariant($"weight sharing (ShareWeights={f.Clusters})"));
        }

        if (f.Options.Distills)
        {
            steps.Add(string.IsNullOrWhiteSpace(f.Options.StudentPath) ? "distillation" : "the Student");
        }

        return string.Join(" and ", steps);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
