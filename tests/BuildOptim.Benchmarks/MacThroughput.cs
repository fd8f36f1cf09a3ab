using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace BuildOptim.Benchmarks;

/// <summary>Multiply-accumulates one call of the benchmark performs (for the GMAC/s column).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MacCountAttribute(long macs) : Attribute
{
    public long Macs { get; } = macs;
}

/// <summary>
/// The theoretical int8 MAC peak of one core of this machine for the kernels' instruction, AVX2 <c>vpmaddwd</c>:
/// 16 multiply-accumulates per 256-bit instruction (16 int16 products summed in pairs into 8 int32), 2 such
/// instructions per cycle (two vector multiply pipes on AMD Zen 2/3/4 and on Intel since Skylake), so 32 MAC per cycle
/// × the clock from <c>/proc/cpuinfo</c> (the highest <c>cpu MHz</c>; the nominal clock on a VM, turbo not counted).
/// </summary>
public static class MachinePeak
{
    public const int MacsPerCycle = 32;

    private static readonly Lazy<double?> s_ghz = new(ReadGhz);

    public static double? Ghz => s_ghz.Value;

    public static double? GmacPerSecond => Ghz * MacsPerCycle;

    public static string Describe() => Ghz is { } ghz
        ? string.Create(CultureInfo.InvariantCulture, $"theoretical peak: {MacsPerCycle} MAC/cycle (2 × AVX2 vpmaddwd) × {ghz:F3} GHz = {ghz * MacsPerCycle:F1} GMAC/s per core")
        : "theoretical peak: unknown (no cpu MHz in /proc/cpuinfo)";

    private static double? ReadGhz()
    {
        try
        {
            var mhz = File.ReadLines("/proc/cpuinfo")
                .Where(l => l.StartsWith("cpu MHz", StringComparison.Ordinal))
                .Select(l => double.Parse(l[(l.IndexOf(':') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture))
                .ToList();
            return mhz.Count == 0 ? null : mhz.Max() / 1000;
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary><c>GMAC/s</c> = <see cref="MacCountAttribute.Macs"/> / mean time, or that as a percentage of <see cref="MachinePeak"/>.</summary>
public sealed class MacThroughputColumn(bool percentOfPeak) : IColumn
{
    public string Id => percentOfPeak ? "PercentOfPeak" : "GmacPerSecond";

    public string ColumnName => percentOfPeak ? "% of peak" : "GMAC/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => percentOfPeak ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => percentOfPeak
        ? "GMAC/s as a percentage of the theoretical peak: 32 MAC/cycle (2 × AVX2 vpmaddwd) × the cpu MHz of /proc/cpuinfo"
        : "Multiply-accumulates per second (10^9), from the mean time of one call";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var macs = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<MacCountAttribute>()?.Macs;
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (macs is null || meanNs is not > 0)
        {
            return "-";
        }

        double gmacs = macs.Value / meanNs.Value;
        if (!percentOfPeak)
        {
            return gmacs.ToString("F2", CultureInfo.InvariantCulture);
        }

        return MachinePeak.GmacPerSecond is { } peak ? (100 * gmacs / peak).ToString("F1", CultureInfo.InvariantCulture) + " %" : "?";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
