using System.Globalization;
using System.Text;
using BuildOptim.Compression.Distillation;
using BuildOptim.Compression.Pipeline;

namespace BuildOptim.Compression.Reporting;

/// <summary>
/// report.html: report.json for a person, on one self-contained page (inline CSS and SVG, no script, no external
/// asset), so it opens from obj/ as it is. The gate first (which metric, its threshold, pass or fail, what would help),
/// then the summary, the options asked and chosen, the search's trials as size against the gated metric, the
/// distillation curves, and the per-layer table. Every text is escaped (<see cref="Html"/>), and nothing depends on
/// the time or the machine: the same inputs give the same bytes.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0 auto; max-width: 1100px; padding: 16px 24px 40px; }
        h1 { font-size: 22px; margin: 8px 0 2px; }
        h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
        .tool, .note { color: #59636e; }
        .gate { border: 2px solid; border-radius: 8px; padding: 10px 16px; margin-top: 16px; }
        .gate h2 { border: 0; margin: 4px 0; font-size: 19px; }
        .gate.pass { border-color: #1a7f37; background: #f0fff4; }
        .gate.fail { border-color: #cf222e; background: #fff5f5; }
        .gate.off { border-color: #8c959f; background: #f6f8fa; }
        .verdict { font-weight: 600; }
        .pass .verdict, td.pass { color: #1a7f37; }
        .fail .verdict, td.fail { color: #cf222e; }
        table { border-collapse: collapse; margin: 6px 0; }
        th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.chosen td { font-weight: 600; background: #fff8c5; }
        code { font-family: ui-monospace, SFMono-Regular, Consolas, monospace; font-size: 12.5px; }
        .name { font-family: ui-monospace, SFMono-Regular, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
        .badge { font-size: 11px; border-radius: 4px; padding: 0 5px; margin-left: 4px; background: #ddf4ff; color: #0969da; }
        .bar { display: inline-block; height: 8px; background: #d4a72c; margin-right: 6px; vertical-align: middle; }
        svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
        svg .plot { fill: #fff; stroke: #8c959f; }
        svg .grid { stroke: #eaeef2; }
        svg .tick { font-size: 11px; fill: #59636e; }
        svg .axis { font-size: 12px; fill: #1f2328; }
        svg .rule { stroke: #cf222e; stroke-dasharray: 5 4; }
        svg .rule-label { font-size: 11px; fill: #cf222e; }
        svg .point-label { font-size: 12px; font-weight: 600; fill: #1f2328; }
        svg polyline.line { fill: none; stroke-width: 1.5; }
        svg circle { stroke: #fff; stroke-width: 1; }
        svg circle.pass { fill: #1a7f37; } svg circle.fail { fill: #cf222e; } svg circle.original { fill: #59636e; }
        .s0 { fill: #0969da; stroke: #0969da; } .s1 { fill: #bf8700; stroke: #bf8700; } .s2 { fill: #8250df; stroke: #8250df; } .s3 { fill: #1a7f37; stroke: #1a7f37; }
        svg circle.s0, svg circle.s1, svg circle.s2, svg circle.s3 { stroke: #fff; }
        .legend span { margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 4px; }
        .legend i.pass { background: #1a7f37; } .legend i.fail { background: #cf222e; } .legend i.original { background: #59636e; }
        .legend i.s0 { background: #0969da; } .legend i.s1 { background: #bf8700; } .legend i.s2 { background: #8250df; } .legend i.s3 { background: #1a7f37; }
        """;

    public static string Render(CompressionReport r)
    {
        var s = new StringBuilder();
        s.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        s.Append("<title>BuildOptim report: ").Append(Html.Name(r.Model)).Append("</title>\n<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");
        s.Append("<h1>").Append(Html.Name(r.Model)).Append(" &rarr; ").Append(Html.Name(r.ClassName))
            .Append(" <span class=\"badge\">").Append(Html.Text(Precision(r.Precision))).Append("</span></h1>\n");
        s.Append("<p class=\"tool\">BuildOptim ").Append(Html.Text(r.ToolVersion)).Append(" &middot; report.json beside this page holds the same figures</p>\n");
        Gate(s, r);
        Summary(s, r);
        Options(s, r);
        Search(s, r);
        if (r.Distillation is { } distillation)
        {
            Distillation(s, distillation);
        }

        Layers(s, r);
        s.Append("<p class=\"note\">This page holds no timings, so that the same inputs give the same bytes; ")
            .Append("<code>buildoptim profile model.bopt --input DATA</code> times the plan op by op (docs/usage.md).</p>\n");
        s.Append("</body>\n</html>\n");
        return s.ToString();
    }

    private static void Gate(StringBuilder s, CompressionReport r)
    {
        var gate = r.Gate;
        string state = !gate.Evaluated ? "off" : gate.Passed ? "pass" : "fail";
        string verdict = !gate.Evaluated ? "Gate not evaluated" : gate.Passed ? "Gate passed" : "Gate FAILED";
        s.Append("<section class=\"gate ").Append(state).Append("\" id=\"gate\">\n<h2 class=\"verdict\">").Append(verdict);
        if (gate.Code is { } code)
        {
            s.Append(" (").Append(Html.Text(code)).Append(')');
        }

        s.Append("</h2>\n");
        if (gate.Evaluated && gate.Checks.Count > 0)
        {
            s.Append("<table>\n<tr><th>gated metric</th><th>measured</th><th>threshold</th><th>result</th></tr>\n");
            foreach (var check in gate.Checks)
            {
                string result = check.Passed ? "pass" : "fail";
                s.Append("<tr><td>").Append(Html.Text(MetricTitle(check.Metric))).Append("</td><td class=\"n\">").Append(Html.Text(GateText.Value(check.Metric, check.Value)))
                    .Append("</td><td class=\"n\">").Append(Html.Text(Threshold(check))).Append("</td><td class=\"").Append(result).Append("\">").Append(result).Append("</td></tr>\n");
            }

            s.Append("</table>\n");
        }

        // The message without the advice, which follows as a list.
        string message = gate.Advice.Count > 0 && gate.Message.EndsWith(string.Join(" ", gate.Advice), StringComparison.Ordinal)
            ? gate.Message[..^(string.Join(" ", gate.Advice).Length + 1)]
            : gate.Message;
        s.Append("<p>").Append(Html.Text(message)).Append("</p>\n");
        if (gate.Advice.Count > 0)
        {
            s.Append("<p><strong>What would help</strong></p>\n<ul class=\"advice\">\n");
            foreach (string advice in gate.Advice)
            {
                s.Append("<li>").Append(Html.Text(advice)).Append("</li>\n");
            }

            s.Append("</ul>\n");
        }

        s.Append("</section>\n");
    }

    private static void Summary(StringBuilder s, CompressionReport r)
    {
        s.Append("<h2 id=\"summary\">Summary</h2>\n<table class=\"summary\">\n");
        Row(s, "size", Invariant($"{Bytes(r.OriginalBytes)} (ONNX, fp32) &rarr; {Bytes(r.CompressedBytes)} (plan), {r.OriginalBytes / (double)Math.Max(1, r.CompressedBytes):0.0}&times; smaller; weights and constants {Bytes(r.WeightBytes)}"));
        if (r.Metrics is { } m)
        {
            if (m.OriginalAccuracy is { } original && m.CompressedAccuracy is { } compressed)
            {
                Row(s, "top-1 accuracy", Invariant($"{original * 100:0.00}% (fp32) &rarr; {compressed * 100:0.00}% ({Html.Text(Precision(r.Precision))}), a drop of {m.AccuracyDropPoints:0.##} points"));
            }

            Row(s, "top-1 agreement with fp32", Invariant($"{m.Agreement * 100:0.00}%"));
            Row(s, "cosine similarity to fp32", Invariant($"mean {m.MeanCosine:0.00000}, worst sample {m.MinCosine:0.00000}"));
            Row(s, "largest output error", Invariant($"{m.MaxAbsError:0.######} (absolute, over every output of every sample)"));
            Row(s, "evaluation samples", Invariant($"{m.SampleCount}"));
        }
        else
        {
            Row(s, "evaluation", "none: no Evaluation or Calibration data, so nothing was measured");
        }

        if (r.CalibrationSamples is { } calibration)
        {
            Row(s, "calibration samples", Invariant($"{calibration}"));
        }

        s.Append("</table>\n");
    }

    private static void Options(StringBuilder s, CompressionReport r)
    {
        var o = r.Options;
        s.Append("<h2 id=\"options\">Options</h2>\n<table class=\"options\">\n<tr><th>option</th><th>asked</th><th>chosen</th></tr>\n");
        OptionRow(s, "Quantize", o.Quantize.ToString(), "");
        if (o.Quantize == QuantizeMode.Int8)
        {
            OptionRow(s, "Calibrator", o.Calibrator.ToString(), "");
        }

        OptionRow(s, "Prune", o.Prune.ToString(), "");
        if (o.Prune != PruneMode.None)
        {
            OptionRow(s, "Sparsity", o.AutoSparsity ? CompressionReport.AutoValue : Number(o.Sparsity), r.ChosenSparsity is { } chosen ? Number(chosen) : "");
        }

        OptionRow(s, "ShareWeights", o.AutoShareWeights ? CompressionReport.AutoValue : Number(o.ShareWeights), o.AutoShareWeights || o.ShareWeights > 0 ? Number(r.ChosenClusters) : "");
        if (o.MergeNeurons > 0)
        {
            OptionRow(s, "MergeNeurons", Number(o.MergeNeurons), Invariant($"{r.MergedNeurons.Values.Sum()} neurons merged"));
        }

        OptionRow(s, "Fallback", o.Fallback.ToString(), o.Fallback == FallbackMode.Auto ? Invariant($"{r.FallbackLayers.Count} layers in fp32") : "");
        OptionRow(s, "MaxAccuracyDrop", Number(o.MaxAccuracyDrop), "");
        if (o.MinAgreement is { } minAgreement)
        {
            OptionRow(s, "MinAgreement", Number(minAgreement), "");
        }

        if (o.MinCosine is { } minCosine)
        {
            OptionRow(s, "MinCosine", Number(minCosine), "");
        }

        if (o.Distills)
        {
            OptionRow(s, "Distill", "true", Invariant($"DistillEpochs={o.DistillEpochs}, DistillTemperature={Number(o.DistillTemperature)}"));
        }

        s.Append("</table>\n");
        if (r.FallbackLayers.Count > 0)
        {
            s.Append("<p>Kept in fp32 by <code>Fallback=\"Auto\"</code>, in order: ")
                .AppendJoin(", ", r.FallbackLayers.Select(l => "<span class=\"name\">" + Html.Name(l) + "</span>")).Append("</p>\n");
        }
    }

    /// <summary>Size against the gated metric, one point per trial, the chosen one marked; then the trials as a table.</summary>
    private static void Search(StringBuilder s, CompressionReport r)
    {
        s.Append("<h2 id=\"search\">Search</h2>\n");
        if (r.Search.Count <= 1)
        {
            s.Append("<p>One trial: Sparsity, ShareWeights and Fallback were fixed or not needed (<code>\"Auto\"</code> searches them against the gate).</p>\n");
            return;
        }

        var axis = Axis(r);
        var trials = r.Search.Where(t => t.Metrics is not null).ToList();
        if (axis is { } a && trials.Count > 0)
        {
            var points = trials.Select(t => new ChartPoint(t.PlanBytes / 1024.0, a.Value(t.Metrics!), t.Passed ? "pass" : "fail", Tooltip(t, r), t.Chosen ? Invariant($"chosen (trial {t.Number})") : null)).ToList();
            var series = new List<ChartSeries> { new("trials", "pass", points, Line: false) };
            if (a.Original is { } original)
            {
                series.Insert(0, new ChartSeries("fp32 original", "original", [new ChartPoint(r.OriginalBytes / 1024.0, original, "original", Invariant($"fp32 original: {Bytes(r.OriginalBytes)}"), "fp32")], Line: false));
            }

            s.Append(SvgChart.Render(Invariant($"Plan size against {a.Title} for each of the {trials.Count} trials"), "plan size (KB)", a.Title, series, a.Rules,
                x => x.ToString("0.#", CultureInfo.InvariantCulture), a.Format));
            s.Append("<p class=\"legend\"><span><i class=\"pass\"></i>passed the gate</span><span><i class=\"fail\"></i>failed</span>");
            if (a.Original is not null)
            {
                s.Append("<span><i class=\"original\"></i>the fp32 ONNX model</span>");
            }

            s.Append("<span>dashed: the gate's threshold</span></p>\n");
        }

        s.Append("<table class=\"trials\">\n<tr><th>#</th><th>step</th><th>sparsity</th><th>clusters</th><th>layers in fp32</th><th>plan</th><th>accuracy</th><th>agreement</th><th>mean cosine</th><th>gate</th></tr>\n");
        foreach (var t in r.Search)
        {
            s.Append(t.Chosen ? "<tr class=\"chosen\">" : "<tr>")
                .Append(Invariant($"<td class=\"n\">{t.Number}</td><td>{Html.Text(t.Step)}{(t.Chosen ? " <span class=\"badge\">chosen</span>" : "")}</td>"))
                .Append("<td class=\"n\">").Append(t.Sparsity is { } sparsity ? Number(sparsity) : "&ndash;").Append("</td>")
                .Append(Invariant($"<td class=\"n\">{t.Clusters}</td><td>{t.Fp32Layers}"));
            if (t.Fp32LayerAdded is { } added)
            {
                s.Append(" (+<span class=\"name\">").Append(Html.Name(added)).Append("</span>)");
            }

            s.Append("</td>").Append(Invariant($"<td class=\"n\">{Bytes(t.PlanBytes)}</td>"))
                .Append("<td class=\"n\">").Append(Percent(t.Metrics?.CompressedAccuracy)).Append("</td>")
                .Append("<td class=\"n\">").Append(Percent(t.Metrics?.Agreement)).Append("</td>")
                .Append("<td class=\"n\">").Append(t.Metrics is { } m ? Invariant($"{m.MeanCosine:0.00000}") : "&ndash;").Append("</td>")
                .Append("<td class=\"").Append(t.Passed ? "pass" : "fail").Append("\">").Append(t.Passed ? "pass" : "fail").Append("</td></tr>\n");
        }

        s.Append("</table>\n");
    }

    /// <summary>Loss and teacher agreement per epoch, one line per training run (the Student's, a trial's fine-tuning).</summary>
    private static void Distillation(StringBuilder s, DistillationReport d)
    {
        s.Append("<h2 id=\"distillation\">Distillation</h2>\n<p>Teacher <span class=\"name\">").Append(Html.Name(d.Teacher)).Append("</span>, student ")
            .Append(d.Student is null ? "the compressed model itself" : "<span class=\"name\">" + Html.Name(d.Student) + "</span>")
            .Append(Invariant($"; temperature {Number(d.Temperature)}; {d.TrainingSamples} samples trained on, {d.HeldBackSamples} held back{(d.Labels ? "; with labels" : "")}.</p>\n"));
        if (d.Stages.Sum(st => st.Epochs.Count) == 0)
        {
            s.Append("<p>No epoch was trained.</p>\n");
            return;
        }

        var stages = d.Stages.Select((stage, i) => (stage, Class: "s" + (i % 2 * 2).ToString(CultureInfo.InvariantCulture), Alt: "s" + (i % 2 * 2 + 1).ToString(CultureInfo.InvariantCulture))).ToList();
        var loss = new List<ChartSeries>();
        var agreement = new List<ChartSeries>();
        foreach (var (stage, cls, alt) in stages)
        {
            string name = StageName(stage.Stage);
            loss.Add(new ChartSeries(name + ": training loss", cls, stage.Epochs.Select(e => new ChartPoint(e.Epoch, e.Loss, cls, Invariant($"{name}, epoch {e.Epoch}: training loss {e.Loss:0.#####}"))).ToList(), Line: true));
            loss.Add(new ChartSeries(name + ": held-back loss", alt, stage.Epochs.Select(e => new ChartPoint(e.Epoch, e.HoldOutLoss, alt, Invariant($"{name}, epoch {e.Epoch}: held-back loss {e.HoldOutLoss:0.#####}"))).ToList(), Line: true));
            var points = new List<ChartPoint> { new(0, stage.InitialAgreement * 100, cls, Invariant($"{name}, before training: agreement {stage.InitialAgreement * 100:0.00}%")) };
            points.AddRange(stage.Epochs.Select(e => new ChartPoint(e.Epoch, e.Agreement * 100, cls,
                Invariant($"{name}, epoch {e.Epoch}: agreement {e.Agreement * 100:0.00}%{(e.Epoch == stage.BestEpoch ? " (best: its weights were kept)" : "")}"),
                e.Epoch == stage.BestEpoch ? "best" : null)));
            agreement.Add(new ChartSeries(name, cls, points, Line: true));
        }

        s.Append("<h3>Loss per epoch</h3>\n").Append(SvgChart.Render("Distillation loss per epoch", "epoch", "loss", loss, [], Epoch, v => v.ToString("0.###", CultureInfo.InvariantCulture)));
        s.Append("<p class=\"legend\">").AppendJoin("", loss.Select(l => "<span><i class=\"" + l.Class + "\"></i>" + Html.Text(l.Name) + "</span>")).Append("</p>\n");
        s.Append("<h3>Agreement with the teacher on the held-back samples</h3>\n")
            .Append(SvgChart.Render("Agreement with the teacher per epoch", "epoch", "agreement (%)", agreement, [], Epoch, v => v.ToString("0.#", CultureInfo.InvariantCulture)));
        s.Append("<p class=\"legend\">").AppendJoin("", agreement.Select(l => "<span><i class=\"" + l.Class + "\"></i>" + Html.Text(l.Name) + "</span>"))
            .Append("<span>epoch 0: before training; &ldquo;best&rdquo;: the epoch whose weights were kept</span></p>\n");
        s.Append("<table class=\"epochs\">\n<tr><th>run</th><th>epoch</th><th>training loss</th><th>held-back loss</th><th>agreement</th></tr>\n");
        foreach (var (stage, _, _) in stages)
        {
            foreach (var e in stage.Epochs)
            {
                s.Append(e.Epoch == stage.BestEpoch ? "<tr class=\"chosen\">" : "<tr>").Append("<td>").Append(Html.Text(StageName(stage.Stage))).Append("</td>")
                    .Append(Invariant($"<td class=\"n\">{e.Epoch}</td><td class=\"n\">{e.Loss:0.#####}</td><td class=\"n\">{e.HoldOutLoss:0.#####}</td><td class=\"n\">{e.Agreement * 100:0.00}%</td></tr>\n"));
            }
        }

        s.Append("</table>\n");
    }

    private static void Layers(StringBuilder s, CompressionReport r)
    {
        string unit = r.SensitivityMetric == "cosine" ? "mean cosine" : r.SensitivityMetric + ", points";
        double largest = r.Layers.Select(l => l.Sensitivity ?? 0).DefaultIfEmpty(0).Max();
        s.Append("<h2 id=\"layers\">Layers</h2>\n<p>Sensitivity: how much the ").Append(Html.Text(r.SensitivityMetric))
            .Append(" gains when the layer alone runs in fp32 (Dense and Conv layers, measured on at most ")
            .Append(Sensitivity.Samples.ToString(CultureInfo.InvariantCulture)).Append(" evaluation samples); <code>Fallback=\"Auto\"</code> keeps layers in fp32 in that order.</p>\n");
        s.Append("<table class=\"layers\">\n<tr><th>#</th><th>layer</th><th>op</th><th>precision</th><th>sparsity</th><th>clusters</th><th>merged neurons</th><th>fp32 parameters</th><th>in the plan</th><th>sensitivity (")
            .Append(Html.Text(unit)).Append(")</th></tr>\n");
        int index = 0;
        foreach (var layer in r.Layers)
        {
            var l = layer.Summary;
            bool fallback = r.FallbackLayers.Contains(l.Name);
            int clusters = r.SharedLayers.Contains(l.Name) ? r.ChosenClusters : 0;
            s.Append(Invariant($"<tr><td class=\"n\">{++index}</td><td class=\"name\">{Html.Name(l.Name)}</td><td>{Html.Text(l.Kind)}</td><td>{Html.Text(Precision(l.Precision))}{(fallback ? " <span class=\"badge\">fallback</span>" : "")}</td>"));
            s.Append("<td class=\"n\">").Append(l.Sparsity > 0 ? Invariant($"{l.Sparsity * 100:0.#}%") : "&ndash;").Append("</td>")
                .Append("<td class=\"n\">").Append(clusters > 0 ? Number(clusters) : "&ndash;").Append("</td>")
                .Append("<td class=\"n\">").Append(r.MergedNeurons.TryGetValue(l.Name, out int merged) && merged > 0 ? Number(merged) : "&ndash;").Append("</td>")
                .Append("<td class=\"n\">").Append(l.ParameterBytes > 0 ? Bytes(l.ParameterBytes) : "&ndash;").Append("</td>")
                .Append("<td class=\"n\">").Append(l.CompressedBytes > 0 ? Bytes(l.CompressedBytes) : "&ndash;").Append("</td>")
                .Append("<td class=\"n\">");
            if (layer.Sensitivity is { } sensitivity && double.IsFinite(sensitivity))
            {
                double shown = r.SensitivityMetric == "cosine" ? sensitivity : sensitivity * 100;
                int width = largest > 0 && sensitivity > 0 ? (int)Math.Round(60 * sensitivity / largest) : 0;
                if (width > 0)
                {
                    s.Append(Invariant($"<span class=\"bar\" style=\"width:{width}px\"></span>"));
                }

                s.Append(Invariant($"{(shown > 0 ? "+" : "")}{shown:0.#####}"));
            }
            else
            {
                s.Append("&ndash;");
            }

            s.Append("</td></tr>\n");
        }

        s.Append("</table>\n");
    }

    /// <summary>What the search plot's y axis shows: the gated metric as a person reads it, its threshold, the fp32 original's value.</summary>
    private sealed record PlotAxis(string Title, Func<Evaluation.Metrics, double> Value, Func<double, string> Format, IReadOnlyList<ChartRule> Rules, double? Original);

    /// <summary>
    /// The gated metric the trials were held to: the check the gate failed on; when it passed, the first check that
    /// some trial failed (the one that decided the search), else the first.
    /// </summary>
    private static PlotAxis? Axis(CompressionReport r)
    {
        static string Percent1(double v) => v.ToString("0.#", CultureInfo.InvariantCulture) + "%";
        var checks = r.Gate.Checks;
        var check = checks.FirstOrDefault(c => !c.Passed)
            ?? checks.FirstOrDefault(c => r.Search.Any(t => t.Metrics is { } m && !Holds(c, m)))
            ?? checks.FirstOrDefault();
        string metric = check?.Metric ?? (r.Metrics?.CompressedAccuracy is not null ? Pipeline.Gate.AccuracyDrop : Pipeline.Gate.Agreement);
        var rules = new List<ChartRule>();
        switch (metric)
        {
            case Pipeline.Gate.AccuracyDrop when r.Metrics?.OriginalAccuracy is { } original:
                if (check is not null)
                {
                    rules.Add(new((original * 100) - check.Threshold, Invariant($"gate: {original * 100:0.00}% (fp32) - MaxAccuracyDrop {GateText.Threshold(check.Threshold)}")));
                }

                return new PlotAxis("top-1 accuracy (%)", m => (m.CompressedAccuracy ?? double.NaN) * 100, Percent1, rules, original * 100);
            case Pipeline.Gate.Agreement:
                if (check is not null)
                {
                    rules.Add(new(check.Threshold * 100, "gate: MinAgreement " + GateText.Threshold(check.Threshold)));
                }

                return new PlotAxis("agreement with fp32 (%)", m => m.Agreement * 100, Percent1, rules, 100);
            case Pipeline.Gate.Cosine:
                if (check is not null)
                {
                    rules.Add(new(check.Threshold, "gate: MinCosine " + GateText.Threshold(check.Threshold)));
                }

                return new PlotAxis("mean cosine to fp32", m => m.MeanCosine, v => v.ToString("0.####", CultureInfo.InvariantCulture), rules, 1);
            default:
                return null;
        }
    }

    /// <summary>Whether <paramref name="m"/> meets <paramref name="check"/>'s threshold (as the gate compares, without its rounding tolerance).</summary>
    private static bool Holds(GateCheck check, Evaluation.Metrics m) => check.Metric switch
    {
        Pipeline.Gate.AccuracyDrop => m.AccuracyDropPoints is not { } drop || drop <= check.Threshold,
        Pipeline.Gate.Agreement => m.Agreement >= check.Threshold,
        _ => m.MeanCosine >= check.Threshold,
    };

    private static string Tooltip(SearchTrial t, CompressionReport r)
    {
        var parts = new List<string> { Invariant($"trial {t.Number} ({t.Step})") };
        if (t.Sparsity is { } sparsity)
        {
            parts.Add("sparsity " + Number(sparsity));
        }

        parts.Add(Invariant($"{t.Clusters} clusters"));
        if (t.Fp32Layers > 0)
        {
            parts.Add(Invariant($"{t.Fp32Layers} layers in fp32"));
        }

        parts.Add(Bytes(t.PlanBytes));
        if (t.Metrics is { } m)
        {
            if (m.CompressedAccuracy is { } accuracy)
            {
                parts.Add(Invariant($"accuracy {accuracy * 100:0.00}%"));
            }

            parts.Add(Invariant($"agreement {m.Agreement * 100:0.00}%"));
            parts.Add(Invariant($"mean cosine {m.MeanCosine:0.00000}"));
        }

        parts.Add(t.Passed ? "passed" : "failed");
        return string.Join(", ", parts);
    }

    private static string MetricTitle(string metric) => metric switch
    {
        Pipeline.Gate.AccuracyDrop => "top-1 accuracy drop against fp32",
        Pipeline.Gate.Agreement => "top-1 agreement with fp32",
        Pipeline.Gate.Cosine => "mean cosine similarity to fp32",
        _ => metric,
    };

    private static string Threshold(GateCheck check) => check.Metric == Pipeline.Gate.AccuracyDrop
        ? $"at most {GateText.Threshold(check.Threshold)} points (MaxAccuracyDrop)"
        : $"at least {GateText.Threshold(check.Threshold)} ({GateText.OptionName(check.Metric)})";

    private static string StageName(string stage) => stage switch
    {
        "student" => "Student training",
        "fineTune" => "fine-tuning",
        _ => stage,
    };

    private static void Row(StringBuilder s, string name, string html) => s.Append("<tr><th>").Append(Html.Text(name)).Append("</th><td>").Append(html).Append("</td></tr>\n");

    private static void OptionRow(StringBuilder s, string name, string asked, string chosen)
        => s.Append("<tr><td><code>").Append(Html.Text(name)).Append("</code></td><td>").Append(Html.Text(asked)).Append("</td><td>").Append(Html.Text(chosen)).Append("</td></tr>\n");

    private static string Precision(string precision) => precision == "Int8" ? "int8" : precision == "Float32" ? "fp32" : precision;

    private static string Percent(double? value) => value is { } v && double.IsFinite(v) ? Invariant($"{v * 100:0.00}%") : "&ndash;";

    /// <summary>Plain text (no markup), so that it can be escaped like any other.</summary>
    private static string Number(double value) => double.IsFinite(value) ? value.ToString("0.####", CultureInfo.InvariantCulture) : "\u2013";

    private static string Epoch(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => Reporting.Summary.FormatBytes(bytes);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
