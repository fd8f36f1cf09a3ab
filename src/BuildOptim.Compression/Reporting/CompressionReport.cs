using System.Text.Json;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;

namespace BuildOptim.Compression.Reporting;

/// <summary>Per-layer row of the report.</summary>
public sealed record LayerReport(LayerSummary Summary, double? Sensitivity);

/// <summary>The outcome of the accuracy gate.</summary>
/// <param name="Metric"><c>accuracyDrop</c>, <c>agreement</c> or <c>cosine</c>; <c>none</c> without evaluation data, <c>off</c> with BuildOptimGate=Off.</param>
/// <param name="Message">What was measured against what; on a failure, followed by the <see cref="Advice"/>.</param>
public sealed record GateResult(bool Evaluated, bool Passed, string Metric, double Threshold, double? Value, string? Code, string Message)
{
    /// <summary>Every metric the gate checked, in order (the accuracy drop, then MinAgreement and MinCosine when they are set too); the result above is the first that failed, else the first.</summary>
    public IReadOnlyList<GateCheck> Checks { get; init; } = [];

    /// <summary>When the gate failed: what would help, each with the figures that support it (<see cref="Pipeline.GateAdvice"/>).</summary>
    public IReadOnlyList<string> Advice { get; init; } = [];
}

/// <summary>One metric the gate checked against its threshold.</summary>
public sealed record GateCheck(string Metric, double Threshold, double Value, bool Passed);

/// <summary>
/// Everything report.json holds. Contains no timestamps or paths that vary between runs of the same inputs.
/// JSON has no NaN or infinity: a metric, threshold or option that is not a finite number is written as null.
/// </summary>
public sealed record CompressionReport(
    string Model,
    string ClassName,
    string Precision,
    long OriginalBytes,
    long CompressedBytes,
    long WeightBytes,
    Metrics? Metrics,
    GateResult Gate,
    IReadOnlyList<LayerReport> Layers,
    CompressionOptions Options,
    string ToolVersion)
{
    /// <summary>The sparsity used (the search's choice with <c>Sparsity="Auto"</c>); null without pruning.</summary>
    public double? ChosenSparsity { get; init; }

    /// <summary>Clusters per layer used for weight sharing (0 = off).</summary>
    public int ChosenClusters { get; init; }

    /// <summary>Layers whose weights are shared (clustered), by name.</summary>
    public IReadOnlySet<string> SharedLayers { get; init; } = new HashSet<string>();

    /// <summary>Neurons/channels removed by <c>MergeNeurons</c>, by layer name (layers with none are absent).</summary>
    public IReadOnlyDictionary<string, int> MergedNeurons { get; init; } = new Dictionary<string, int>();

    /// <summary>Layers <c>Fallback="Auto"</c> kept in fp32, in the order they were added.</summary>
    public IReadOnlyList<string> FallbackLayers { get; init; } = [];

    /// <summary>Every model the run built and evaluated, in order (Sparsity, ShareWeights, Fallback and WeightBits searches); <see cref="SearchTrial.Chosen"/> marks the one kept.</summary>
    public IReadOnlyList<SearchTrial> Search { get; init; } = [];

    /// <summary>What a layer's sensitivity measures: <c>accuracy</c> (with labels), <c>agreement</c> or <c>cosine</c>.</summary>
    public string SensitivityMetric { get; init; } = "accuracy";

    /// <summary>Samples the activation ranges were measured on; null without calibration data.</summary>
    public int? CalibrationSamples { get; init; }

    /// <summary>Dense and Conv layers whose weight codes are 7 bits wide (<c>WeightBits</c>), in plan order.</summary>
    public IReadOnlyList<string> SevenBitLayers { get; init; } = [];

    /// <summary>With <c>Distill</c> or a <c>Student</c>: the teacher, the student and each training run, epoch by epoch.</summary>
    public Distillation.DistillationReport? Distillation { get; init; }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        // Relaxed escaping: the report is a file, not HTML, so "+" and "'" stay readable (only quotes, backslashes and controls are escaped).
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("tool", "BuildOptim " + ToolVersion);
            w.WriteString("model", Model);
            w.WriteString("className", ClassName);
            w.WriteString("precision", Precision);
            w.WriteNumber("originalBytes", OriginalBytes);
            w.WriteNumber("compressedBytes", CompressedBytes);
            w.WriteNumber("compressionRatio", Math.Round(OriginalBytes / (double)Math.Max(1, CompressedBytes), 3));
            w.WriteNumber("evaluationSamples", Metrics?.SampleCount ?? 0);
            if (CalibrationSamples is { } calibrationSamples)
            {
                w.WriteNumber("calibrationSamples", calibrationSamples);
            }
            else
            {
                w.WriteNull("calibrationSamples");
            }

            w.WriteStartObject("original");
            WriteNullable(w, "accuracy", Metrics?.OriginalAccuracy);
            w.WriteEndObject();
            w.WriteStartObject("compressed");
            WriteNullable(w, "accuracy", Metrics?.CompressedAccuracy);
            w.WriteEndObject();
            WriteNullable(w, "accuracyDropPoints", Metrics?.AccuracyDropPoints);
            WriteNullable(w, "agreement", Metrics?.Agreement);
            WriteNullable(w, "retrievalAgreement", Metrics?.RetrievalAgreement);
            WriteNullable(w, "maxAbsError", Metrics?.MaxAbsError);
            w.WriteStartObject("cosine");
            WriteNullable(w, "mean", Metrics?.MeanCosine);
            WriteNullable(w, "min", Metrics?.MinCosine);
            w.WriteEndObject();
            w.WriteStartObject("gate");
            w.WriteBoolean("evaluated", Gate.Evaluated);
            w.WriteBoolean("passed", Gate.Passed);
            w.WriteString("metric", Gate.Metric);
            WriteFinite(w, "threshold", Gate.Threshold);
            WriteNullable(w, "value", Gate.Value);
            w.WriteString("message", Gate.Message);
            w.WriteStartArray("checks");
            foreach (var check in Gate.Checks)
            {
                w.WriteStartObject();
                w.WriteString("metric", check.Metric);
                WriteFinite(w, "threshold", check.Threshold);
                WriteNullable(w, "value", check.Value);
                w.WriteBoolean("passed", check.Passed);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("advice");
            foreach (string advice in Gate.Advice)
            {
                w.WriteStringValue(advice);
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("options");
            w.WriteString("quantize", Options.Quantize.ToString());
            w.WriteString("calibrator", Options.Calibrator.ToString());
            w.WriteString("prune", Options.Prune.ToString());
            // What was asked: "Auto" for a search, whose choice is chosenSparsity / chosenClusters / fallbackLayers.
            if (Options.AutoSparsity)
            {
                w.WriteString("sparsity", AutoValue);
            }
            else
            {
                WriteFinite(w, "sparsity", Options.Sparsity);
            }

            if (Options.AutoShareWeights)
            {
                w.WriteString("shareWeights", AutoValue);
            }
            else
            {
                w.WriteNumber("shareWeights", Options.ShareWeights);
            }

            WriteFinite(w, "maxAccuracyDrop", Options.MaxAccuracyDrop);
            WriteNullable(w, "minAgreement", Options.MinAgreement);
            WriteNullable(w, "minCosine", Options.MinCosine);
            w.WriteString("fallback", Options.Fallback.ToString());
            w.WriteBoolean("distill", Options.Distills);
            w.WriteNumber("distillEpochs", Options.DistillEpochs);
            WriteFinite(w, "distillTemperature", Options.DistillTemperature);
            WriteFileOption(w, "inputShape", Options.InputShape);
            WriteFileOption(w, "tokenizer", Options.TokenizerPath is { } tokenizer ? Path.GetFileName(tokenizer) : null);
            WriteFileOption(w, "classNames", Options.ClassNamesPath is { } classNames ? Path.GetFileName(classNames) : null);
            WriteImageOptions(w, Options.Images);
            w.WriteEndObject();
            if (ChosenSparsity is { } chosen)
            {
                WriteFinite(w, "chosenSparsity", chosen);
            }

            w.WriteNumber("chosenClusters", ChosenClusters);
            WriteFinite(w, "mergeNeurons", Options.MergeNeurons);
            w.WriteStartArray("fallbackLayers");
            foreach (string layer in FallbackLayers)
            {
                w.WriteStringValue(layer);
            }

            w.WriteEndArray();
            w.WriteString("weightBits", Options.WeightBits switch { WeightBitsMode.Seven => "7", WeightBitsMode.Eight => "8", _ => "Auto" });
            w.WriteStartArray("sevenBitLayers");
            foreach (string layer in SevenBitLayers)
            {
                w.WriteStringValue(layer);
            }

            w.WriteEndArray();
            WriteSearch(w);
            if (Distillation is { } distillation)
            {
                WriteDistillation(w, distillation);
            }

            w.WriteString("sensitivityMetric", SensitivityMetric);
            w.WriteStartArray("layers");
            foreach (var layer in Layers)
            {
                w.WriteStartObject();
                w.WriteString("name", layer.Summary.Name);
                w.WriteString("kind", layer.Summary.Kind);
                w.WriteString("precision", layer.Summary.Precision);
                if (layer.Summary.WeightBits > 0)
                {
                    w.WriteNumber("weightBits", layer.Summary.WeightBits);
                }

                WriteNullable(w, "sparsity", layer.Summary.Sparsity);
                w.WriteNumber("parameterBytes", layer.Summary.ParameterBytes);
                w.WriteNumber("compressedBytes", layer.Summary.CompressedBytes);
                WriteNullable(w, "sensitivity", layer.Sensitivity);
                w.WriteNumber("clusters", SharedLayers.Contains(layer.Summary.Name) ? ChosenClusters : 0);
                w.WriteNumber("mergedNeurons", MergedNeurons.TryGetValue(layer.Summary.Name, out int merged) ? merged : 0);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>How report.json and report.html write an option that was searched.</summary>
    public const string AutoValue = "Auto";

    /// <summary>
    /// <c>search</c>: every trial with what it tried (sparsity, clusters, layers in fp32), its plan's size, its metrics
    /// and whether it passed the gate; the chosen one is marked.
    /// </summary>
    private void WriteSearch(Utf8JsonWriter w)
    {
        w.WriteStartArray("search");
        foreach (var trial in Search)
        {
            w.WriteStartObject();
            w.WriteNumber("trial", trial.Number);
            w.WriteString("step", trial.Step);
            WriteNullable(w, "sparsity", trial.Sparsity);
            w.WriteNumber("clusters", trial.Clusters);
            w.WriteNumber("fp32Layers", trial.Fp32Layers);
            if (trial.Fp32LayerAdded is null)
            {
                w.WriteNull("fp32LayerAdded");
            }
            else
            {
                w.WriteString("fp32LayerAdded", trial.Fp32LayerAdded);
            }

            w.WriteNumber("sevenBitLayers", trial.SevenBitLayers);
            if (trial.SevenBitLayerAdded is { } sevenBit)
            {
                w.WriteString("sevenBitLayerAdded", sevenBit);
            }

            w.WriteNumber("planBytes", trial.PlanBytes);
            WriteNullable(w, "accuracy", trial.Metrics?.CompressedAccuracy);
            WriteNullable(w, "accuracyDropPoints", trial.Metrics?.AccuracyDropPoints);
            WriteNullable(w, "agreement", trial.Metrics?.Agreement);
            WriteNullable(w, "meanCosine", trial.Metrics?.MeanCosine);
            w.WriteBoolean("passed", trial.Passed);
            w.WriteBoolean("chosen", trial.Chosen);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// <c>distillation</c>: teacher and student file names (student null when the compressed original learnt), the
    /// temperature, the samples trained on and held back, whether labels were used, the total epochs, and each stage's
    /// epochs (mean training loss, held-back loss and teacher agreement after the epoch).
    /// </summary>
    private static void WriteDistillation(Utf8JsonWriter w, Distillation.DistillationReport d)
    {
        w.WriteStartObject("distillation");
        w.WriteString("teacher", d.Teacher);
        if (d.Student is null)
        {
            w.WriteNull("student");
        }
        else
        {
            w.WriteString("student", d.Student);
        }

        WriteFinite(w, "temperature", d.Temperature);
        w.WriteNumber("trainingSamples", d.TrainingSamples);
        w.WriteNumber("heldBackSamples", d.HeldBackSamples);
        w.WriteBoolean("labels", d.Labels);
        w.WriteNumber("epochs", d.Stages.Sum(s => s.Epochs.Count));
        w.WriteStartArray("stages");
        foreach (var stage in d.Stages)
        {
            w.WriteStartObject();
            w.WriteString("stage", stage.Stage);
            w.WriteNumber("bestEpoch", stage.BestEpoch);
            WriteNullable(w, "initialAgreement", stage.InitialAgreement);
            w.WriteStartArray("epochs");
            foreach (var epoch in stage.Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", epoch.Epoch);
                WriteNullable(w, "loss", epoch.Loss);
                WriteNullable(w, "heldBackLoss", epoch.HoldOutLoss);
                WriteNullable(w, "agreement", epoch.Agreement);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes <paramref name="value"/> as it is, or null when it is NaN or infinite.</summary>
    /// <summary>A text option as given (file options by file name only), or null when it was not set.</summary>
    private static void WriteFileOption(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>The image preprocessing an image-folder data set is read with (null size, layout or channels: the model input's).</summary>
    private static void WriteImageOptions(Utf8JsonWriter w, ImagePreprocessing images)
    {
        w.WriteStartObject("image");
        WriteNullable(w, "width", images.Width);
        WriteNullable(w, "height", images.Height);
        WriteFileOption(w, "layout", images.Layout);
        WriteFileOption(w, "channels", images.Channels);
        WriteFinite(w, "scale", images.Scale);
        w.WriteStartArray("mean");
        foreach (double value in images.Mean)
        {
            w.WriteNumberValue(value);
        }

        w.WriteEndArray();
        w.WriteStartArray("std");
        foreach (double value in images.Std)
        {
            w.WriteNumberValue(value);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteFinite(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>Writes <paramref name="value"/> rounded to 6 decimals, or null when it is null, NaN or infinite.</summary>
    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, 6));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
