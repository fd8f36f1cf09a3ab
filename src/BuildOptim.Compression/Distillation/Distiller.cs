using System.Diagnostics;
using System.Globalization;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Sharing;
using BuildOptim.Compression.Training;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Distillation;

/// <summary>The data a student learns from: inputs, the teacher's outputs on them and, optionally, labels.</summary>
/// <param name="Inputs">Sample-major inputs, <paramref name="InputLength"/> values per sample.</param>
/// <param name="TeacherOutputs">The teacher's outputs (ONNX Runtime on the original model), <paramref name="OutputLength"/> per sample.</param>
/// <param name="Labels">Class ids, or null.</param>
internal sealed record DistillationData(float[] Inputs, int InputLength, float[] TeacherOutputs, int OutputLength, int[]? Labels)
{
    public int SampleCount => TeacherOutputs.Length / OutputLength;
}

/// <summary>The bounds and hyperparameters of one training run; the defaults are docs/distillation.md's.</summary>
internal sealed record DistillationSettings
{
    public const int DefaultEpochs = 10;
    public const double DefaultTemperature = 2;
    public const int DefaultBatchSize = 64;
    public const int DefaultMaxSamples = 20_000;
    public const double DefaultStudentLearningRate = 3e-3;
    public const double DefaultFineTuneLearningRate = 1e-3;

    /// <summary>Epochs at most.</summary>
    public int Epochs { get; init; } = DefaultEpochs;

    public double Temperature { get; init; } = DefaultTemperature;

    /// <summary>Adam's learning rate at the first step; it decays to 0 along a half cosine over all the steps.</summary>
    public double LearningRate { get; init; } = DefaultStudentLearningRate;

    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>The first this many samples of the training data are used, the rest ignored.</summary>
    public int MaxSamples { get; init; } = DefaultMaxSamples;

    /// <summary>The share of the samples held back to measure teacher agreement after each epoch (at most <see cref="MaxHoldOut"/>).</summary>
    public double HoldOutFraction { get; init; } = 0.1;

    public int MaxHoldOut { get; init; } = 1_000;

    /// <summary>Training stops after this many epochs without a better held-back agreement.</summary>
    public int Patience { get; init; } = 5;

    /// <summary>Seeds the split and the shuffles.</summary>
    public ulong Seed { get; init; } = 17;
}

/// <summary>One epoch: the mean training loss, and the loss and teacher agreement on the held-back samples after it.</summary>
/// <param name="Agreement">Classifiers: the fraction of held-back samples whose top-1 is the teacher's; others: the mean cosine similarity.</param>
public sealed record DistillationEpoch(int Epoch, double Loss, double HoldOutLoss, double Agreement);

/// <summary>A finished training run: the trained network (the best epoch's weights) and its history.</summary>
/// <param name="BestEpoch">The epoch whose weights were kept; 0 when no epoch beat the initial weights.</param>
internal sealed record DistillationRun(
    Network Network,
    IReadOnlyDictionary<string, SharedWeights> Shared,
    IReadOnlyList<DistillationEpoch> Epochs,
    int BestEpoch,
    double InitialAgreement,
    int TrainingSamples,
    int HoldOutSamples,
    bool Classifier,
    bool UsedLabels);

/// <summary>
/// Trains a network on a teacher's outputs (<see cref="DistillationLoss"/>) with <see cref="Adam"/>: mini-batches in a
/// seeded order, a half-cosine learning-rate decay, and early stopping on teacher agreement of a held-back part of
/// the data. Single-threaded, with fixed reduction orders (<see cref="TrainingMath"/>): the same inputs give the same
/// weights, bit for bit.
/// </summary>
internal static class Distiller
{
    public static DistillationRun Train(Network network, TrainingSetup setup, DistillationData data, DistillationSettings settings, Action<string>? progress = null)
    {
        bool classifier = ModelKinds.IsClassifier(network);
        var graph = new TrainingGraph(network, settings.BatchSize, setup);
        var loss = new DistillationLoss(classifier, settings.Temperature);
        var teacher = TeacherTargets(data, graph.Final);
        if (graph.OutputLength != data.OutputLength)
        {
            throw new NotSupportedException($"the network gives {graph.OutputLength} outputs per sample and the teacher {data.OutputLength}");
        }

        int samples = Math.Min(data.SampleCount, settings.MaxSamples);
        var order = Enumerable.Range(0, samples).ToArray();
        var random = new SplitMix64(settings.Seed);
        random.Shuffle(order);
        int holdOutCount = samples >= 10 ? Math.Min(settings.MaxHoldOut, (int)(samples * settings.HoldOutFraction)) : 0;
        var holdOut = holdOutCount > 0 ? order[..holdOutCount] : order;
        var train = order[holdOutCount..];
        Array.Sort(holdOut);

        var adam = new Adam(graph.Parameters);
        int batchesPerEpoch = (train.Length + settings.BatchSize - 1) / settings.BatchSize;
        long totalSteps = (long)batchesPerEpoch * settings.Epochs;
        var (initialLoss, initialAgreement) = Evaluate(graph, loss, data, teacher, holdOut);
        var best = (Agreement: initialAgreement, Loss: initialLoss, Epoch: 0, Values: Snapshot(graph));
        var epochs = new List<DistillationEpoch>();
        var clock = Stopwatch.StartNew();
        for (int epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            random.Shuffle(train);
            double lossSum = 0;
            for (int start = 0; start < train.Length; start += settings.BatchSize)
            {
                int batch = Math.Min(settings.BatchSize, train.Length - start);
                var indices = train.AsSpan(start, batch);
                lossSum += Step(graph, loss, data, teacher, indices);
                double lr = settings.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * adam.Steps / totalSteps));
                adam.Step(lr);
                graph.Refresh();
            }

            var (holdOutLoss, agreement) = Evaluate(graph, loss, data, teacher, holdOut);
            epochs.Add(new DistillationEpoch(epoch, lossSum / Math.Max(1, train.Length), holdOutLoss, agreement));
            progress?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch}/{settings.Epochs} loss {lossSum / Math.Max(1, train.Length):F4} agreement {agreement * 100:F2} % ({clock.Elapsed.TotalSeconds:F1} s)"));
            if (agreement > best.Agreement || (agreement == best.Agreement && holdOutLoss < best.Loss))
            {
                best = (agreement, holdOutLoss, epoch, Snapshot(graph));
            }
            else if (epoch - best.Epoch >= settings.Patience)
            {
                break;
            }
        }

        Restore(graph, best.Values);
        var (trained, shared) = graph.ToNetwork();
        return new DistillationRun(trained, shared, epochs, best.Epoch, initialAgreement, train.Length, holdOutCount, classifier, data.Labels is not null && classifier);
    }

    /// <summary>One optimizer step's forward and backward pass; returns the batch's summed loss.</summary>
    private static double Step(TrainingGraph graph, DistillationLoss loss, DistillationData data, float[] teacher, ReadOnlySpan<int> indices)
    {
        int batch = indices.Length;
        Load(graph, data, indices);
        graph.Forward(batch);
        var output = graph.Output(batch);
        var gradient = graph.OutputGradient(batch);
        int length = data.OutputLength;
        double sum = 0;
        for (int b = 0; b < batch; b++)
        {
            int s = indices[b];
            sum += loss.Compute(output.Slice(b * length, length), teacher.AsSpan(s * length, length), Label(data, loss, s), gradient.Slice(b * length, length), 1.0 / batch);
        }

        graph.Backward(batch);
        return sum;
    }

    /// <summary>Mean loss and agreement (top-1 match, or mean cosine) on <paramref name="indices"/>.</summary>
    private static (double Loss, double Agreement) Evaluate(TrainingGraph graph, DistillationLoss loss, DistillationData data, float[] teacher, int[] indices)
    {
        int length = data.OutputLength;
        var scratch = new float[length];
        double lossSum = 0, agreement = 0;
        for (int start = 0; start < indices.Length; start += graph.MaxBatch)
        {
            int batch = Math.Min(graph.MaxBatch, indices.Length - start);
            var chunk = indices.AsSpan(start, batch);
            Load(graph, data, chunk);
            graph.Forward(batch);
            var output = graph.Output(batch);
            for (int b = 0; b < batch; b++)
            {
                var s = output.Slice(b * length, length);
                var t = teacher.AsSpan(chunk[b] * length, length);
                lossSum += loss.Compute(s, t, Label(data, loss, chunk[b]), scratch, 1);
                agreement += loss.Classifier ? (Kernels.ArgMax(s) == Kernels.ArgMax(t) ? 1 : 0) : Cosine(s, t);
            }
        }

        double n = Math.Max(1, indices.Length);
        return (lossSum / n, agreement / n);
    }

    private static int Label(DistillationData data, DistillationLoss loss, int sample)
        => loss.Classifier && data.Labels is { } labels ? labels[sample] : -1;

    private static void Load(TrainingGraph graph, DistillationData data, ReadOnlySpan<int> indices)
    {
        var input = graph.Input(indices.Length);
        int length = data.InputLength;
        for (int b = 0; b < indices.Length; b++)
        {
            data.Inputs.AsSpan(indices[b] * length, length).CopyTo(input.Slice(b * length, length));
        }
    }

    /// <summary>
    /// What the student's trained outputs are compared with: the teacher's outputs, or, when the student is trained on
    /// the logits under its final softmax, the log of the teacher's probabilities (a LogSoftmax output already is one).
    /// </summary>
    private static float[] TeacherTargets(DistillationData data, FinalSoftmax final)
        => final == FinalSoftmax.Softmax
            ? data.TeacherOutputs.Select(p => MathF.Log(Math.Max(p, 1e-30f))).ToArray()
            : data.TeacherOutputs;

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }

        return aa == 0 && bb == 0 ? 1 : aa == 0 || bb == 0 ? 0 : dot / Math.Sqrt(aa * bb);
    }

    private static float[][] Snapshot(TrainingGraph graph) => graph.Parameters.Select(p => (float[])p.Values.Clone()).ToArray();

    private static void Restore(TrainingGraph graph, float[][] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i].CopyTo(graph.Parameters[i].Values, 0);
        }

        graph.Refresh();
    }
}
