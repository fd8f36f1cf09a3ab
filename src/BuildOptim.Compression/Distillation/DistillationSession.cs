using System.Globalization;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Sharing;
using BuildOptim.Compression.Training;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Distillation;

/// <summary>
/// Distillation inside one compression (<c>Distill</c>, <c>Student</c>): the training data and the teacher's outputs on
/// it, read and computed once; the Student's training before the trials; the fine-tuning of each trial's pruned or
/// shared model against the original before calibration. The teacher is always the original model run by ONNX Runtime.
/// </summary>
internal sealed class DistillationSession
{
    private readonly CompressionOptions _options;
    private readonly Network _teacher;
    private readonly DistillationData _data;
    private readonly Action<string>? _progress;

    private DistillationSession(CompressionOptions options, Network teacher, DistillationData data, Action<string>? progress)
    {
        (_options, _teacher, _data, _progress) = (options, teacher, data, progress);
    }

    /// <summary>The Student's training run, once <see cref="TrainStudent"/> has run (null without a Student).</summary>
    public DistillationRun? StudentRun { get; private set; }

    /// <summary>Reads the training data (TrainingData, else the calibration file's arrays) and runs the teacher on it.</summary>
    public static DistillationSession Prepare(CompressionOptions options, Network teacher, IReadOnlyList<NdArray>? calibrationArrays, Action<string>? progress)
    {
        string path = options.EffectiveTrainingDataPath!;
        var arrays = path == options.CalibrationPath && calibrationArrays is not null ? calibrationArrays : DataSets.ReadFile(path);
        var inputs = DataSets.SelectInputs(path, arrays, teacher);
        int count = Math.Min(inputs.SampleCount, DistillationSettings.DefaultMaxSamples);
        var data = inputs.Data.AsSpan(0, count * inputs.SampleLength).ToArray();
        var used = new NdArray(inputs.Name, inputs.SourceKind, [count, .. inputs.Shape.Skip(1)], data, inputs.SourcePath);

        // Labels of the training file itself: its array named by Labels (when that names an array), else its 'labels' array.
        string labelsName = string.IsNullOrWhiteSpace(options.Labels) || options.Labels.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || options.Labels.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? DataSets.LabelsArrayName
            : options.Labels;
        int[]? labels = arrays.Any(a => a.Name == labelsName && a != inputs)
            ? DataSets.SelectLabels(path, arrays, labelsName, inputs.SampleCount, teacher.OutputLength)![..count]
            : null;
        float[] teacherOutputs = OrtReference.Run(options.ModelPath, teacher, used);
        return new DistillationSession(options, teacher, new DistillationData(data, inputs.SampleLength, teacherOutputs, teacher.OutputLength, labels), progress);
    }

    /// <summary>Lowers the Student, checks it against the teacher and trains it from its initial weights; null without a Student.</summary>
    public Network? TrainStudent()
    {
        if (string.IsNullOrWhiteSpace(_options.StudentPath))
        {
            return null;
        }

        string path = _options.StudentPath;
        var student = OnnxFrontEnd.Load(path);
        if (student.Inputs.Count != 1 || student.Outputs.Count != 1 || !student.InputShape.SequenceEqual(_teacher.InputShape) || !student.OutputShape.SequenceEqual(_teacher.OutputShape))
        {
            throw new CompressionException(Diagnostics.InvalidOption, path, string.Create(CultureInfo.InvariantCulture,
                $"Student '{path}' of '{Item}' takes [{string.Join(",", student.InputShape)}] and gives [{string.Join(",", student.OutputShape)}] ({student.Inputs.Count} input(s), {student.Outputs.Count} output(s)); a Student must take and give what '{Path.GetFileName(_options.ModelPath)}' does: one input [{string.Join(",", _teacher.InputShape)}], one output [{string.Join(",", _teacher.OutputShape)}]."));
        }

        var settings = Settings(DistillationSettings.DefaultStudentLearningRate);
        StudentRun = Train(student, new TrainingSetup(FakeInt8: _options.Quantize == QuantizeMode.Int8), settings, "student", path);
        return StudentRun.Network;
    }

    /// <summary>
    /// Whether a trial's model is fine-tuned: always without a Student (the compressed original learns from the original);
    /// with one, only when the trial pruned or shared the trained Student.
    /// </summary>
    public bool FineTunes(double sparsity, int clusters)
        => StudentRun is null || (_options.Prune != PruneMode.None && sparsity > 0) || clusters > 0;

    /// <summary>
    /// Fine-tunes a trial's model: pruned weights (<paramref name="keepZeros"/>) stay zero, shared layers train their
    /// codebooks, and with Int8 the other weights are fake-quantized as the plan will quantize them.
    /// </summary>
    public DistillationRun FineTune(Network model, IReadOnlyDictionary<string, SharedWeights>? shared, bool keepZeros)
    {
        var setup = new TrainingSetup(FakeInt8: _options.Quantize == QuantizeMode.Int8, KeepZeros: keepZeros, Shared: shared);
        return Train(model, setup, Settings(DistillationSettings.DefaultFineTuneLearningRate), "fine-tune", _options.ModelPath);
    }

    /// <summary>The report's <c>distillation</c> object for the shipped candidate's fine-tuning (if any).</summary>
    public DistillationReport Report(DistillationRun? fineTune)
    {
        var stages = new List<DistillationStage>();
        if (StudentRun is { } student)
        {
            stages.Add(DistillationStage.From("student", student));
        }

        if (fineTune is not null)
        {
            stages.Add(DistillationStage.From("fineTune", fineTune));
        }

        var any = StudentRun ?? fineTune;
        return new DistillationReport(
            Path.GetFileName(_options.ModelPath),
            string.IsNullOrWhiteSpace(_options.StudentPath) ? null : Path.GetFileName(_options.StudentPath),
            _options.DistillTemperature,
            any?.TrainingSamples ?? 0,
            any?.HoldOutSamples ?? 0,
            any?.UsedLabels ?? false,
            stages);
    }

    private string Item => _options.ItemSpec ?? _options.ModelPath;

    private DistillationSettings Settings(double learningRate) => new()
    {
        Epochs = _options.DistillEpochs,
        Temperature = _options.DistillTemperature,
        LearningRate = learningRate,
    };

    private DistillationRun Train(Network network, TrainingSetup setup, DistillationSettings settings, string stage, string path)
    {
        try
        {
            return Distiller.Train(network, setup, _data, settings, _progress is null ? null : line => _progress($"{stage} {line}"));
        }
        catch (NotSupportedException e)
        {
            throw new CompressionException(Diagnostics.OptionNotSupported, path, $"Distill on '{Item}': the training engine cannot train '{Path.GetFileName(path)}': {e.Message}. See docs/distillation.md for the layers it trains.");
        }
    }
}

/// <summary>One training run in the report: the student's training, or a trial's fine-tuning.</summary>
/// <param name="Stage"><c>student</c> or <c>fineTune</c>.</param>
/// <param name="BestEpoch">The epoch whose weights were kept (0: none beat the initial weights).</param>
/// <param name="InitialAgreement">Teacher agreement on the held-back samples before the first epoch.</param>
public sealed record DistillationStage(string Stage, int BestEpoch, double InitialAgreement, IReadOnlyList<DistillationEpoch> Epochs)
{
    internal static DistillationStage From(string stage, DistillationRun run) => new(stage, run.BestEpoch, run.InitialAgreement, run.Epochs);
}

/// <summary>report.json's <c>distillation</c>: who taught whom, on how many samples, and how each epoch went.</summary>
/// <param name="Student">The Student's file name; null when the compressed original is its own student.</param>
public sealed record DistillationReport(string Teacher, string? Student, double Temperature, int TrainingSamples, int HeldBackSamples, bool Labels, IReadOnlyList<DistillationStage> Stages);
