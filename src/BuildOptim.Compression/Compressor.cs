using System.Globalization;
using System.Text;
using BuildOptim.Compression.Artifacts;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Lowering;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression;

/// <summary>The result of one compression: the report, and whether the artifacts were written.</summary>
public sealed record CompressionResult(CompressionReport Report, bool ArtifactsWritten, string SummaryLine);

/// <summary>
/// Load → lower → prune → calibrate → quantize → evaluate (ONNX Runtime vs the Runtime kernels on the
/// very plan that will ship) → gate → write artifacts atomically.
/// </summary>
public static class Compressor
{
    public const string PlanFileName = "model.bopt";
    public const string DescriptorFileName = "model.boptgen";
    public const string ReportFileName = "report.json";
    public const string EvaluationOutputsFileName = "evaluation-outputs.npy";

    /// <summary>Written when the gate failed but the build goes on (BuildOptimGate=Warning): "BOPTnnnn: message".</summary>
    public const string GateWarningFileName = "gate-warning.txt";

    /// <summary>Sensitivity analysis evaluates at most this many samples per layer.</summary>
    public const int SensitivitySamples = 500;

    public static string ToolVersion => ToolInfo.Version;

    /// <summary>Sparsities <c>Sparsity="Auto"</c> tries, from the largest down; the first that passes the gate wins.</summary>
    public static readonly IReadOnlyList<double> AutoSparsities = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];

    /// <summary>Cluster counts <c>ShareWeights="Auto"</c> tries, fewest first; 0 (no sharing) is the last resort.</summary>
    public static readonly IReadOnlyList<int> AutoClusters = [4, 8, 16, 0];

    public static CompressionResult Run(CompressionOptions options)
    {
        ValidateOptions(options);
        var graph = OnnxModelLoader.Load(options.ModelPath);
        var baseModel = GraphLowering.LowerModel(graph);

        // Each data file is read once: the evaluation file's arrays serve its inputs and its labels, and are the
        // calibration file's when both name the same file.
        var calibrationArrays = options.CalibrationPath is null ? null : DataFile.Read(options.CalibrationPath);
        NdArray? calibration = calibrationArrays is null ? null : DataSets.SelectInputs(options.CalibrationPath!, calibrationArrays, baseModel);
        string? evaluationPath = options.EvaluationPath ?? options.CalibrationPath;
        bool evaluateOnCalibration = evaluationPath == options.CalibrationPath;
        var evaluationArrays = evaluationPath is null ? null : evaluateOnCalibration ? calibrationArrays : DataFile.Read(evaluationPath);
        NdArray? evaluation = evaluationArrays is null ? null
            : evaluateOnCalibration ? calibration : DataSets.SelectInputs(evaluationPath!, evaluationArrays, baseModel);
        int[]? labels = evaluation is null ? null : DataSets.SelectLabels(evaluationPath!, evaluationArrays!, options.Labels, evaluation.SampleCount, baseModel.OutputLength);
        float[]? reference = evaluation is null ? null : OrtReference.Run(options.ModelPath, baseModel, evaluation);

        // 0. MergeNeurons: once, before every trial; pruning, sharing and quantization start from the merged model.
        var merging = options.MergeNeurons > 0 ? NeuronMerging.Apply(baseModel, calibration!, options.MergeNeurons) : null;
        var context = new SearchContext(options, merging?.Network ?? baseModel, calibration, evaluation, labels, reference);

        // 1. The compression level: fixed, or the largest sparsity whose int8 model passes the gate.
        var searchLog = new List<string>();
        var sparsities = options.AutoSparsity && options.Prune != PruneMode.None ? AutoSparsities : [options.Sparsity];
        var clusterCounts = options.AutoShareWeights ? AutoClusters : [options.ShareWeights];
        Candidate candidate = null!;
        foreach (double sparsity in sparsities)
        {
            foreach (int clusters in clusterCounts)
            {
                candidate = Build(context, sparsity, clusters, new HashSet<string>());
                if (sparsities.Count > 1 || clusterCounts.Count > 1)
                {
                    searchLog.Add(string.Create(CultureInfo.InvariantCulture, $"sparsity {sparsity:0.##}, clusters {clusters}: {(candidate.Gate.Passed ? "passed" : "failed")}"));
                }

                if (candidate.Gate.Passed)
                {
                    break;
                }
            }

            if (candidate.Gate.Passed)
            {
                break;
            }
        }

        // 2. Fallback="Auto": keep the most sensitive layers in fp32, one at a time, until the gate passes.
        var sensitivities = candidate.Ranges is not null && evaluation is not null
            ? MeasureSensitivity(context, candidate)
            : new Dictionary<string, double>();
        var fallbackLayers = new List<string>();
        if (!candidate.Gate.Passed && candidate.Ranges is not null && options.Fallback == FallbackMode.Auto)
        {
            // Dense and Conv layers first (their sensitivities are measured for the report anyway); then, if the gate still
            // fails, the layers still on codes (residual adds, pools, ...), measured against that plan, until none is left.
            var stages = new[] { sensitivities, null };
            foreach (var stage in stages)
            {
                var scores = stage ?? MeasureSensitivity(context, candidate, candidate.Plan.Layers.Where(l => l.Precision == "Int8").Select(l => l.Name), fallbackLayers.ToHashSet());
                foreach (string layer in FallbackOrder(scores, candidate.Model))
                {
                    fallbackLayers.Add(layer);
                    candidate = Build(context, candidate.Sparsity, candidate.Clusters, fallbackLayers.ToHashSet(), candidate);
                    searchLog.Add($"fp32 {layer}: {(candidate.Gate.Passed ? "passed" : "failed")}");
                    if (candidate.Gate.Passed)
                    {
                        break;
                    }
                }

                if (candidate.Gate.Passed)
                {
                    break;
                }
            }
        }

        var plan = candidate.Plan;
        var layerReports = plan.Layers.Select(l => new LayerReport(l, sensitivities.TryGetValue(l.Name, out double v) ? v : null)).ToList();
        long originalBytes = new FileInfo(options.ModelPath).Length;
        var report = new CompressionReport(
            Path.GetFileName(options.ModelPath),
            options.EffectiveClassName,
            options.Quantize == QuantizeMode.Int8 ? "Int8" : "Float32",
            originalBytes,
            plan.Bytes.Length,
            plan.Layers.Sum(l => l.CompressedBytes),
            candidate.Metrics,
            candidate.Gate,
            layerReports,
            options,
            ToolVersion)
        {
            ChosenSparsity = options.Prune == PruneMode.None ? null : candidate.Sparsity,
            ChosenClusters = candidate.Clusters,
            SharedLayers = candidate.Shared?.Keys.ToHashSet() ?? [],
            MergedNeurons = merging?.Layers.Where(l => l.Merged > 0).ToDictionary(l => l.Name, l => l.Merged) ?? new Dictionary<string, int>(),
            FallbackLayers = fallbackLayers,
            Search = searchLog,
        };

        string summary = Summarize(report) + DescribeCsv(calibration, evaluation);
        bool write = candidate.Gate.Passed || options.Gate != GateMode.Error;
        if (write)
        {
            WriteArtifacts(options, candidate.Model, plan.Bytes, report, candidate.Outputs, candidate.Ranges, fallbackLayers.ToHashSet());
        }
        else
        {
            ArtifactWriter.Delete(options.OutputDirectory);
        }

        return new CompressionResult(report, write, summary);
    }

    /// <summary>Everything a trial needs that does not change between trials.</summary>
    private sealed record SearchContext(CompressionOptions Options, Network BaseModel, NdArray? Calibration, NdArray? Evaluation, int[]? Labels, float[]? Reference);

    /// <summary>One compressed model with its evaluation.</summary>
    private sealed record Candidate(double Sparsity, int Clusters, Network Model, IReadOnlyDictionary<string, SharedWeights>? Shared, Dictionary<int, TensorRange>? Ranges, CompiledPlan Plan, float[]? Outputs, Metrics? Metrics, GateResult Gate);

    /// <summary>Prune (if asked) → calibrate → compile → evaluate; <paramref name="reuse"/> skips pruning and calibration.</summary>
    private static Candidate Build(SearchContext c, double sparsity, int clusters, IReadOnlySet<string> floatLayers, Candidate? reuse = null)
    {
        var options = c.Options;
        Network model;
        Dictionary<int, TensorRange>? ranges;
        IReadOnlyDictionary<string, SharedWeights>? shared = null;
        if (reuse is not null)
        {
            model = reuse.Model;
            ranges = reuse.Ranges;
            shared = reuse.Shared;
        }
        else
        {
            model = options.Prune switch
            {
                PruneMode.Magnitude => MagnitudePruning.Apply(c.BaseModel, sparsity),
                PruneMode.Neurons => PruneNeurons(c.BaseModel, c.Calibration!, sparsity),
                _ => c.BaseModel,
            };
            if (clusters > 0)
            {
                CheckFiniteWeights(options, model);

                // Calibration, evaluation and the fp32 path all see the shared weights.
                var sharing = WeightSharing.Apply(model, clusters);
                model = sharing.Network;
                shared = sharing.Layers;
            }

            ranges = options.Quantize == QuantizeMode.Int8
                ? Calibrators.Calibrate(model, c.Calibration!, options.Calibrator)
                : null;
            if (ranges is not null)
            {
                CheckRanges(options, model, ranges, c.Calibration!);
            }
        }

        CompiledPlan plan;
        try
        {
            plan = PlanCompiler.Compile(model, options.Quantize, ranges, floatLayers, sharedWeights: shared);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "real")
        {
            // A requantization multiplier out of fixed-point range: scales of neighbouring tensors 2^30 apart.
            throw new CompressionException(Diagnostics.RangeNotRepresentable, options.CalibrationPath ?? options.ModelPath,
                $"The activation ranges measured on the Calibration data of '{options.ItemSpec ?? options.ModelPath}' cannot be represented in int8 fixed point ({e.Message.Split('\n')[0].Split(" (Parameter")[0]}); {LargestInput(c.Calibration!)} Check the data's scale (e.g. pixels /255), or keep the model in fp32 (Quantize=\"None\").");
        }
        float[]? outputs = null;
        Metrics? metrics = null;
        if (c.Evaluation is not null)
        {
            outputs = RunPlan(plan.Bytes, c.Evaluation, c.Evaluation.SampleCount);
            metrics = Metrics.Compute(c.Reference!, outputs, model.OutputLength, c.Labels);
        }

        return new Candidate(sparsity, clusters, model, shared, ranges, plan, outputs, metrics, EvaluateGate(options, metrics, IsClassifier(model)));
    }

    /// <summary>Values beyond this magnitude have no int8 representation worth shipping; they come from data in the wrong scale.</summary>
    public const float MaxActivationMagnitude = 1e30f;

    /// <summary>Every calibrated range must be finite and of a magnitude int8 fixed point can carry (BOPT1110 otherwise).</summary>
    private static void CheckRanges(CompressionOptions options, Network model, Dictionary<int, TensorRange> ranges, NdArray calibration)
    {
        foreach (var (id, range) in ranges.OrderBy(kv => kv.Key))
        {
            if (range.Min < -MaxActivationMagnitude || range.Max > MaxActivationMagnitude || float.IsNaN(range.Min) || float.IsNaN(range.Max))
            {
                throw new CompressionException(Diagnostics.RangeNotRepresentable, options.CalibrationPath ?? options.ModelPath, string.Create(CultureInfo.InvariantCulture,
                    $"Tensor '{DisplayText.Safe(model.Value(id).Name)}' of '{options.ItemSpec ?? options.ModelPath}' reaches [{range.Min:G4}, {range.Max:G4}] on the Calibration data, beyond what int8 can represent (|x| <= {MaxActivationMagnitude:G1}); {LargestInput(calibration)} Check the data's scale (e.g. pixels /255), or keep the model in fp32 (Quantize=\"None\")."));
            }
        }
    }

    /// <summary>Weight sharing clusters weight values: a NaN or infinite weight has no cluster (BOPT1002 naming the layer).</summary>
    private static void CheckFiniteWeights(CompressionOptions options, Network model)
    {
        foreach (var layer in model.Layers)
        {
            float[]? weights = layer switch { DenseLayer d => d.Weights, ConvLayer c => c.Weights, _ => null };
            if (weights is not null && Array.Exists(weights, w => !float.IsFinite(w)))
            {
                throw new CompressionException(OnnxDiagnostics.InvalidModel, options.ModelPath,
                    $"Layer '{DisplayText.Safe(layer.Name)}' of '{options.ItemSpec ?? options.ModelPath}' has NaN or infinite weights, which ShareWeights cannot cluster; re-export the model from a healthy checkpoint.");
            }
        }
    }

    /// <summary>"the largest input value is V, in sample S." for messages about out-of-scale data.</summary>
    private static string LargestInput(NdArray data)
    {
        int sample = 0;
        float largest = -1;
        for (int s = 0; s < data.SampleCount; s++)
        {
            foreach (float v in data.Sample(s))
            {
                if (Math.Abs(v) > largest)
                {
                    (largest, sample) = (Math.Abs(v), s);
                }
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"the largest input magnitude is {largest:G4}, in sample {sample}.");
    }

    private static Network PruneNeurons(Network model, NdArray calibration, double sparsity)
        => sparsity <= 0 ? model : NeuronPruning.Apply(model, calibration, sparsity).Network;

    /// <summary>Runs a serialized plan through the Runtime, exactly as the generated class does.</summary>
    public static float[] RunPlan(byte[] planBytes, NdArray inputs, int sampleCount)
    {
        var runner = new PlanRunner(ModelPlan.FromBytes(planBytes));
        var outputs = new float[(long)sampleCount * runner.OutputLength];
        for (int s = 0; s < sampleCount; s++)
        {
            runner.Run(inputs.Sample(s), outputs.AsSpan(s * runner.OutputLength, runner.OutputLength));
        }

        return outputs;
    }

    /// <summary>Most sensitive first; ties in network order.</summary>
    private static List<string> FallbackOrder(Dictionary<string, double> sensitivities, Network model)
        => [.. sensitivities.OrderByDescending(kv => kv.Value).ThenBy(kv => model.Layers.FindIndex(l => l.Name == kv.Key)).Select(kv => kv.Key)];

    /// <summary>
    /// Sensitivity of each Dense/Conv layer: how much the gate's metric improves when that layer alone
    /// runs in fp32 (accuracy with labels, else agreement for classifiers, else mean cosine), measured on
    /// at most <see cref="SensitivitySamples"/> evaluation samples.
    /// </summary>
    private static Dictionary<string, double> MeasureSensitivity(SearchContext c, Candidate baseline)
        => MeasureSensitivity(c, baseline, baseline.Model.Layers.Where(l => l is DenseLayer or ConvLayer).Select(l => l.Name), new HashSet<string>());

    /// <summary>
    /// The sensitivity of each of <paramref name="layers"/> over <paramref name="baseline"/>, whose plan keeps
    /// <paramref name="floatLayers"/> in fp32: how much the gate's metric improves when that layer runs in fp32 as well.
    /// </summary>
    private static Dictionary<string, double> MeasureSensitivity(SearchContext c, Candidate baseline, IEnumerable<string> layers, IReadOnlySet<string> floatLayers)
    {
        var result = new Dictionary<string, double>();
        var model = baseline.Model;
        int count = Math.Min(c.Evaluation!.SampleCount, SensitivitySamples);
        var referenceSlice = c.Reference.AsSpan(0, count * model.OutputLength).ToArray();
        var labelSlice = c.Labels?.Take(count).ToArray();
        bool classifier = IsClassifier(model);
        double Score(Metrics m) => m.CompressedAccuracy ?? (classifier ? m.Agreement : m.MeanCosine);
        double baseScore = Score(Metrics.Compute(referenceSlice, baseline.Outputs.AsSpan(0, count * model.OutputLength).ToArray(), model.OutputLength, labelSlice));
        foreach (string layer in layers)
        {
            var plan = PlanCompiler.Compile(model, QuantizeMode.Int8, baseline.Ranges, new HashSet<string>(floatLayers) { layer }, sharedWeights: baseline.Shared);
            var m = Metrics.Compute(referenceSlice, RunPlan(plan.Bytes, c.Evaluation, count), model.OutputLength, labelSlice);
            result[layer] = Score(m) - baseScore;
        }

        return result;
    }

    /// <summary>A single output of [batch, classes] with more than one class: top-1 metrics make sense.</summary>
    public static bool IsClassifier(Network model) => model.Outputs.Count == 1 && model.OutputShape.Length == 1 && model.OutputLength > 1;

    private static GateResult EvaluateGate(CompressionOptions options, Metrics? metrics, bool classifier)
    {
        if (metrics is null)
        {
            return new GateResult(false, true, "none", 0, null, null, "No evaluation data: the accuracy gate was not evaluated.");
        }

        if (options.Gate == GateMode.Off)
        {
            return new GateResult(false, true, "off", 0, null, null, "The accuracy gate is off (BuildOptimGate=Off).");
        }

        string item = options.ItemSpec ?? options.ModelPath;
        if (metrics.AccuracyDropPoints is { } drop)
        {
            bool passed = drop <= options.MaxAccuracyDrop + 1e-9;
            string message = string.Create(CultureInfo.InvariantCulture,
                $"Accuracy gate {(passed ? "passed" : "failed")} for '{item}': top-1 accuracy {metrics.OriginalAccuracy:P2} (fp32) -> {metrics.CompressedAccuracy:P2} ({options.Quantize.ToString().ToLowerInvariant()}), a drop of {drop:0.###} points against MaxAccuracyDrop={options.MaxAccuracyDrop:0.###} on {metrics.SampleCount} samples.");
            if (passed && options.MinAgreement is { } min && metrics.Agreement < min)
            {
                return AgreementGate(options, metrics, min);
            }

            if (passed && options.MinCosine is { } minCosine && metrics.MeanCosine < minCosine)
            {
                return CosineGate(options, metrics, minCosine);
            }

            return new GateResult(true, passed, "accuracyDrop", options.MaxAccuracyDrop, drop, passed ? null : Diagnostics.AccuracyGateFailed,
                passed ? message : message + " Relax MaxAccuracyDrop, reduce Sparsity, or add representative Calibration data.");
        }

        if (!classifier || (options.MinCosine is not null && options.MinAgreement is null))
        {
            return CosineGate(options, metrics, options.MinCosine ?? 0.99);
        }

        return AgreementGate(options, metrics, options.MinAgreement ?? 0.99);
    }

    private static GateResult CosineGate(CompressionOptions options, Metrics metrics, double min)
    {
        bool passed = metrics.MeanCosine >= min - 1e-12;
        string item = options.ItemSpec ?? options.ModelPath;
        string message = string.Create(CultureInfo.InvariantCulture,
            $"Cosine gate {(passed ? "passed" : "failed")} for '{item}': the compressed outputs have a mean cosine similarity of {metrics.MeanCosine:0.#####} (worst sample {metrics.MinCosine:0.#####}) to the fp32 outputs on {metrics.SampleCount} samples; MinCosine={min:0.####}.");
        return new GateResult(true, passed, "cosine", min, metrics.MeanCosine, passed ? null : Diagnostics.CosineGateFailed,
            passed ? message : message + " Lower MinCosine, compress less, or improve the Calibration data.");
    }

    private static GateResult AgreementGate(CompressionOptions options, Metrics metrics, double min)
    {
        bool passed = metrics.Agreement >= min - 1e-12;
        string item = options.ItemSpec ?? options.ModelPath;
        string message = string.Create(CultureInfo.InvariantCulture,
            $"Agreement gate {(passed ? "passed" : "failed")} for '{item}': the compressed model's top-1 matches the fp32 model on {metrics.Agreement:P2} of {metrics.SampleCount} samples; MinAgreement={min:0.####}.");
        return new GateResult(true, passed, "agreement", min, metrics.Agreement, passed ? null : Diagnostics.AgreementGateFailed,
            passed ? message : message + " Provide labels to gate on accuracy, lower MinAgreement, or reduce Sparsity.");
    }

    private static string Summarize(CompressionReport r)
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"BuildOptim: {r.Model} -> {r.ClassName} ({r.Precision.ToLowerInvariant()}): {FormatBytes(r.OriginalBytes)} -> {FormatBytes(r.CompressedBytes)}");
        if (r.Metrics is { } m)
        {
            if (m.OriginalAccuracy is { } o && m.CompressedAccuracy is { } c)
            {
                s.Append(CultureInfo.InvariantCulture, $", accuracy {o * 100:0.00}% -> {c * 100:0.00}%");
            }

            s.Append(CultureInfo.InvariantCulture, $", agreement {m.Agreement * 100:0.00}%, cosine {m.MeanCosine:0.0000} ({m.SampleCount} samples)");
        }

        s.Append(r.Gate.Evaluated ? (r.Gate.Passed ? ", gate passed" : ", gate FAILED") : ", gate not evaluated");
        return s.ToString();
    }

    /// <summary>For CSV data, how it was read: "; calib.csv: 100 rows, header line 1 skipped" (empty for .npy/.npz).</summary>
    private static string DescribeCsv(params NdArray?[] arrays)
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

    private static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.00} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB");

    private static void ValidateOptions(CompressionOptions o)
    {
        string item = o.ItemSpec ?? o.ModelPath;
        if (ModelNames.ClassNameProblem(o.EffectiveClassName) is { } classProblem)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"ClassName '{DisplayText.Safe(o.EffectiveClassName)}' of '{item}' cannot name the generated class: {classProblem}.");
        }

        if (!string.IsNullOrEmpty(o.Namespace) && ModelNames.NamespaceProblem(o.Namespace) is { } namespaceProblem)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"Namespace '{DisplayText.Safe(o.Namespace)}' of '{item}' cannot be the generated class's namespace: {namespaceProblem}.");
        }

        if (o.Quantize == QuantizeMode.Int8 && string.IsNullOrWhiteSpace(o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"'{item}' is quantized to Int8 but has no Calibration data; set Calibration to a .npy, .npz or .csv file of representative inputs (or Quantize=\"None\").");
        }

        // Bounds come from the option schema the task and the CLI check first; the engine checks again for API callers.
        CheckNumber(o, OptionSchema.Sparsity, o.Sparsity);
        CheckNumber(o, OptionSchema.MaxAccuracyDrop, o.MaxAccuracyDrop);
        CheckNumber(o, OptionSchema.MergeNeurons, o.MergeNeurons);
        CheckNumber(o, OptionSchema.ShareWeights, o.ShareWeights);
        if (o.MinCosine is { } cosine)
        {
            CheckNumber(o, OptionSchema.MinCosine, cosine);
        }

        if (o.MinAgreement is { } agreement)
        {
            CheckNumber(o, OptionSchema.MinAgreement, agreement);
        }

        if (o.MergeNeurons > 0 && string.IsNullOrWhiteSpace(o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"MergeNeurons on '{item}' compares neurons on the Calibration data; set Calibration.");
        }

        if (o.Prune == PruneMode.Neurons && string.IsNullOrWhiteSpace(o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"Prune=Neurons on '{item}' ranks neurons on the Calibration data; set Calibration.");
        }

        if (o.AutoSparsity && o.Prune == PruneMode.None)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"Sparsity=Auto on '{item}' needs Prune=Magnitude or Prune=Neurons.");
        }

        if ((o.AutoSparsity || o.AutoShareWeights || o.Fallback != FallbackMode.None) && string.IsNullOrWhiteSpace(o.EvaluationPath ?? o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"Sparsity=Auto and Fallback=Auto on '{item}' search against the gate and need Evaluation (or Calibration) data.");
        }

    }

    /// <summary>BOPT1201 naming the item when <paramref name="value"/> is outside what <paramref name="option"/> accepts.</summary>
    private static void CheckNumber(CompressionOptions o, OptionSpec option, double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (!option.TryParse(text, out _))
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"'{o.ItemSpec ?? o.ModelPath}': {option.Problem(text)}");
        }
    }

    private static void WriteArtifacts(CompressionOptions options, Network model, byte[] plan, CompressionReport report, float[]? evaluationOutputs, Dictionary<int, TensorRange>? ranges, IReadOnlySet<string> floatLayers)
    {
        string item = options.ItemSpec ?? options.ModelPath;
        byte[]? qdqModel = options.EmitOnnx && ranges is not null ? QdqExporter.Serialize(model, ranges, floatLayers, item) : null;
        var utf8 = new UTF8Encoding(false);
        var artifacts = new List<Artifact>
        {
            new(DescriptorFileName, path => File.WriteAllText(path, Descriptor(options, model, report), utf8)),
            new(ReportFileName, path => File.WriteAllText(path, report.ToJson() + "\n", utf8)),
        };
        if (qdqModel is not null)
        {
            artifacts.Add(new(QdqExporter.FileName, path => File.WriteAllBytes(path, qdqModel)));
        }

        if (evaluationOutputs is not null)
        {
            artifacts.Add(new(EvaluationOutputsFileName, path => NpyWriter.WriteFloat32(path, evaluationOutputs, [evaluationOutputs.Length / model.OutputLength, .. model.OutputShape])));
        }

        if (report.Gate is { Evaluated: true, Passed: false, Code: { } code })
        {
            // The build repeats a gate warning from this file on every build until the model passes (BuildOptimGate=Warning).
            artifacts.Add(new(GateWarningFileName, path => File.WriteAllText(path, code + ": " + DisplayText.OneLine(report.Gate.Message) + "\n", utf8)));
        }

        // The plan last: the build takes its presence for a complete set.
        artifacts.Add(new(PlanFileName, path => File.WriteAllBytes(path, plan)));
        ArtifactWriter.Write(options.OutputDirectory, artifacts, item);
    }

    /// <summary>The generator's input: small, text, invariant (see docs/architecture.md).</summary>
    public static string Descriptor(CompressionOptions options, Network model, CompressionReport report)
    {
        string Join(int[] dims) => string.Join(",", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var s = new StringBuilder();
        void Line(string key, string value) => s.Append(key).Append('=').Append(value).Append('\n');
        s.Append("# Generated by BuildOptim ").Append(ToolVersion).Append(". Input of the BuildOptim source generator.\n");
        Line(DescriptorKeys.FormatKey, DescriptorKeys.Format.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.ClassName, options.EffectiveClassName);
        Line(DescriptorKeys.Namespace, options.Namespace ?? string.Empty);
        Line(DescriptorKeys.ResourceName, options.EffectiveResourceName);

        // Names from the model (and its file name) are for display only; DisplayText keeps them on their line.
        Line(DescriptorKeys.SourceModel, DisplayText.Safe(Path.GetFileName(options.ModelPath)));
        Line(DescriptorKeys.InputName, DisplayText.Safe(model.InputName));
        Line(DescriptorKeys.InputShape, Join(model.InputShape));
        Line(DescriptorKeys.InputLength, model.InputLength.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.OutputName, DisplayText.Safe(model.OutputName));
        Line(DescriptorKeys.OutputShape, Join(model.OutputShape));
        Line(DescriptorKeys.OutputLength, model.OutputLength.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.DynamicBatch, model.DynamicBatch ? "true" : "false");
        Line(DescriptorKeys.Classifier, IsClassifier(model) ? "true" : "false");
        Line(DescriptorKeys.Precision, report.Precision);
        return s.ToString();
    }
}
