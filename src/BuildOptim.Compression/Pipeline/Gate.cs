using System.Globalization;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Reporting;

namespace BuildOptim.Compression.Pipeline;

/// <summary>
/// The accuracy gate. It checks one metric, or several in order (the accuracy drop, then MinAgreement and MinCosine
/// when they are set as well), and fails on the first that misses its threshold, with a message that names the item,
/// the measured value, the threshold and the sample count; <see cref="GateAdvice"/> adds what would help once the
/// search is over.
/// </summary>
internal static class Gate
{
    public const string AccuracyDrop = "accuracyDrop";
    public const string Agreement = "agreement";
    public const string Cosine = "cosine";

    /// <summary>One gated metric: its report name, failure code, direction, and how a result reads.</summary>
    private sealed record Metric(string Name, string Code, bool HigherIsBetter, double Tolerance, Func<CompressionOptions, Metrics, double, bool, string> Describe);

    private static readonly Metric s_accuracyDrop = new(AccuracyDrop, Diagnostics.AccuracyGateFailed, HigherIsBetter: false, 1e-9,
        (o, m, _, passed) => string.Create(CultureInfo.InvariantCulture,
            $"Accuracy gate {Verdict(passed)} for '{Item(o)}': top-1 accuracy {m.OriginalAccuracy:P2} (fp32) -> {m.CompressedAccuracy:P2} ({o.Quantize.ToString().ToLowerInvariant()}), a drop of {m.AccuracyDropPoints:0.###} points against MaxAccuracyDrop={o.MaxAccuracyDrop:0.###} on {m.SampleCount} samples."));

    private static readonly Metric s_agreement = new(Agreement, Diagnostics.AgreementGateFailed, HigherIsBetter: true, 1e-12,
        (o, m, min, passed) => string.Create(CultureInfo.InvariantCulture,
            $"Agreement gate {Verdict(passed)} for '{Item(o)}': the compressed model's top-1 matches the fp32 model on {m.Agreement:P2} of {m.SampleCount} samples; MinAgreement={min:0.######}."));

    private static readonly Metric s_cosine = new(Cosine, Diagnostics.CosineGateFailed, HigherIsBetter: true, 1e-12,
        (o, m, min, passed) => string.Create(CultureInfo.InvariantCulture,
            $"Cosine gate {Verdict(passed)} for '{Item(o)}': the compressed outputs have a mean cosine similarity of {m.MeanCosine:0.#####} (worst sample {m.MinCosine:0.#####}) to the fp32 outputs on {m.SampleCount} samples; MinCosine={min:0.######}."));

    /// <summary>The default threshold of MinAgreement and MinCosine when the gate falls back to them.</summary>
    public const double DefaultMinimum = 0.99;

    public static GateResult Evaluate(CompressionOptions options, Metrics? metrics, bool classifier)
    {
        if (metrics is null)
        {
            return new GateResult(false, true, "none", 0, null, null, "No evaluation data: the accuracy gate was not evaluated.");
        }

        if (options.Gate == GateMode.Off)
        {
            return new GateResult(false, true, "off", 0, null, null, "The accuracy gate is off (BuildOptimGate=Off).");
        }

        var checks = new List<(Metric Metric, double Value, double Threshold)>();
        if (metrics.AccuracyDropPoints is { } drop)
        {
            checks.Add((s_accuracyDrop, drop, options.MaxAccuracyDrop));
            if (options.MinAgreement is { } min)
            {
                checks.Add((s_agreement, metrics.Agreement, min));
            }

            if (options.MinCosine is { } minCosine)
            {
                checks.Add((s_cosine, metrics.MeanCosine, minCosine));
            }
        }
        else if (!classifier || (options.MinCosine is not null && options.MinAgreement is null))
        {
            checks.Add((s_cosine, metrics.MeanCosine, options.MinCosine ?? DefaultMinimum));
        }
        else
        {
            checks.Add((s_agreement, metrics.Agreement, options.MinAgreement ?? DefaultMinimum));
        }

        var results = checks.Select(c => Check(options, metrics, c.Metric, c.Value, c.Threshold)).ToList();
        var all = results.Select(r => new GateCheck(r.Metric, r.Threshold, r.Value!.Value, r.Passed)).ToList();
        return (results.FirstOrDefault(r => !r.Passed) ?? results[0]) with { Checks = all };
    }

    private static GateResult Check(CompressionOptions options, Metrics metrics, Metric metric, double value, double threshold)
    {
        bool passed = metric.HigherIsBetter ? value >= threshold - metric.Tolerance : value <= threshold + metric.Tolerance;
        string message = metric.Describe(options, metrics, threshold, passed);
        return new GateResult(true, passed, metric.Name, threshold, value, passed ? null : metric.Code, message);
    }

    private static string Verdict(bool passed) => passed ? "passed" : "failed";

    private static string Item(CompressionOptions options) => options.ItemSpec ?? options.ModelPath;
}
