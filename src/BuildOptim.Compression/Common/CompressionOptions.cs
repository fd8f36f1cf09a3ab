namespace BuildOptim.Compression;

public enum QuantizeMode
{
    Int8,
    None,
}

public enum PruneMode
{
    None,
    Magnitude,
    Neurons,
}

public enum FallbackMode
{
    None,
    Auto,
}

/// <summary>
/// <c>WeightBits</c>: the width of Dense and Conv weight codes in an int8 plan. <see cref="Seven"/> codes lie in [−63, 63], so a
/// u8 × s8 pair sum fits 16 bits (2 · 255 · 63 &lt; 2^15) and <c>vpmaddubsw</c> multiplies exactly; <see cref="Auto"/> takes 7 bits
/// for each layer where the gate still holds.
/// </summary>
public enum WeightBitsMode
{
    Auto = 0,
    Seven = 7,
    Eight = 8,
}

public enum GateMode
{
    Error,
    Warning,
    Off,
}

/// <summary>
/// Everything one compression needs: the CLI's flags, the task's item metadata. Names, bounds and defaults are
/// declared once in <see cref="OptionSchema"/> (src/Shared/OptionSchema.cs), which every front reads.
/// </summary>
public sealed record CompressionOptions
{
    public required string ModelPath { get; init; }

    public required string OutputDirectory { get; init; }

    public string? CalibrationPath { get; init; }

    public string? EvaluationPath { get; init; }

    /// <summary>A .npy/.csv file of class ids, or the name of an array in the evaluation .npz.</summary>
    public string? Labels { get; init; }

    public QuantizeMode Quantize { get; init; } = QuantizeMode.Int8;

    public Calibration.CalibrationMethod Calibrator { get; init; } = Calibration.CalibrationMethod.MinMax;

    public PruneMode Prune { get; init; } = PruneMode.None;

    public double Sparsity { get; init; }

    /// <summary><c>Sparsity="Auto"</c>: search <see cref="Compressor.AutoSparsities"/> for the largest that passes the gate.</summary>
    public bool AutoSparsity { get; init; }

    public int ShareWeights { get; init; }

    /// <summary><c>ShareWeights="Auto"</c>: the fewest clusters of <see cref="Compressor.AutoClusters"/> that pass the gate.</summary>
    public bool AutoShareWeights { get; init; }

    /// <summary>
    /// Cosine similarity threshold in (0, 1] for merging near-duplicate neurons/channels on the calibration
    /// activations (<see cref="Pruning.NeuronMerging"/>); 0 = off.
    /// </summary>
    public double MergeNeurons { get; init; }

    /// <summary>Allowed top-1 accuracy drop in percentage points (needs labels).</summary>
    public double MaxAccuracyDrop { get; init; } = 1.0;

    /// <summary>Minimum fraction of samples whose top-1 matches the original; default 0.99 when there are no labels.</summary>
    public double? MinAgreement { get; init; }

    /// <summary>Minimum mean cosine similarity between compressed and fp32 outputs; default 0.99 for models that are not classifiers.</summary>
    public double? MinCosine { get; init; }

    public FallbackMode Fallback { get; init; } = FallbackMode.None;

    /// <summary>Weight code width of the int8 Dense and Conv layers (see <see cref="WeightBitsMode"/>).</summary>
    public WeightBitsMode WeightBits { get; init; } = WeightBitsMode.Auto;

    public GateMode Gate { get; init; } = GateMode.Error;

    public string? ClassName { get; init; }

    public string? Namespace { get; init; }

    public string? ResourceName { get; init; }

    /// <summary>Also write the int8 plan as a standard ONNX QDQ model, <c>DIR/model.qdq.onnx</c> (Int8 only).</summary>
    public bool EmitOnnx { get; init; }

    /// <summary>The <c>InputShape</c> option (<see cref="InputShapes"/>): dynamic input dimensions fixed at build time.</summary>
    public string? InputShape { get; init; }

    /// <summary>
    /// A classifier's class names, one per line (<see cref="Artifacts.ClassNamesFile"/>): the generated class returns them with
    /// its predictions.
    /// </summary>
    public string? ClassNamesPath { get; init; }

    /// <summary>A BERT WordPiece vocab.txt: <c>.txt</c> data files (one text per line) are tokenized into the model's text inputs.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>How a folder of images given as <see cref="CalibrationPath"/> or <see cref="EvaluationPath"/> becomes the model's input.</summary>
    public ImagePreprocessing Images { get; init; } = new();
    /// <summary>
    /// Knowledge distillation: the compressed model is fine-tuned on the original's outputs after pruning and sharing and
    /// before calibration (docs/distillation.md). Implied by <see cref="StudentPath"/>.
    /// </summary>
    public bool Distill { get; init; }

    /// <summary>An ONNX model of a smaller architecture, trained from its initial weights on the original's outputs, then compressed and shipped instead of it.</summary>
    public string? StudentPath { get; init; }

    /// <summary>Inputs to distil on (.npy/.npz/.csv/folder; labels optional); default: the calibration data.</summary>
    public string? TrainingDataPath { get; init; }

    /// <summary>Epochs of distillation at most (early stopping may end it sooner).</summary>
    public int DistillEpochs { get; init; } = Distillation.DistillationSettings.DefaultEpochs;

    /// <summary>The temperature T that softens the teacher's and the student's outputs.</summary>
    public double DistillTemperature { get; init; } = Distillation.DistillationSettings.DefaultTemperature;

    /// <summary>Whether the run distils: <see cref="Distill"/>, or a <see cref="StudentPath"/> to train.</summary>
    public bool Distills => Distill || !string.IsNullOrWhiteSpace(StudentPath);

    /// <summary>The data distillation trains on: <see cref="TrainingDataPath"/>, else the calibration data.</summary>
    public string? EffectiveTrainingDataPath => string.IsNullOrWhiteSpace(TrainingDataPath) ? CalibrationPath : TrainingDataPath;

    /// <summary>The MSBuild item spec, used to name the item in messages.</summary>
    public string? ItemSpec { get; init; }

    /// <summary>Class name from the metadata, or the model file name in PascalCase + "Model".</summary>
    public string EffectiveClassName => string.IsNullOrWhiteSpace(ClassName) ? ModelNames.DefaultClassName(ModelPath) : ClassName!;

    public string EffectiveResourceName => string.IsNullOrWhiteSpace(ResourceName) ? $"BuildOptim.{EffectiveClassName}.bopt" : ResourceName!;
}
