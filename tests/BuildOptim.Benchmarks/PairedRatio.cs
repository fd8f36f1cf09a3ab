using System.Diagnostics;
using System.Globalization;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>paired MODEL [ROUNDS] [CALLS] [cpu | parallel=N] [gated]</c>: the int8 plan against ONNX Runtime fp32 (and its int8 QDQ export, a third column) in one process, in alternating batches,
/// so both see the same machine. BenchmarkDotNet runs each benchmark in its own process one after the other; on a shared
/// VM a quiet or a busy minute then lands on one side of the ratio only. Here each round times CALLS calls of one
/// engine, then CALLS of the other (the order swapping every round), and the ratio is taken per round: the median of
/// those ratios is what the noise moves least. Same setup, input and output as <see cref="ModelBenchmarks"/>. With
/// <c>gated</c>, the int8 plan is the one a build with the model's gate ships (<see cref="CompressedModel.Create"/>:
/// <c>WeightBits="Auto"</c> keeps the 7-bit convolutions the gate accepts), and the plan compressed with the gate off
/// (8 bits everywhere) is timed in the same rounds too: a fourth column, and the 8-bit / gated ratio per round.
/// </summary>
public static class PairedRatio
{
    public static void Run(string[] args)
    {
        if (args.Length > 0 && args[0].Equals("arcticxs-fp32", StringComparison.OrdinalIgnoreCase))
        {
            ArcticXsBenchmark.RunPaired(args[1..]);
            return;
        }

        var model = args.Length > 0 ? args[0].ToLowerInvariant() switch
        {
            "fashionmlp" or "mlp" => BenchmarkModels.FashionMlp,
            "fashioncnn" or "cnn" => BenchmarkModels.FashionCnn,
            "mobilenetv3" => BenchmarkModels.MobileNetV3,
            "resnet18" => BenchmarkModels.ResNet18(Path.Combine(CompressedModel.CacheRoot, "data")),
            _ => throw new ArgumentException($"Unknown model '{args[0]}': fashionmlp, fashioncnn, mobilenetv3 or resnet18."),
        } : BenchmarkModels.FashionCnn;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        int calls = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;

        // With "cpu", the thread's processor time instead of wall time (both engines run on this thread: ORT has one
        // intra-op thread); on a busy VM it leaves out the time other work held the core.
        bool cpu = args.Contains("cpu");
        if (cpu && !ThreadCpuTime.IsSupported)
        {
            throw new PlatformNotSupportedException("'cpu' reads CLOCK_THREAD_CPUTIME_ID, a Linux clock.");
        }

        bool gated = args.Contains("gated");
        var compressed = CompressedModel.Create(model, gated);
        var input = compressed.FirstInput();
        var output = new float[compressed.Network.OutputLength];
        // "parallel=N": the int8 plan's large convolutions split over N threads (PlanRunner's parallelism), timed in wall time.
        int parallelism = args.Where(a => a.StartsWith("parallel=", StringComparison.Ordinal)).Select(a => int.Parse(a["parallel=".Length..], CultureInfo.InvariantCulture)).DefaultIfEmpty(1).Last();
        if (cpu && parallelism > 1)
        {
            throw new ArgumentException("'cpu' times the calling thread only: measure 'parallel=N' in wall time.");
        }

        using var int8 = new PlanRunner(ModelPlan.FromFile(compressed.Int8PlanPath), parallelism);
        using var ort = compressed.OpenOrt(compressed.Model.ModelPath, input, output);
        using var qdq = compressed.OpenOrt(compressed.QdqModelPath, input, output);
        using var eightBit = gated ? new PlanRunner(ModelPlan.FromFile(CompressedModel.Create(model).Int8PlanPath), parallelism) : null;
        void RunEightBit() => eightBit?.Run(input, output);

        double Time(Action call)
        {
            double cpuStart = cpu ? ThreadCpuTime.Microseconds() : 0;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                call();
            }

            return cpu ? (ThreadCpuTime.Microseconds() - cpuStart) / calls : Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
        }

        void RunInt8() => int8.Run(input, output);

        // Warm up past tiering (BenchmarkDotNet's pilot does the same).
        for (int i = 0; i < 3; i++)
        {
            Time(RunInt8);
            Time(ort.Run);
            Time(qdq.Run);
            Time(RunEightBit);
        }

        var eight = new double[rounds];

        var ours = new double[rounds];
        var theirs = new double[rounds];
        var theirsInt8 = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                ours[r] = Time(RunInt8);
                theirs[r] = Time(ort.Run);
                theirsInt8[r] = Time(qdq.Run);
                eight[r] = Time(RunEightBit);
            }
            else
            {
                eight[r] = Time(RunEightBit);
                theirsInt8[r] = Time(qdq.Run);
                theirs[r] = Time(ort.Run);
                ours[r] = Time(RunInt8);
            }
        }

        var ratios = theirs.Zip(ours, (t, o) => t / o).Order().ToArray();
        var int8Ratios = theirsInt8.Zip(ours, (t, o) => t / o).Order().ToArray();
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model.Name} ({(cpu ? "thread processor" : "wall")} time, parallelism {parallelism}): {rounds} rounds of {calls} calls each. BuildOptim int8 median {Median(ours):F2} µs (best {ours.Min():F2}); "
            + $"ORT fp32 median {Median(theirs):F2} µs (best {theirs.Min():F2}); ORT / int8 per round: median {Median(ratios):F2}×, "
            + $"quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2}×, of best times {theirs.Min() / ours.Min():F2}×; "
            + $"ORT int8 QDQ median {Median(theirsInt8):F2} µs (best {theirsInt8.Min():F2}), ORT int8 / int8 per round: median {Median(int8Ratios):F2}×, "
            + $"quartiles {int8Ratios[rounds / 4]:F2}–{int8Ratios[3 * rounds / 4]:F2}×, of best times {theirsInt8.Min() / ours.Min():F2}×"));
        if (gated)
        {
            var sevenRatios = eight.Zip(ours, (e, o) => e / o).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{model.Name} gated plan above ({SevenBitConvolutions(compressed.Int8PlanPath)} 7-bit convolutions); the 8-bit plan median {Median(eight):F2} µs (best {eight.Min():F2}), ORT fp32 / 8-bit per round: median {Median(theirs.Zip(eight, (t, e) => t / e)):F2}×; "
                + $"8-bit / gated per round: median {Median(sevenRatios):F2}×, quartiles {sevenRatios[rounds / 4]:F2}–{sevenRatios[3 * rounds / 4]:F2}×"));
        }
    }

    /// <summary>The convolutions of a plan that run on the 7-bit tiles (their parameters end in the 7-bit flag).</summary>
    private static int SevenBitConvolutions(string planPath)
    {
        int count = 0;
        foreach (var op in ModelPlan.FromFile(planPath).Ops)
        {
            bool sevenBit = op.Kind == OpKind.ConvU8S8ToU8 ? op.P.Length == 21 : op.Kind == OpKind.ConvU8S8ToF32 && op.P.Length == 20;
            count += sevenBit && op.P[^1] == 1 ? 1 : 0;
        }

        return count;
    }
}
