using System.Text.Json;
using System.Text.RegularExpressions;
using BuildOptim.Compression;
using BuildOptim.Compression.Artifacts;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// report.json and report.html through the engine (<see cref="Compressor.Run(CompressionOptions)"/>): both written
/// whether the gate passes or fails, the gated metric and the advice, the search's trials as records and as a plot,
/// the distillation curves, escaping of names from the model, and byte-identical pages for the same inputs.
/// </summary>
public sealed class ReportTests : ScratchFolderTest
{
    private static string TrainingImages => Path.Combine(TestPaths.TestData, "models", "fashion_train.npz");

    [Fact]
    public void A_passing_gate_writes_a_self_contained_report_html_naming_the_gated_metric_and_every_layer()
    {
        string dir = Path.Combine(Root, "pass");
        var result = Compressor.Run(Models.FashionMlpOptions(dir) with { MaxAccuracyDrop = 0.5, WeightBits = WeightBitsMode.Eight });
        string html = File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName));

        Assert.True(result.Report.Gate.Passed);
        Assert.Contains("<section class=\"gate pass\" id=\"gate\">", html);
        Assert.Contains("<h2 class=\"verdict\">Gate passed</h2>", html);
        Assert.Matches(@"<tr><td>top-1 accuracy drop against fp32</td><td class=""n"">-?\d+\.\d+ pt</td><td class=""n"">at most 0\.5 points \(MaxAccuracyDrop\)</td><td class=""pass"">pass</td></tr>", html);
        Assert.Contains("88.20% (fp32) &rarr; 88.30% (int8)", html);
        foreach (var layer in result.Report.Layers)
        {
            Assert.Contains($"<td class=\"name\">{layer.Summary.Name}</td><td>{layer.Summary.Kind}</td><td>int8</td>", html);
        }

        // One trial, nothing searched: no plot, and the page says why.
        Assert.DoesNotContain("<svg", html);
        Assert.Contains("One trial", html);

        // Opens from obj/ as it is: no script, no external asset, no link out.
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);

        // The build line names the gated metric and where the page is; the summary embedded in the class has no path.
        Assert.Matches(@", gate passed: accuracy drop -?\d+\.\d+ pt <= MaxAccuracyDrop 0\.5$", result.SummaryLine);
        Assert.Equal(Path.GetFullPath(Path.Combine(dir, Compressor.ReportHtmlFileName)), result.ReportHtmlPath);
        Assert.Equal(result.SummaryLine + "; report: " + result.ReportHtmlPath, result.BuildLine);
        Assert.DoesNotContain(dir, File.ReadAllText(Path.Combine(dir, Compressor.DescriptorFileName)));
    }

    [Fact]
    public void A_failing_gate_writes_report_json_and_report_html_with_advice_but_no_plan()
    {
        string dir = Path.Combine(Root, "gate");
        Assert.True(Compressor.Run(Models.FashionMlpOptions(dir)).ArtifactsWritten); // a previous good build's plan must not survive

        var result = Compressor.Run(Models.FashionMlpOptions(dir) with { Prune = PruneMode.Magnitude, Sparsity = 0.95, MaxAccuracyDrop = 0.05 });

        Assert.False(result.ArtifactsWritten);
        Assert.False(File.Exists(Path.Combine(dir, Compressor.PlanFileName)));
        Assert.Contains("\nplan=absent\n", File.ReadAllText(Path.Combine(dir, Compressor.DescriptorFileName))); // the signature, for the IDE
        Assert.Equal([Compressor.DescriptorFileName, Compressor.ReportHtmlFileName, Compressor.ReportFileName], File.ReadAllLines(Path.Combine(dir, ArtifactWriter.ManifestFileName)));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, Compressor.ReportFileName)));
        var gate = json.RootElement.GetProperty("gate");
        Assert.False(gate.GetProperty("passed").GetBoolean());
        Assert.Equal("accuracyDrop", gate.GetProperty("metric").GetString());
        Assert.Equal(0.05, gate.GetProperty("threshold").GetDouble());
        var advice = gate.GetProperty("advice").EnumerateArray().Select(a => a.GetString()!).ToList();
        Assert.Contains(advice, a => a.StartsWith("Sparsity=0.95 (Magnitude) removes 95 % of the weights", StringComparison.Ordinal));
        Assert.Contains(advice, a => a.StartsWith("Distill=\"true\"", StringComparison.Ordinal));
        Assert.Equal("Or relax MaxAccuracyDrop (now 0.05; the drop is 78.9 points).", advice[^1]);
        Assert.EndsWith(string.Join(" ", advice), result.Report.Gate.Message);

        string html = File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName));
        Assert.Contains("<section class=\"gate fail\" id=\"gate\">", html);
        Assert.Contains("<h2 class=\"verdict\">Gate FAILED (BOPT2001)</h2>", html);
        Assert.Contains("<td class=\"n\">78.9 pt</td><td class=\"n\">at most 0.05 points (MaxAccuracyDrop)</td><td class=\"fail\">fail</td>", html);
        Assert.Contains("<li>Sparsity=0.95 (Magnitude) removes 95 % of the weights: a lower Sparsity, or Sparsity=&quot;Auto&quot;", html);
        Assert.Contains("<td class=\"n\">95%</td>", html);
        Assert.Matches(@", gate FAILED: accuracy drop 78\.9 pt > MaxAccuracyDrop 0\.05$", result.SummaryLine);
    }

    [Fact]
    public void Advice_names_the_layers_that_dominate_the_error_and_few_calibration_samples_with_their_figures()
    {
        // FashionCnn at MaxAccuracyDrop=0: int8 costs 0.2 points, and one layer alone in fp32 wins more back.
        var cnn = Compressor.Run(Models.FashionCnnOptions(Path.Combine(Root, "cnn")) with { MaxAccuracyDrop = 0 }).Report;
        Assert.Equal("BOPT2001", cnn.Gate.Code);
        string fallback = Assert.Single(cnn.Gate.Advice, a => a.StartsWith("Fallback=\"Auto\"", StringComparison.Ordinal));
        Assert.Contains("a few layers dominate the error here: in fp32 on its own, '", fallback);
        Assert.Matches(@"wins back \d+(\.\d+)? points.*against 0\.2 points missing \(sensitivities on 500 samples", fallback);
        var mostSensitive = cnn.Layers.Where(l => l.Sensitivity is not null).MaxBy(l => l.Sensitivity!.Value)!;
        Assert.Contains($"'{mostSensitive.Summary.Name}' wins back {mostSensitive.Sensitivity!.Value * 100:0.##} points", fallback);

        // 64 calibration samples, gated on cosine: the advice says how few, and the threshold is shown as set.
        var small = Compressor.Run(new CompressionOptions
        {
            ModelPath = Models.MlpTanh,
            CalibrationPath = Models.SmallCalibration,
            MinCosine = 0.99999,
            OutputDirectory = Path.Combine(Root, "small"),
        });
        Assert.Equal("BOPT2004", small.Report.Gate.Code);
        Assert.Contains("The int8 ranges were measured on 64 Calibration samples only: a few hundred representative samples give ranges that hold on new data.", small.Report.Gate.Advice);
        Assert.Matches(@", gate FAILED: mean cosine 0\.\d{5} < MinCosine 0\.99999; report: .*report\.html$", small.BuildLine);
    }

    [Fact]
    public void A_failed_search_keeps_each_trial_as_a_record_and_plots_size_against_the_gated_metric()
    {
        string dir = Path.Combine(Root, "share");
        var result = Compressor.Run(Models.FashionMlpOptions(dir) with { AutoShareWeights = true, MinAgreement = 1.0 });

        // Every cluster count failed MinAgreement=1: four trials, the last (plain int8) kept.
        Assert.Equal("BOPT2002", result.Report.Gate.Code);
        Assert.Equal(Compressor.AutoClusters, result.Report.Search.Select(t => t.Clusters));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, Compressor.ReportFileName)));
        var root = json.RootElement;
        Assert.Equal("Auto", root.GetProperty("options").GetProperty("shareWeights").GetString());
        Assert.Equal(0, root.GetProperty("chosenClusters").GetInt32());
        var trials = root.GetProperty("search").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3, 4], trials.Select(t => t.GetProperty("trial").GetInt32()));
        Assert.All(trials, t => Assert.Equal("compression", t.GetProperty("step").GetString()));
        Assert.All(trials, t => Assert.False(t.GetProperty("passed").GetBoolean()));
        Assert.Equal([false, false, false, true], trials.Select(t => t.GetProperty("chosen").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, trials[0].GetProperty("sparsity").ValueKind);
        Assert.Equal(result.Report.CompressedBytes, trials[^1].GetProperty("planBytes").GetInt64());
        Assert.True(trials[0].GetProperty("planBytes").GetInt64() < trials[^1].GetProperty("planBytes").GetInt64(), "4 shared clusters make a smaller plan than int8");
        Assert.Equal(result.Report.Metrics!.Agreement, trials[^1].GetProperty("agreement").GetDouble(), 6);
        Assert.All(trials, t => Assert.InRange(t.GetProperty("accuracy").GetDouble(), 0.5, 1.0));

        // The plot's y axis is the check that failed (agreement), with its threshold; one marker per trial and the fp32 original.
        string html = File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName));
        string svg = Regex.Match(html, "<svg.*?</svg>", RegexOptions.Singleline).Value;
        Assert.Contains("agreement with fp32 (%)", svg);
        Assert.Contains("gate: MinAgreement 1", svg);
        Assert.Equal(4, Regex.Matches(svg, "<circle class=\"fail\"").Count);
        Assert.Single(Regex.Matches(svg, "<circle class=\"original\""));
        Assert.Contains(">chosen (trial 4)</text>", svg);
        Assert.Contains("<title>trial 1 (compression), 4 clusters, ", svg);
        Assert.Equal(4, Regex.Matches(html, "<td class=\"fail\">fail</td></tr>").Count - 1); // the gate table's row is the fifth
        Assert.Contains("<tr><td><code>ShareWeights</code></td><td>Auto</td><td>0</td></tr>", html);
    }

    [Fact]
    public void Report_html_is_byte_identical_for_the_same_inputs()
    {
        string a = Path.Combine(Root, "a"), b = Path.Combine(Root, "b");
        var options = Models.FashionMlpOptions(a) with { AutoShareWeights = true, MaxAccuracyDrop = 0.2 };
        Compressor.Run(options);
        Compressor.Run(options with { OutputDirectory = b });

        byte[] html = File.ReadAllBytes(Path.Combine(a, Compressor.ReportHtmlFileName));
        Assert.Contains("<svg", System.Text.Encoding.UTF8.GetString(html));
        Assert.Equal(html, File.ReadAllBytes(Path.Combine(b, Compressor.ReportHtmlFileName)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(a, Compressor.ReportFileName)), File.ReadAllBytes(Path.Combine(b, Compressor.ReportFileName)));
    }

    [Fact]
    public void Hostile_layer_and_model_names_are_escaped_in_report_html()
    {
        const string Hostile = "<script>alert('x')</script>&\"\u2028<b>";
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Models.MlpTanh));
        proto.Graph.Node.First(n => n.OpType == "Gemm").Name = Hostile;
        Directory.CreateDirectory(Root);
        string model = Path.Combine(Root, "evil<img src=x onerror=alert(1)>.onnx");
        File.WriteAllBytes(model, proto.ToByteArray());
        string dir = Path.Combine(Root, "out");

        // A failing gate, so that the advice (which may name layers) is on the page too.
        var result = Compressor.Run(new CompressionOptions
        {
            ModelPath = model,
            CalibrationPath = Models.SmallCalibration,
            EvaluationPath = Models.SmallEvaluation,
            MinAgreement = 1,
            MinCosine = 1,
            ClassName = "Evil",
            OutputDirectory = dir,
        });

        Assert.Contains(result.Report.Layers, l => l.Summary.Name == Hostile);
        string html = File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\u2028", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"name\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;?&lt;b&gt;</td>", html);
        Assert.Contains("<title>BuildOptim report: evil&lt;img src=x onerror=alert(1)&gt;.onnx</title>", html);
    }

    [Fact]
    public void Distillation_curves_show_loss_and_teacher_agreement_per_epoch()
    {
        string dir = Path.Combine(Root, "distil");
        var result = Compressor.Run(Models.FashionMlpOptions(dir) with { Prune = PruneMode.Neurons, Sparsity = 0.8, Distill = true, TrainingDataPath = TrainingImages, DistillEpochs = 3, WeightBits = WeightBitsMode.Eight });
        var stage = Assert.Single(result.Report.Distillation!.Stages);

        string html = File.ReadAllText(Path.Combine(dir, Compressor.ReportHtmlFileName));
        var charts = Regex.Matches(html, "<svg.*?</svg>", RegexOptions.Singleline).Select(m => m.Value).ToList();
        Assert.Equal(2, charts.Count); // one trial: no search plot; the loss and the agreement
        Assert.Contains("<title>Distillation loss per epoch</title>", charts[0]);
        Assert.Equal(2, Regex.Matches(charts[0], "<polyline ").Count); // training and held-back loss
        Assert.Equal(2 * stage.Epochs.Count, Regex.Matches(charts[0], "<circle ").Count);
        Assert.Contains("<title>Agreement with the teacher per epoch</title>", charts[1]);
        Assert.Equal(stage.Epochs.Count + 1, Regex.Matches(charts[1], "<circle ").Count); // epoch 0: before training
        Assert.Contains(">best</text>", charts[1]);
        Assert.Equal(stage.Epochs.Count, Regex.Matches(html, "<td>fine-tuning</td>").Count);
        Assert.Contains($"fine-tuning, epoch 1: training loss {stage.Epochs[0].Loss.ToString("0.#####", System.Globalization.CultureInfo.InvariantCulture)}", charts[0]);
    }
}
