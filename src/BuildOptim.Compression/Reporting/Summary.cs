using System.Globalization;
using System.Text;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Pipeline;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Reporting;

/// <summary>The one line a build prints per model.</summary>
internal static class Summary
{
    internal static string Line(CompressionReport r)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"BuildOptim: {r.Model} -> {r.ClassName} ({r.Precision.ToLowerInvariant()}): {FormatBytes(r.OriginalBytes)} -> {FormatBytes(r.CompressedBytes)}");
        if (r.Metrics is { } m)
        {
            if (m.OriginalAccuracy is { } o && m.CompressedAccuracy is { } c)
            {
                s.Append(CultureInfo.InvariantCulture, $", accuracy {o * 100:0.00}% -> {c * 100:0.00}%");
            }

            // An embedding model's top-1 index means nothing: its agreement is retrieval agreement (nearest neighbours).
            if (m.RetrievalAgreement is { } retrieval)
            {
                s.Append(CultureInfo.InvariantCulture, $", cosine {m.MeanCosine:0.0000}, retrieval agreement {retrieval * 100:0.0}%");
            }
            else
            {
                s.Append(CultureInfo.InvariantCulture, $", agreement {m.Agreement * 100:0.00}%, cosine {m.MeanCosine:0.0000}");
            }

            s.Append(CultureInfo.InvariantCulture, $" ({m.SampleCount} samples)");
        }

        // The gated metric and its threshold: the gate checks one figure of the several above.
        s.Append(r.Gate.Evaluated ? (r.Gate.Passed ? ", gate passed: " : ", gate FAILED: ") + GateText.Comparison(r.Gate) : ", gate not evaluated");
        return s.ToString();
    }

    /// <summary>For CSV data, how it was read: "; calib.csv: 100 rows, header line 1 skipped" (empty for .npy/.npz).</summary>
    internal static string DescribeCsv(params NdArray?[] arrays)
    {
        var s = new StringBuilder();
        foreach (var array in arrays.Distinct())
        {
            if (array?.Csv is { } csv)
            {
                string header = csv.SkippedHeaderLine is { } line ? $"header line {line} skipped" : "no header line";
                s.Append(CultureInfo.InvariantCulture, $"; {Path.GetFileName(array.SourcePath)}: {csv.Rows} rows, {header}");
            }
        }

        return s.ToString();
    }

    internal static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.00} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB");
}
