using System.Globalization;
using BuildOptim.Compression.Artifacts;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Distillation;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Pipeline;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Compression.Sequence;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression;

/// <summary>The result of one compression: the report, and whether the plan and the generator's descriptor were written.</summary>
/// <param name="ArtifactsWritten">Whether the plan and the descriptor were written (not when the gate failed under BuildOptimGate=Error); report.json and report.html always are.</param>
/// <param name="SummaryLine">The one-line summary, also embedded in the generated class (no paths: it is part of the deterministic artifacts).</param>
/// <param name="ReportHtmlPath">The full path of report.html.</param>
public sealed record CompressionResult(CompressionReport Report, bool ArtifactsWritten, string SummaryLine, string ReportHtmlPath)
{
    /// <summary>The line a build prints: <see cref="SummaryLine"/> and where report.html is.</summary>
    public string BuildLine => SummaryLine + "; report: " + ReportHtmlPath;

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
    public const string ReportHtmlFileName = CompressionArtifacts.ReportHtmlFileName;
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

        // A dynamic dimension besides the batch (a sequence length): everything up to the gate runs at the data's length;
        // the plan written runs at every length (SequencePlans).
        var sequence = SequenceDimension.Find(graph, inputShapes);
        int sequenceLength = 0;
        if (sequence is not null)
        {
            sequenceLength = SequenceSetup.DataLength(options, graph, sequence);
            SequenceSetup.CheckOptions(options, sequence, sequenceLength);
            inputShapes = sequence.ShapesAt(sequenceLength);
        }

        var baseModel = OnnxFrontEnd.Import(graph, inputShapes);
        ClassNamesFile.Read(options, baseModel); // a bad ClassNames file fails before any compression (read again for the descriptor)
        var inputTypes = graph.Inputs.Select(i => i.Type).ToList();

        // Each data file is read once: the evaluation file's arrays serve its inputs and its labels, and are the
        // calibration file's when both name the same file.
        var calibrationArrays = options.CalibrationPath is null ? null : DataSets.ReadFile(options.CalibrationPath, options.TokenizerPath, options.Images, baseModel, new DataRole("Calibration", options.ItemSpec ?? options.ModelPath));
        NdArray? calibration = calibrationArrays is null ? null : DataSets.SelectInputs(options.CalibrationPath!, calibrationArrays, baseModel, new DataRole("Calibration", options.ItemSpec ?? options.ModelPath));
        string? evaluationPath = options.EvaluationPath ?? options.CalibrationPath;
        bool evaluateOnCalibration = evaluationPath == options.CalibrationPath;
        var evaluationArrays = evaluationPath is null ? null : evaluateOnCalibration ? calibrationArrays : DataSets.ReadFile(evaluationPath, options.TokenizerPath, options.Images, baseModel, new DataRole("Evaluation", options.ItemSpec ?? options.ModelPath));
        NdArray? evaluation = evaluationArrays is null ? null
            : evaluateOnCalibration ? calibration : DataSets.SelectInputs(evaluationPath!, evaluationArrays, baseModel, new DataRole("Evaluation", options.ItemSpec ?? options.ModelPath));
        int[]? labels = evaluation is null ? null : DataSets.SelectLabels(evaluationPath!, evaluationArrays!, options.Labels, evaluation.SampleCount, baseModel.OutputLength);
        float[]? reference = evaluation is null ? null : OrtReference.Run(options.ModelPath, baseModel, evaluation);

        // 0. Distillation's data and teacher outputs, once; a Student is trained here and replaces the original from now on.
        var distillation = options.Distills ? DistillationSession.Prepare(options, baseModel, calibrationArrays, progress) : null;
        var startModel = distillation?.TrainStudent() ?? baseModel;

        // MergeNeurons: once, before every trial; pruning, sharing and quantization start from the merged model.
        var merging = options.MergeNeurons > 0 ? NeuronMerging.Apply(startModel, calibration!, options.MergeNeurons) : null;
        var context = new SearchContext(options, merging?.Network ?? startModel, calibration, evaluation, labels, reference) { Distillation = distillation, SequenceLength = sequence is not null };
        var warnings = GateWarnings(options, baseModel, evaluation, labels, evaluateOnCalibration);
        warnings.AddRange(ImageOptionWarnings(options));

        // 1. The compression level: fixed, or the largest sparsity whose int8 model passes the gate.
        var trials = new List<SearchTrial>();
        void Record(Candidate trial, string step, int fp32Layers = 0, string? added = null, int sevenBitLayers = 0, string? sevenBitAdded = null)
            => trials.Add(new SearchTrial(trials.Count + 1, step, options.Prune == PruneMode.None ? null : trial.Sparsity, trial.Clusters, fp32Layers, added, trial.Plan.Bytes.Length, trial.Metrics, trial.Gate.Passed)
            {
                SevenBitLayers = sevenBitLayers,
                SevenBitLayerAdded = sevenBitAdded,
            });

        var sparsities = options.AutoSparsity && options.Prune != PruneMode.None ? AutoSparsities : [options.Sparsity];
        var clusterCounts = options.AutoShareWeights ? AutoClusters : [options.ShareWeights];
        Candidate candidate = null!;
        foreach (double sparsity in sparsities)
        {
            foreach (int clusters in clusterCounts)
            {
                candidate = Build(context, sparsity, clusters, new HashSet<string>());
                Record(candidate, SearchTrial.CompressionStep);
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
                    Record(candidate, SearchTrial.FallbackStep, fallbackLayers.Count, layer);
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

        int kept = trials.Count - 1;
        // 3. WeightBits="Auto": 7-bit weight codes for every Dense/Conv layer on codes whose kernel is faster with them, if the
        // gate still holds, else layer by layer, least sensitive first, each kept where the gate holds.
        if (options.WeightBits == WeightBitsMode.Auto && candidate.Ranges is not null && candidate.Gate.Evaluated && candidate.Gate.Passed)
        {
            bool dynamicPlan = DynamicQuantization.Applies(candidate.Model);
            var eligible = SevenBitEligible(candidate.Model, fallbackLayers.ToHashSet(), candidate.Shared)
                .Where(name => SevenBitKernelIsFaster(candidate.Model.Layers.First(l => l.Name == name), dynamicPlan)).ToList();
            var order = eligible.Select((name, index) => (name, index))
                .OrderBy(l => sensitivities.TryGetValue(l.name, out double v) ? v : double.MaxValue).ThenBy(l => l.index)
                .Select(l => l.name).ToList();
            var chosen = new HashSet<string>();
            if (eligible.Count > 0)
            {
                var all = Build(context, candidate.Sparsity, candidate.Clusters, fallbackLayers.ToHashSet(), candidate, eligible.ToHashSet());
                Record(all, SearchTrial.WeightBitsStep, fallbackLayers.Count, sevenBitLayers: eligible.Count);
                if (all.Gate.Passed)
                {
                    candidate = all;
                    kept = trials.Count - 1;
                    order.Clear();
                }

                foreach (string layer in order)
                {
                    var trial = Build(context, candidate.Sparsity, candidate.Clusters, fallbackLayers.ToHashSet(), candidate, chosen.Append(layer).ToHashSet());
                    Record(trial, SearchTrial.WeightBitsStep, fallbackLayers.Count, sevenBitLayers: chosen.Count + 1, sevenBitAdded: layer);
                    if (trial.Gate.Passed)
                    {
                        candidate = trial;
                        kept = trials.Count - 1;
                        chosen.Add(layer);
                    }
                }
            }
        }

        trials[kept] = trials[kept] with { Chosen = true };
        string sensitivityMetric = Sensitivity.MetricName(labels is not null, ModelKinds.IsClassifier(candidate.Model));
        var gate = candidate.Metrics is { } finalMetrics
            ? GateAdvice.Apply(candidate.Gate, new AdviceFacts(options, finalMetrics, sensitivities, sensitivityMetric, Math.Min(finalMetrics.SampleCount, Sensitivity.Samples),
                calibration?.SampleCount, options.Prune == PruneMode.None ? null : candidate.Sparsity, candidate.Clusters, fallbackLayers))
            : candidate.Gate;

        var plan = candidate.Plan;

        // A failed gate (BuildOptimGate=Error) ships no plan, but its reports are what the failing build needs.
        bool write = gate.Passed || options.Gate != GateMode.Error;
        byte[] planBytes = plan.Bytes;
        BuildOptim.Runtime.SequenceLengths? lengths = null;
        // Also when the gate failed: the signature-only descriptor declares the same per-sequence lengths as a passing one.
        if (sequence is not null)
        {
            var floatLayers = fallbackLayers.ToHashSet();
            var lowered = candidate.Model;
            var sevenBit = lowered.Layers.Where(l => l is DenseLayer { WeightBits: 7 } or ConvLayer { WeightBits: 7 }).Select(l => l.Name).ToHashSet();
            (planBytes, lengths) = SequencePlans.Build(
                n => PlanCompiler.Compile(WithWeightBits(SameStructure(OnnxFrontEnd.Import(graph, sequence.ShapesAt(n)), lowered, n), sevenBit), options.Quantize, candidate.Ranges, floatLayers, lengthBlindBuffers: true),
                sequenceLength,
                plan,
                sequence,
                options.ModelPath,
                options.ItemSpec ?? options.ModelPath);
        }

        var layerReports = plan.Layers.Select(l => new LayerReport(l, sensitivities.TryGetValue(l.Name, out double v) ? v : null)).ToList();
        long originalBytes = new FileInfo(options.ModelPath).Length;
        var report = new CompressionReport(
            Path.GetFileName(options.ModelPath),
            options.EffectiveClassName,
            options.Quantize == QuantizeMode.Int8 ? "Int8" : "Float32",
            originalBytes,
            planBytes.Length,
            plan.Layers.Sum(l => l.CompressedBytes),
            candidate.Metrics,
            gate,
            layerReports,
            options,
            ToolVersion)
        {
            ChosenSparsity = options.Prune == PruneMode.None ? null : candidate.Sparsity,
            ChosenClusters = candidate.Clusters,
            SharedLayers = candidate.Shared?.Keys.ToHashSet() ?? [],
            MergedNeurons = merging?.Layers.Where(l => l.Merged > 0).ToDictionary(l => l.Name, l => l.Merged) ?? new Dictionary<string, int>(),
            FallbackLayers = fallbackLayers,
            Search = trials,
            SensitivityMetric = sensitivityMetric,
            CalibrationSamples = calibration?.SampleCount,
            SevenBitLayers = plan.Layers.Where(l => l.WeightBits == 7).Select(l => l.Name).ToList(),
            Distillation = distillation?.Report(candidate.FineTune),
        };

        string summary = Summary.Line(report) + Summary.DescribeCsv(calibration, evaluation);
        if (write)
        {
            CompressionArtifacts.Write(options, candidate.Model, inputTypes, planBytes, report, summary, candidate.Outputs, candidate.Ranges, fallbackLayers.ToHashSet(), lengths);
        }
        else
        {
            CompressionArtifacts.WriteReportsOnly(options, report, candidate.Model, inputTypes, summary, lengths);
        }

        return new CompressionResult(report, write, summary, CompressionArtifacts.ReportHtmlPath(options)) { Warnings = warnings };
    }

    /// <summary>
    /// Prune (if asked) → calibrate → compile → evaluate; <paramref name="reuse"/> skips pruning and calibration. The Dense and
    /// Conv layers in <paramref name="sevenBit"/> (with <c>WeightBits="Auto"</c>; all that run on codes with <c>7</c>, none with
    /// <c>8</c>) get 7-bit weight codes.
    /// </summary>
    private static Candidate Build(SearchContext c, double sparsity, int clusters, IReadOnlySet<string> floatLayers, Candidate? reuse = null, IReadOnlySet<string>? sevenBit = null)
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

        if (options.Quantize == QuantizeMode.Int8)
        {
            sevenBit = options.WeightBits switch
            {
                WeightBitsMode.Seven => SevenBitEligible(model, floatLayers, shared).ToHashSet(),
                WeightBitsMode.Eight => null,
                _ => sevenBit,
            };
            model = WithWeightBits(model, sevenBit ?? new HashSet<string>());
        }

        CompiledPlan plan;
        try
        {
            plan = PlanCompiler.Compile(model, options.Quantize, ranges, floatLayers, sharedWeights: shared, lengthBlindBuffers: c.SequenceLength);
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
            metrics = Metrics.Compute(c.Reference!, outputs, model.OutputLength, c.Labels, retrieval: !ModelKinds.IsClassifier(model));
        }

        return new Candidate(sparsity, clusters, model, shared, ranges, plan, outputs, metrics, Gate.Evaluate(options, metrics, ModelKinds.IsClassifier(model))) { FineTune = fineTune };
    }

    /// <summary>The network lowered at another sequence length, when it has the layers and values of <paramref name="reference"/> (so its ranges apply).</summary>
    private static Network SameStructure(Network network, Network reference, int length)
        => network.Layers.Count == reference.Layers.Count && network.Values.Count == reference.Values.Count
            && network.Layers.Select(l => (l.Name, l.GetType())).SequenceEqual(reference.Layers.Select(l => (l.Name, l.GetType())))
            ? network
            : throw new InvalidOperationException($"At sequence length {length} the network has other layers.");

    /// <summary>
    /// Whether <paramref name="layer"/>'s int8 kernel runs faster on 7-bit codes than on 8-bit ones (DESIGN.md: Auto takes 7
    /// bits where they are exact and faster). Two kernels do: a Dense layer of a <see cref="QuantizationScheme.Dynamic"/>
    /// plan (<c>OpKind.DenseDynamicU7S7F32</c>: rows quantized to 0..127, the 512-bit <c>vpmaddubsw</c> kernel where
    /// AVX-512BW exists, 1.3× the 256-bit <c>vpdpbusd</c> rate, and never slower elsewhere), and a convolution on the 7-bit
    /// tiles (Kernels/ConvGemmU8S7.cs: halved input codes, ~1.4× the 8-bit tiles): not depthwise, not a 1 × 1 convolution
    /// of one pixel, a patch of at least 32 taps. The dense kernels of static plans use <c>vpdpbusd</c> (AVX-VNNI) or a
    /// nibble split (AVX2) that a <c>vpmaddubsw</c> path did not beat, and depthwise convolutions multiply 16-bit pairs
    /// whatever the code width (docs/quantization.md). The answer depends on the kernels and the layer's geometry only, never
    /// on the build machine, so artifacts stay deterministic.
    /// </summary>
    private static bool SevenBitKernelIsFaster(Layer layer, bool dynamicPlan) => layer switch
    {
        DenseLayer => dynamicPlan,
        ConvLayer c => BuildOptim.Runtime.Kernels.ConvRunsOnSevenBitTiles(Planning.Ops.ConvEmitter.Geometry(c)),
        _ => false,
    };

    /// <summary>The Dense and Conv layers an int8 plan runs on codes with plain (not shared) weights, in network order.</summary>
    private static List<string> SevenBitEligible(Network model, IReadOnlySet<string> floatLayers, IReadOnlyDictionary<string, SharedWeights>? shared)
        => model.Layers.Where(l => l is DenseLayer or ConvLayer && !floatLayers.Contains(l.Name) && !(shared?.ContainsKey(l.Name) ?? false))
            .Select(l => l.Name).ToList();

    /// <summary>The model with 7-bit weight codes for the Dense and Conv layers named in <paramref name="sevenBit"/>, 8-bit for the others.</summary>
    private static Network WithWeightBits(Network model, IReadOnlySet<string> sevenBit)
    {
        int Bits(Layer l) => sevenBit.Contains(l.Name) ? 7 : 8;
        if (model.Layers.All(l => l switch { DenseLayer d => d.WeightBits == Bits(d), ConvLayer cv => cv.WeightBits == Bits(cv), _ => true }))
        {
            return model;
        }

        return model.With(model.Layers.Select(l => l switch
        {
            DenseLayer d => d with { WeightBits = Bits(d) },
            ConvLayer cv => cv with { WeightBits = Bits(cv) },
            _ => l,
        }).ToList());
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

    /// <summary>Image metadata that no data file of the item uses (none is a folder of images): it changes nothing, so say so.</summary>
    private static IEnumerable<CompressionWarning> ImageOptionWarnings(CompressionOptions options)
    {
        if (!options.Images.IsSet)
        {
            yield break;
        }

        string?[] files = [options.CalibrationPath, options.EvaluationPath, options.EffectiveTrainingDataPath];
        if (!files.Any(f => f is not null && ImageData.IsImageFolder(f)))
        {
            string item = options.ItemSpec ?? options.ModelPath;
            yield return new(Diagnostics.ImageOptionsUnused, options.CalibrationPath ?? options.ModelPath,
                $"'{item}' sets image metadata (ImageSize, ImageLayout, ImageChannels, ImageScale, ImageMean or ImageStd), but none of its data is a folder of images, so it is not used. Point Calibration or Evaluation at a folder of images, or remove the image metadata.");
        }
    }

    /// <summary>Runs a serialized plan through the Runtime, exactly as the generated class does.</summary>
    public static float[] RunPlan(byte[] planBytes, NdArray inputs, int sampleCount) => PlanOutputs.Run(planBytes, inputs, sampleCount);

    /// <summary>A single output of [batch, classes] with more than one class: top-1 metrics make sense.</summary>
    public static bool IsClassifier(Network model) => ModelKinds.IsClassifier(model);

    /// <summary>The generator's input: small, text, invariant (see docs/architecture.md).</summary>
    public static string Descriptor(CompressionOptions options, Network model, CompressionReport report) => CompressionArtifacts.Descriptor(options, model, report);
}
