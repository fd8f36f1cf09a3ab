using System.Globalization;
using BuildOptim.Compression.Pipeline;

namespace BuildOptim.Compression.Reporting;

/// <summary>How the build line and report.html name the gated metric, its value and its threshold.</summary>
internal static class GateText
{
    /// <summary>The gated metric in words: "accuracy drop", "agreement", "mean cosine".</summary>
    public static string MetricName(string metric) => metric switch
    {
        Gate.AccuracyDrop => "accuracy drop",
        Gate.Agreement => "agreement",
        Gate.Cosine => "mean cosine",
        _ => metric,
    };

    /// <summary>The option that sets the threshold of <paramref name="metric"/>.</summary>
    public static string OptionName(string metric) => metric switch
    {
        Gate.AccuracyDrop => "MaxAccuracyDrop",
        Gate.Agreement => "MinAgreement",
        Gate.Cosine => "MinCosine",
        _ => "",
    };

    /// <summary>A value of the gated metric: "0.1 pt", "99.70%", "0.99912".</summary>
    public static string Value(string metric, double value) => metric switch
    {
        Gate.AccuracyDrop => Invariant($"{value:0.0#} pt"),
        Gate.Agreement => Invariant($"{value * 100:0.00}%"),
        _ => Invariant($"{value:0.00000}"),
    };

    /// <summary>A threshold as the user set it (up to 6 decimals: MinCosine=0.99999 is not 1).</summary>
    public static string Threshold(double threshold) => threshold.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>
    /// Each metric the gate checked against its threshold, e.g. "accuracy drop 0.1 pt &lt;= MaxAccuracyDrop 0.5" or
    /// "accuracy drop 0.0 pt &lt;= MaxAccuracyDrop 1, agreement 97.30% &lt; MinAgreement 0.99"; "not evaluated" or "off" otherwise.
    /// </summary>
    public static string Comparison(GateResult gate)
    {
        if (!gate.Evaluated || gate.Value is null)
        {
            return gate.Metric == "off" ? "off" : "not evaluated";
        }

        var checks = gate.Checks.Count > 0 ? gate.Checks : [new GateCheck(gate.Metric, gate.Threshold, gate.Value.Value, gate.Passed)];
        return string.Join(", ", checks.Select(Comparison));
    }

    public static string Comparison(GateCheck check)
    {
        bool lowerIsBetter = check.Metric == Gate.AccuracyDrop;
        string sign = (lowerIsBetter, check.Passed) switch
        {
            (true, true) => "<=",
            (true, false) => ">",
            (false, true) => ">=",
            (false, false) => "<",
        };
        return $"{MetricName(check.Metric)} {Value(check.Metric, check.Value)} {sign} {OptionName(check.Metric)} {Threshold(check.Threshold)}";
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
