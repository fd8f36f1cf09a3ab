using System.Globalization;
using System.Text;

namespace BuildOptim.Compression.Reporting;

/// <summary>One point of a chart: its class (colour), its tooltip, and an optional label written beside it.</summary>
internal sealed record ChartPoint(double X, double Y, string Class, string Tooltip, string? Label = null);

/// <summary>Points drawn with one colour (<c>s0</c>…<c>s5</c>, or pass/fail/original), joined by a line when <paramref name="Line"/>.</summary>
internal sealed record ChartSeries(string Name, string Class, IReadOnlyList<ChartPoint> Points, bool Line);

/// <summary>A dashed horizontal line across the plot (a gate threshold), labelled.</summary>
internal sealed record ChartRule(double Y, string Label);

/// <summary>
/// An inline SVG chart without scripts: axes with round ticks, series as markers and polylines, horizontal rules and
/// per-point tooltips (SVG <c>title</c>). Every text is HTML-escaped; coordinates are invariant, so the same data
/// always gives the same bytes.
/// </summary>
internal static class SvgChart
{
    private const int Width = 640;
    private const int Height = 300;
    private const int Left = 70;
    private const int Right = 20;
    private const int Top = 16;
    private const int Bottom = 46;

    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartRule> rules, Func<double, string> xFormat, Func<double, string> yFormat)
    {
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var finiteRules = rules.Where(r => double.IsFinite(r.Y)).ToList();
        var (xMin, xMax) = Range(points.Select(p => p.X));
        var (yMin, yMax) = Range(points.Select(p => p.Y).Concat(finiteRules.Select(r => r.Y)));
        var xTicks = Ticks(xMin, xMax);
        var yTicks = Ticks(yMin, yMax);
        double plotWidth = Width - Left - Right, plotHeight = Height - Top - Bottom;
        double X(double x) => Left + (x - xMin) / (xMax - xMin) * plotWidth;
        double Y(double y) => Top + (yMax - y) / (yMax - yMin) * plotHeight;

        var s = new StringBuilder();
        s.Append(Invariant($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{Html.Text(title)}\" xmlns=\"http://www.w3.org/2000/svg\">\n"));
        s.Append("<title>").Append(Html.Text(title)).Append("</title>\n");
        s.Append(Invariant($"<rect class=\"plot\" x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\"/>\n"));
        foreach (double t in xTicks)
        {
            s.Append(Invariant($"<line class=\"grid\" x1=\"{N(X(t))}\" y1=\"{Top}\" x2=\"{N(X(t))}\" y2=\"{Top + plotHeight}\"/><text class=\"tick\" x=\"{N(X(t))}\" y=\"{Top + plotHeight + 16}\" text-anchor=\"middle\">{Html.Text(xFormat(t))}</text>\n"));
        }

        foreach (double t in yTicks)
        {
            s.Append(Invariant($"<line class=\"grid\" x1=\"{Left}\" y1=\"{N(Y(t))}\" x2=\"{Left + plotWidth}\" y2=\"{N(Y(t))}\"/><text class=\"tick\" x=\"{Left - 6}\" y=\"{N(Y(t) + 4)}\" text-anchor=\"end\">{Html.Text(yFormat(t))}</text>\n"));
        }

        s.Append(Invariant($"<text class=\"axis\" x=\"{N(Left + plotWidth / 2)}\" y=\"{Height - 6}\" text-anchor=\"middle\">{Html.Text(xLabel)}</text>\n"));
        s.Append(Invariant($"<text class=\"axis\" transform=\"translate(14 {N(Top + plotHeight / 2)}) rotate(-90)\" text-anchor=\"middle\">{Html.Text(yLabel)}</text>\n"));
        foreach (var rule in finiteRules)
        {
            s.Append(Invariant($"<line class=\"rule\" x1=\"{Left}\" y1=\"{N(Y(rule.Y))}\" x2=\"{Left + plotWidth}\" y2=\"{N(Y(rule.Y))}\"/><text class=\"rule-label\" x=\"{Left + plotWidth - 4}\" y=\"{N(Y(rule.Y) + 13)}\" text-anchor=\"end\">{Html.Text(rule.Label)}</text>\n"));
        }

        foreach (var line in series)
        {
            var drawn = line.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (line.Line && drawn.Count > 1)
            {
                s.Append("<polyline class=\"").Append(line.Class).Append(" line\" points=\"")
                    .AppendJoin(" ", drawn.Select(p => N(X(p.X)) + "," + N(Y(p.Y))))
                    .Append("\"/>\n");
            }

            foreach (var p in drawn)
            {
                s.Append(Invariant($"<circle class=\"{p.Class}\" cx=\"{N(X(p.X))}\" cy=\"{N(Y(p.Y))}\" r=\"{(p.Label is null ? 4 : 6)}\"><title>{Html.Text(p.Tooltip)}</title></circle>\n"));
                if (p.Label is not null)
                {
                    // Labels lean towards the middle of the plot so that they stay inside it.
                    bool right = X(p.X) < Left + plotWidth / 2;
                    s.Append(Invariant($"<text class=\"point-label\" x=\"{N(X(p.X) + (right ? 9 : -9))}\" y=\"{N(Y(p.Y) - 8)}\" text-anchor=\"{(right ? "start" : "end")}\">{Html.Text(p.Label)}</text>\n"));
                }
            }
        }

        s.Append("</svg>\n");
        return s.ToString();
    }

    /// <summary>The extent of <paramref name="values"/>, widened by 5 % (or by 1 around a single value).</summary>
    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        var list = values.Where(double.IsFinite).ToList();
        if (list.Count == 0)
        {
            return (0, 1);
        }

        double min = list.Min(), max = list.Max();
        double pad = max > min ? (max - min) * 0.05 : Math.Max(Math.Abs(max) * 0.05, 1e-3);
        return (min - pad, max + pad);
    }

    /// <summary>About five round values (1, 2 or 5 × 10^k apart) within [min, max].</summary>
    internal static double[] Ticks(double min, double max)
    {
        double raw = (max - min) / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double normalized = raw / magnitude;
        double step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude;
        var ticks = new List<double>();
        for (double k = Math.Ceiling(min / step); k <= Math.Floor(max / step); k++)
        {
            // k * step, not repeated addition: no drift, and 0 is 0.
            ticks.Add(Math.Round(k * step, 12) + 0.0);
        }

        return [.. ticks];
    }

    private static string N(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
