using System.Diagnostics;
using System.Globalization;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>dynamic-gemm [ROUNDS]</c>: <see cref="Kernels.GemmU8S8F32Dynamic"/> (row quantization, s32 accumulation and the
/// fp32 epilogue: the whole op) on one thread, on every path this machine runs, for the shapes of a BERT-family encoder
/// (rows = tokens; N, K of ArcticXs's attention projections and feed-forward layers). Each shape is timed in rounds of
/// about 20 ms; the best round gives GMAC/s = rows·N·K / time.
/// </summary>
public static class DynamicGemmThroughput
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        EncoderLayers(rounds);
        int[] rowCounts = [1, 9, 16, 78, 128];
        (int N, int K)[] shapes = [(384, 384), (1536, 384), (384, 1536)];
        var paths = Enum.GetValues<DynamicGemmPath>().Where(Kernels.IsSupported).ToArray();
        Console.WriteLine("| rows | N | K | " + string.Join(" | ", paths.Select(p => p + " GMAC/s (µs)")) + " |");
        Console.WriteLine("|---|---|---|" + string.Concat(paths.Select(_ => "---|")));
        var random = new Random(1);
        foreach (int rows in rowCounts)
        {
            foreach (var (n, k) in shapes)
            {
                var x = Enumerable.Range(0, rows * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var w = Enumerable.Range(0, n * k).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
                var colScale = Enumerable.Repeat(0.01f, n).ToArray();
                var bias = new float[n];
                var y = new float[rows * n];
                var cells = new List<string>();
                foreach (var path in paths)
                {
                    var weights = Kernels.PackDynamicGemmWeights(w, n, k, path);
                    var scratch = new byte[weights.ScratchBytes(rows)];
                    void Call() => Kernels.GemmU8S8F32Dynamic(x, rows, weights, colScale, bias, Activation.None, float.NegativeInfinity, float.PositiveInfinity, 0, n, y, scratch);
                    long macs = (long)rows * n * k;
                    int calls = (int)Math.Clamp(20_000_000L / Math.Max(1, path == DynamicGemmPath.Scalar ? macs * 20 : macs), 1, 100_000);
                    double best = double.MaxValue;
                    for (int r = 0; r < rounds + 2; r++)
                    {
                        long start = Stopwatch.GetTimestamp();
                        for (int i = 0; i < calls; i++)
                        {
                            Call();
                        }

                        double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
                        best = r >= 2 ? Math.Min(best, us) : best;
                    }

                    cells.Add(string.Create(CultureInfo.InvariantCulture, $"{macs / best / 1000:F1} ({best:F1})"));
                }

                Console.WriteLine($"| {rows} | {n} | {k} | {string.Join(" | ", cells)} |");
            }
        }
    }

    /// <summary>
    /// The 36 dense layers of ArcticXs in turn (6 × Q, K, V, output, up, down), each with its own weights (10.6 MB of int8,
    /// as the model streams them), on this machine's path: how fast the layers run when their weights are not all in cache.
    /// </summary>
    private static void EncoderLayers(int rounds)
    {
        var path = Kernels.ChooseDynamicGemmPath(SimdLevel.Vector512);
        var random = new Random(2);
        (int N, int K)[] shapes = [.. Enumerable.Range(0, 6).SelectMany(_ => new[] { (384, 384), (384, 384), (384, 384), (384, 384), (1536, 384), (384, 1536) })];
        var layers = shapes.Select(s => (s.N, s.K, Weights: Kernels.PackDynamicGemmWeights(Enumerable.Range(0, s.N * s.K).Select(_ => (sbyte)random.Next(-127, 128)).ToArray(), s.N, s.K, path),
            Scale: Enumerable.Repeat(0.01f, s.N).ToArray(), Bias: new float[s.N])).ToArray();
        // The same layers sharing one layer's weights per shape (1.8 MB: in cache), for comparison.
        var shared = layers.Select((l, i) => layers[i % 6]).ToArray();
        foreach (var (set, name) in new[] { (layers, "own weights"), (shared, "weights shared by the 6 blocks") })
        foreach (int rows in new[] { 9, 78 })
        {
            var x = Enumerable.Range(0, rows * 1536).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            var y = new float[rows * 1536];
            var scratch = new byte[layers.Max(l => l.Weights.ScratchBytes(rows))];
            long macs = layers.Sum(l => (long)rows * l.N * l.K);
            double best = double.MaxValue;
            for (int r = 0; r < rounds + 2; r++)
            {
                long start = Stopwatch.GetTimestamp();
                foreach (var l in set)
                {
                    Kernels.GemmU8S8F32Dynamic(x.AsSpan(0, rows * l.K), rows, l.Weights, l.Scale, l.Bias, Activation.None, float.NegativeInfinity, float.PositiveInfinity, 0, l.N, y.AsSpan(0, rows * l.N), scratch);
                }

                double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                best = r >= 2 ? Math.Min(best, us) : best;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {path}, the 36 dense layers of ArcticXs at {rows} rows, {name}: best {best / 1000:F3} ms, {macs / best / 1000:F1} GMAC/s"));
        }
    }
}
