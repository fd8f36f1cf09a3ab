using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Calibration;

/// <summary>How activation ranges are chosen from the calibration set (item metadata <c>Calibrator</c>).</summary>
public enum CalibrationMethod
{
    /// <summary>The observed [min, max] of every tensor (<see cref="MinMaxCalibrator"/>).</summary>
    MinMax,

    /// <summary>[min, max] with the rarest 0.01 % of the nonzero values clipped at each end (<see cref="HistogramCalibrator.TailFraction"/>).</summary>
    Percentile,

    /// <summary>The range whose 256 codes lose the least information: KL divergence between the histogram and its quantized copy.</summary>
    Entropy,

    /// <summary>The range with the least expected squared error of quantizing then dequantizing the calibration values.</summary>
    Mse,
}

/// <summary>The calibrators behind <see cref="CalibrationMethod"/>.</summary>
public static class Calibrators
{
    /// <summary>A <c>Calibrator</c> value: one method's name in any case; false for anything else (numbers, lists, blanks).</summary>
    public static bool TryParse(string? name, out CalibrationMethod method)
    {
        foreach (var candidate in Enum.GetValues<CalibrationMethod>())
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                method = candidate;
                return true;
            }
        }

        method = CalibrationMethod.MinMax;
        return false;
    }

    /// <summary>Every tensor's range by <paramref name="method"/>, keyed by network value.</summary>
    public static Dictionary<int, TensorRange> Calibrate(Network network, NdArray samples, CalibrationMethod method)
        => method == CalibrationMethod.MinMax ? MinMaxCalibrator.Calibrate(network, samples) : HistogramCalibrator.Calibrate(network, samples, method);
}

/// <summary>
/// Percentile, Entropy and Mse calibration. A first pass over the calibration set finds every tensor's [min, max]
/// (<see cref="MinMaxCalibrator"/>); a second pass of the same compiled plan (<see cref="ValueProbe"/>) counts its values in <see cref="Bins"/> equal bins over that range;
/// <see cref="Choose"/> then narrows the range from the histogram alone. Counts are integers and bins are found by one
/// IEEE division, so the same data gives the same ranges on any machine.
/// </summary>
/// <remarks>
/// The uint8 codes are asymmetric, so both ends are searched: the upper end with the lower one at the minimum, then the
/// lower end with that upper one, then the upper end again. Candidate ends lie on every 16th bin edge (128 per end).
/// <see cref="QuantParams.FromRange"/> still widens any range to contain 0.
/// </remarks>
public static class HistogramCalibrator
{
    /// <summary>Histogram bins per tensor.</summary>
    public const int Bins = 2048;

    /// <summary>Percentile: the fraction of a tensor's nonzero calibration values each tail may lose (0.01 %).</summary>
    public const double TailFraction = 1e-4;

    /// <summary>Codes of the uint8 grid that the Entropy method quantizes a candidate histogram to.</summary>
    private const int Levels = 256;

    /// <summary>Bins between candidate ends.</summary>
    private const int CandidateStep = 16;

    /// <summary>Every tensor's range by <paramref name="method"/> (Percentile, Entropy or Mse).</summary>
    public static Dictionary<int, TensorRange> Calibrate(Network network, NdArray samples, CalibrationMethod method)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(method, CalibrationMethod.MinMax);
        var run = new ValueProbe(network);
        var full = MinMaxCalibrator.Calibrate(run, samples);
        var histograms = full.Keys.ToDictionary(v => v, _ => new long[Bins]);
        run.Visit(samples, (value, values) => Accumulate(histograms[value], full[value], values));
        return full.ToDictionary(kv => kv.Key, kv => Choose(histograms[kv.Key], kv.Value, method));
    }

    /// <summary>
    /// Counts <paramref name="values"/> into the <see cref="Bins"/> bins of <paramref name="range"/>. Zeros are left out: the
    /// zero point makes 0 exact whatever the range, and a ReLU output's spike of zeros would otherwise weigh on every
    /// method (the Entropy method most, whose groups of bins would smear it). NaN is left out too.
    /// </summary>
    public static void Accumulate(Span<long> histogram, TensorRange range, ReadOnlySpan<float> values)
    {
        histogram = histogram[..Bins];
        double width = ((double)range.Max - range.Min) / Bins;
        foreach (float v in values)
        {
            if (float.IsNaN(v) || v == 0)
            {
                continue;
            }

            int bin = width > 0 && double.IsFinite(width) ? (int)Math.Clamp(((double)v - range.Min) / width, 0, Bins - 1) : 0;
            histogram[bin]++;
        }
    }

    /// <summary>
    /// The range <paramref name="method"/> picks from a histogram of <see cref="Bins"/> bins over <paramref name="range"/>
    /// (the tensor's [min, max]); never wider than it. An empty or one-point range is returned as it is.
    /// </summary>
    public static TensorRange Choose(ReadOnlySpan<long> histogram, TensorRange range, CalibrationMethod method)
    {
        histogram = histogram[..Bins];
        long total = 0;
        foreach (long n in histogram)
        {
            total += n;
        }

        double width = ((double)range.Max - range.Min) / Bins;
        if (total == 0 || !(width > 0) || !double.IsFinite(width) || method == CalibrationMethod.MinMax)
        {
            return range;
        }

        long[] h = histogram.ToArray();
        (int low, int high) = method switch
        {
            CalibrationMethod.Percentile => PercentileBins(h, total),
            CalibrationMethod.Mse => Search((l, u) => Mse(h, range, width, l, u)),
            CalibrationMethod.Entropy => Search((l, u) => Divergence(h, l, u)),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };

        // Bin edges; the outer ones are the observed extremes exactly.
        float Edge(int bin) => bin == 0 ? range.Min : bin == Bins ? range.Max : (float)(range.Min + (bin * width));
        return new TensorRange(Edge(low), Edge(high));
    }

    /// <summary>The bins [low, high) that keep all but <see cref="TailFraction"/> of the values at each end.</summary>
    private static (int Low, int High) PercentileBins(ReadOnlySpan<long> h, long total)
    {
        double tail = total * TailFraction;
        int low = 0;
        for (long below = 0; low < Bins - 1 && below + h[low] <= tail; low++)
        {
            below += h[low];
        }

        int high = Bins;
        for (long above = 0; high > low + 1 && above + h[high - 1] <= tail; high--)
        {
            above += h[high - 1];
        }

        return (low, high);
    }

    /// <summary>
    /// The bins [low, high) of least <paramref name="cost"/>: the upper end searched with the lower one at bin 0, then the
    /// lower end, then the upper end again, over every 16th bin edge. Candidates go from the widest inwards and only a
    /// strictly lower cost replaces the best, so ties keep the wider range.
    /// </summary>
    private static (int Low, int High) Search(Func<int, int, double> cost)
    {
        int low = 0;
        int high = Bins;
        for (int round = 0; round < 3; round++)
        {
            bool upper = round != 1;
            double best = double.PositiveInfinity;
            int chosen = upper ? high : low;
            for (int edge = upper ? Bins : 0; upper ? edge >= low + CandidateStep : edge <= high - CandidateStep; edge += upper ? -CandidateStep : CandidateStep)
            {
                double c = upper ? cost(low, edge) : cost(edge, high);
                if (c < best)
                {
                    best = c;
                    chosen = edge;
                }
            }

            (low, high) = upper ? (low, chosen) : (chosen, high);
        }

        return (low, high);
    }

    /// <summary>
    /// Expected squared error of quantizing with the range [edge(low), edge(high)] (widened to 0 as the plan does): a value
    /// inside costs the uniform rounding noise step² / 12, one outside its squared distance to the clipped end.
    /// </summary>
    private static double Mse(ReadOnlySpan<long> h, TensorRange range, double width, int low, int high)
    {
        double lo = Math.Min(0, range.Min + (low * width));
        double hi = Math.Max(0, range.Min + (high * width));
        double step = (hi - lo) / 255;
        double noise = step * step / 12;
        double error = 0;
        for (int b = 0; b < Bins; b++)
        {
            if (h[b] == 0)
            {
                continue;
            }

            double center = range.Min + ((b + 0.5) * width);
            double outside = center < lo ? lo - center : center > hi ? center - hi : 0;
            error += h[b] * (outside > 0 ? outside * outside : noise);
        }

        return error;
    }

    /// <summary>
    /// KL divergence of the histogram's bins [low, high), the clipped tails added to the two end bins, from its copy cut into
    /// 256 equal groups of bins with each group's count (tails not added) spread evenly over its non-empty bins: the
    /// information that 256 codes over that range lose. Ranges of fewer than 256 bins cannot be cut so and cost +∞.
    /// </summary>
    private static double Divergence(long[] h, int low, int high)
    {
        int count = high - low;
        if (count < Levels)
        {
            return double.PositiveInfinity;
        }

        long below = 0;
        long above = 0;
        long inside = 0;
        for (int b = 0; b < Bins; b++)
        {
            if (b < low)
            {
                below += h[b];
            }
            else if (b >= high)
            {
                above += h[b];
            }
            else
            {
                inside += h[b];
            }
        }

        double pTotal = below + inside + above;
        if (inside == 0)
        {
            return double.PositiveInfinity;
        }

        double divergence = 0;
        for (int level = 0; level < Levels; level++)
        {
            int start = low + (level * count / Levels);
            int end = low + ((level + 1) * count / Levels);
            long sum = 0;
            int nonEmpty = 0;
            for (int b = start; b < end; b++)
            {
                sum += h[b];
                nonEmpty += h[b] > 0 ? 1 : 0;
            }

            for (int b = start; b < end; b++)
            {
                double p = h[b] + (b == low ? below : 0) + (b == high - 1 ? above : 0);
                if (p == 0)
                {
                    continue;
                }

                // An end bin holding only clipped values is empty in the copy: a floor keeps the divergence finite and large.
                double q = h[b] > 0 ? (double)sum / nonEmpty / inside : 0;
                divergence += p / pTotal * Math.Log(p / pTotal / Math.Max(q, 1e-12));
            }
        }

        return divergence;
    }
}
