using System.Globalization;
using BuildOptim.Compression.Artifacts;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Distillation;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Pipeline;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression;

/// <summary>The result of one compression: the report, and whether the artifacts were written.</summary>
public sealed record CompressionResult(CompressionReport Report, bool ArtifactsWritten, string SummaryLine)
{
    /// <summary>Things the user should know that do not stop the build (BOPT1208, BOPT1209), printed as warnings.</summary>
    public IReadOnlyList<CompressionWarning> Warnings { get; init; } = [];
}

/// <summary>A coded warning about one compression.</summary>
public sealed record CompressionWarning(string Code, string FilePath, string Message);

/// <summary>
/// Load → lower → prune → calibrate → quantize → evaluate (ONNX Runtime vs the Runtime kernels on the
/// very plan that will ship) → gate → write artifacts atomically.
/// </summary>
public static class Compressor
{
    public const string PlanFileName = CompressionArtifacts.PlanFileName;
    public const string DescriptorFileName = CompressionArtifacts.DescriptorFileName;
    public const string ReportFileName = CompressionArtifacts.ReportFileName;
    public const string EvaluationOutputsFileName = CompressionArtifacts.EvaluationOutputsFileName;

    /// <summary>Written when the gate failed but the build goes on (BuildOptimGate=Warning): "BOPTnnnn: message".</summary>
    public const string GateWarningFileName = CompressionArtifacts.GateWarningFileName;

    /// <summary>Sensitivity analysis evaluates at most this many samples per layer.</summary>
    public const int SensitivitySamples = Sensitivity.Samples;

    public static string ToolVersion => ToolInfo.Version;

    /// <summary>Sparsities <c>Sparsity="Auto"</c> tries, from the largest down; the first that passes the gate wins.</summary>
    public static readonly IReadOnlyList<double> AutoSparsities = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];

    /// <summary>Cluster counts <c>ShareWeights="Auto"</c> tries, fewest first; 0 (no sharing) is the last resort.</summary>
    public static readonly IReadOnlyList<int> AutoClusters = [4, 8, 16, 0];

    /// <summary>What starts each progress line the CLI prints (one per distillation epoch); the task shows them at normal verbosity.</summary>
    public const string ProgressPrefix = "BuildOptim distill: ";

    public static CompressionResult Run(CompressionOptions options) => Run(options, null);

    /// <param name="options">What to compress and how.</param>
    /// <param name="progress">Receives a line per distillation epoch (stage, epoch, loss, agreement, seconds); null: silent.</param>
    public static CompressionResult Run(CompressionOptions options, Action<string>? progress)
    {
        try
        {
            return RunPipeline(options, progress);
        }
        catch (NotSupportedException e) when (e is not PlatformNotSupportedException)
        {
            // A structure that lowers but that the plan compiler cannot express (a rank-7 Transpose, a partial MatMul
            // batch broadcast): the model's limit, named with its layer, not an internal error.
            throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, options.ModelPath, $"'{options.ItemSpec ?? options.ModelPath}' cannot be compiled into a plan: {e.Message}");
        }
    }

    private static CompressionResult RunPipeline(CompressionOptions options, Action<string>? progress)
    {
        OptionValidation.Validate(options);
        var graph = OnnxModelLoader.Load(options.ModelPath);
        Dictionary<string, int?[]>? inputShapes = null;
        if (!string.IsNullOrWhiteSpace(options.InputShape))
        {
            InputShapes.TryParse(options.InputShape, out inputShapes, out _);
        }

        var baseModel = OnnxFrontEnd.Import(graph, inputShapes);
        var inputTypes = graph.Inputs.Select(i => i.Type).ToList();

        // Each data file is read once: the evaluation file's arrays serve its inputs and its labels, and are the
        // calibration file's when both name the same file.
        var calibrationArrays = options.CalibrationPath is null ? null : DataSets.ReadFile(options.CalibrationPath, options.TokenizerPath, baseModel);
        NdArray? calibration = calibrationArrays is null ? null : DataSets.SelectInputs(options.CalibrationPath!, calibrationArrays, baseModel, new DataRole("Calibration", options.ItemSpec ?? options.ModelPath));
        string? evaluationPath = options.EvaluationPath ?? options.CalibrationPath;
        bool evaluateOnCalibration = evaluationPath == options.CalibrationPath;
        var evaluationArrays = evaluationPath is null ? null : evaluateOnCalibration ? calibrationArrays : DataSets.ReadFile(evaluationPath, options.TokenizerPath, baseModel);
        NdArray? evaluation = evaluationArrays is null ? null
            : evaluateOnCalibration ? calibration : DataSets.SelectInputs(evaluationPath!, evaluationArrays, baseModel, new DataRole("Evaluation", options.ItemSpec ?? options.ModelPath));
        int[]? labels = evaluation is null ? null : DataSets.SelectLabels(evaluationPath!, evaluationArrays!, options.Labels, evaluation.SampleCount, baseModel.OutputLength);
        float[]? reference = evaluation is null ? null : OrtReference.Run(options.ModelPath, baseModel, evaluation);

        // 0. Distillation's data and teacher outputs, once; a Student is trained here and replaces the original from now on.
        var distillation = options.Distills ? DistillationSession.Prepare(options, baseModel, calibrationArrays, progress) : null;
        var startModel = distillation?.TrainStudent() ?? baseModel;

        // MergeNeurons: once, before every trial; pruning, sharing and quantization start from the merged model.
        var merging = options.MergeNeurons > 0 ? NeuronMerging.Apply(startModel, calibration!, options.MergeNeurons) : null;
        var context = new SearchContext(options, merging?.Network ?? startModel, calibration, evaluation, labels, reference) { Distillation = distillation };
        var warnings = GateWarnings(options, baseModel, evaluation, labels, evaluateOnCalibration);

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
            ? Sensitivity.Measure(context, candidate)
            : new Dictionary<string, double>();
        var fallbackLayers = new List<string>();
        if (!candidate.Gate.Passed && candidate.Ranges is not null && options.Fallback == FallbackMode.Auto)
        {
            // Dense and Conv layers first (their sensitivities are measured for the report anyway); then, if the gate still
            // fails, the layers still on codes (residual adds, pools, ...), measured against that plan, until none is left.
            var stages = new[] { sensitivities, null };
            foreach (var stage in stages)
            {
                var scores = stage ?? Sensitivity.Measure(context, candidate, candidate.Plan.Layers.Where(l => l.Precision == "Int8").Select(l => l.Name), fallbackLayers.ToHashSet());
                foreach (string layer in Sensitivity.FallbackOrder(scores, candidate.Model))
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
            Distillation = distillation?.Report(candidate.FineTune),
        };

        string summary = Summary.Line(report) + Summary.DescribeCsv(calibration, evaluation);
        bool write = candidate.Gate.Passed || options.Gate != GateMode.Error;
        if (write)
        {
            CompressionArtifacts.Write(options, candidate.Model, inputTypes, plan.Bytes, report, summary, candidate.Outputs, candidate.Ranges, fallbackLayers.ToHashSet());
        }
        else
        {
            ArtifactWriter.Delete(options.OutputDirectory);
        }

        return new CompressionResult(report, write, summary) { Warnings = warnings };
    }

    /// <summary>Prune (if asked) → calibrate → compile → evaluate; <paramref name="reuse"/> skips pruning and calibration.</summary>
    private static Candidate Build(SearchContext c, double sparsity, int clusters, IReadOnlySet<string> floatLayers, Candidate? reuse = null)
    {
        var options = c.Options;
        Network model;
        Dictionary<int, TensorRange>? ranges;
        IReadOnlyDictionary<string, SharedWeights>? shared = null;
        DistillationRun? fineTune = null;
        if (reuse is not null)
        {
            model = reuse.Model;
            ranges = reuse.Ranges;
            shared = reuse.Shared;
            fineTune = reuse.FineTune;
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
                InputChecks.CheckFiniteWeights(options, model);

                // Calibration, evaluation and the fp32 path all see the shared weights.
                var sharing = WeightSharing.Apply(model, clusters);
                model = sharing.Network;
                shared = sharing.Layers;
            }

            // Distill: the pruned / shared model learns from the original before its ranges are measured.
            if (c.Distillation is { } distillation && distillation.FineTunes(sparsity, clusters))
            {
                fineTune = distillation.FineTune(model, shared, keepZeros: options.Prune == PruneMode.Magnitude && sparsity > 0);
                model = fineTune.Network;
                shared = shared is null ? null : fineTune.Shared;
            }

            // A sequence model quantizes its activations when it runs (DynamicQuantization): no ranges to calibrate.
            ranges = options.Quantize != QuantizeMode.Int8 ? null
                : DynamicQuantization.Applies(model) ? []
                : Calibrators.Calibrate(model, c.Calibration!, options.Calibrator);
            if (ranges is not null)
            {
                InputChecks.CheckRanges(options, model, ranges, c.Calibration!);
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
                $"The activation ranges measured on the Calibration data of '{options.ItemSpec ?? options.ModelPath}' cannot be represented in int8 fixed point ({e.Message.Split('\n')[0].Split(" (Parameter")[0]}); {InputChecks.LargestInput(c.Calibration!)} Check the data's scale (e.g. pixels /255), or keep the model in fp32 (Quantize=\"None\").");
        }
        float[]? outputs = null;
        Metrics? metrics = null;
        if (c.Evaluation is not null)
        {
            outputs = PlanOutputs.Run(plan.Bytes, c.Evaluation, c.Evaluation.SampleCount);
            metrics = Metrics.Compute(c.Reference!, outputs, model.OutputLength, c.Labels);
        }

        return new Candidate(sparsity, clusters, model, shared, ranges, plan, outputs, metrics, Gate.Evaluate(options, metrics, ModelKinds.IsClassifier(model))) { FineTune = fineTune };
    }

    private static Network PruneNeurons(Network model, NdArray calibration, double sparsity)
        => sparsity <= 0 ? model : NeuronPruning.Apply(model, calibration, sparsity).Network;


    /// <summary>What the gate does that a user may not expect: measure agreement for want of labels, or measure on the calibration data.</summary>
    private static List<CompressionWarning> GateWarnings(CompressionOptions options, Network model, NdArray? evaluation, int[]? labels, bool evaluateOnCalibration)
    {
        var warnings = new List<CompressionWarning>();
        if (evaluation is null || options.Gate == GateMode.Off)
        {
            return warnings;
        }

        string item = options.ItemSpec ?? options.ModelPath;
        if (labels is null && ModelKinds.IsClassifier(model) && options.MinAgreement is null && options.MinCosine is null)
        {
            warnings.Add(new(Diagnostics.GateMetricChanged, evaluation.SourcePath.Length > 0 ? evaluation.SourcePath : options.ModelPath,
                $"'{item}': the evaluation data has no labels, so the gate checks that the compressed model's top-1 agrees with the fp32 model's (MinAgreement={Gate.DefaultMinimum.ToString(CultureInfo.InvariantCulture)}) instead of MaxAccuracyDrop. Add labels (a 'labels' array or Labels=\"...\") to gate on accuracy, or set MinAgreement to say that agreement is the gate you want."));
        }

        if (evaluateOnCalibration)
        {
            warnings.Add(new(Diagnostics.EvaluatedOnCalibrationData, options.CalibrationPath ?? options.ModelPath,
                $"'{item}' is evaluated on its Calibration data: the gate measures the model on the samples its ranges were fitted to, which flatters int8. Set Evaluation to held-out data for an honest gate."));
        }

        // Distillation trains on TrainingData: a gate on the same samples measures what the student memorised.
        if (options.Distills && !evaluateOnCalibration && evaluation is not null && options.EffectiveTrainingDataPath == (options.EvaluationPath ?? options.CalibrationPath))
        {
            warnings.Add(new(Diagnostics.EvaluatedOnCalibrationData, options.EffectiveTrainingDataPath!,
                $"'{item}' is evaluated on its TrainingData: the gate measures the distilled model on the samples it was trained on, which flatters it. Set Evaluation to held-out data for an honest gate."));
        }

        return warnings;
    }

    /// <summary>Runs a serialized plan through the Runtime, exactly as the generated class does.</summary>
    public static float[] RunPlan(byte[] planBytes, NdArray inputs, int sampleCount) => PlanOutputs.Run(planBytes, inputs, sampleCount);

    /// <summary>A single output of [batch, classes] with more than one class: top-1 metrics make sense.</summary>
    public static bool IsClassifier(Network model) => ModelKinds.IsClassifier(model);

    /// <summary>The generator's input: small, text, invariant (see docs/architecture.md).</summary>
    public static string Descriptor(CompressionOptions options, Network model, CompressionReport report) => CompressionArtifacts.Descriptor(options, model, report);
}
