using System.Diagnostics;
using System.Globalization;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>paired MODEL [ROUNDS] [CALLS]</c>: the int8 plan (for <c>arcticxs</c>, the fp32 plan) against ONNX Runtime fp32 in one process, in alternating batches,
/// so both see the same machine. BenchmarkDotNet runs each benchmark in its own process one after the other; on a shared
/// VM a quiet or a busy minute then lands on one side of the ratio only. Here each round times CALLS calls of one
/// engine, then CALLS of the other (the order swapping every round), and the ratio is taken per round: the median of
/// those ratios is what the noise moves least. Same setup, input and output as <see cref="ModelBenchmarks"/>.
/// </summary>
public static class PairedRatio
{
    public static void Run(string[] args)
    {
        if (args.Length > 0 && args[0].Equals("arcticxs", StringComparison.OrdinalIgnoreCase))
        {
            RunArcticXs(args[1..]);
            return;
        }

        var model = args.Length > 0 ? args[0].ToLowerInvariant() switch
        {
            "fashionmlp" or "mlp" => BenchmarkModels.FashionMlp,
            "fashioncnn" or "cnn" => BenchmarkModels.FashionCnn,
            "resnet18" => BenchmarkModels.ResNet18(Path.Combine(CompressedModel.CacheRoot, "data")),
            _ => throw new ArgumentException($"Unknown model '{args[0]}': fashionmlp, fashioncnn, resnet18 or arcticxs."),
        } : BenchmarkModels.FashionCnn;
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        int calls = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;

        var compressed = CompressedModel.Create(model);
        var input = compressed.FirstInput();
        var output = new float[compressed.Network.OutputLength];
        var int8 = new PlanRunner(ModelPlan.FromFile(compressed.Int8PlanPath));
        using var ort = compressed.OpenOrt(compressed.Model.ModelPath, input, output);

        Compare($"{model.Name}", "int8", () => int8.Run(input, output), ort.Run, rounds, calls);
    }

    /// <summary>
    /// <c>paired arcticxs [TOKENS] [ROUNDS] [CALLS]</c>: the fp32 plan of the ArcticXs sentence encoder, compiled for a
    /// sequence of exactly TOKENS real tokens (default: 9, then 78), against ONNX Runtime fp32 on the same ids.
    /// </summary>
    private static void RunArcticXs(string[] args)
    {
        int[] lengths = args.Length > 0 ? [int.Parse(args[0], CultureInfo.InvariantCulture)] : [9, 78];
        foreach (int tokens in lengths)
        {
            int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
            int calls = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : Math.Max(5, 360 / tokens);
            var encoder = ArcticXsBenchmark.Create(tokens);
            using var ort = encoder.OpenOrt();
            Compare($"arcticxs at {tokens} tokens", "fp32", encoder.RunPlan, ort.Run, rounds, calls);
        }
    }

    /// <summary>
    /// Times CALLS calls of <paramref name="ours"/>, then CALLS of <paramref name="theirs"/> (the order swapping every
    /// round), ROUNDS times, and prints the medians and the median of the per-round ratios.
    /// </summary>
    private static void Compare(string name, string precision, Action ours, Action theirs, int rounds, int calls)
    {
        double Time(Action call)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                call();
            }

            return Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
        }

        // Warm up past tiering (BenchmarkDotNet's pilot does the same).
        for (int i = 0; i < 3; i++)
        {
            Time(ours);
            Time(theirs);
        }

        var oursTimes = new double[rounds];
        var theirTimes = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0)
            {
                oursTimes[r] = Time(ours);
                theirTimes[r] = Time(theirs);
            }
            else
            {
                theirTimes[r] = Time(theirs);
                oursTimes[r] = Time(ours);
            }
        }

        var ratios = theirTimes.Zip(oursTimes, (t, o) => t / o).Order().ToArray();
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {rounds} rounds of {calls} calls each. BuildOptim {precision} median {Median(oursTimes):F2} µs (best {oursTimes.Min():F2}); "
            + $"ORT fp32 median {Median(theirTimes):F2} µs (best {theirTimes.Min():F2}); ORT / {precision} per round: median {Median(ratios):F2}×, "
            + $"quartiles {ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2}×, of best times {theirTimes.Min() / oursTimes.Min():F2}×"));
    }
}
