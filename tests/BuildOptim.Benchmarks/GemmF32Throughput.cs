using System.Diagnostics;
using System.Globalization;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>f32-gemm [ROUNDS]</c>: <see cref="Kernels.GemmF32Packed"/> (the fp32 Dense op's kernel) on one thread over the 36
/// dense layers of ArcticXs in turn (6 × Q, K, V, output, up, down; each its own packed weights, 42.5 MB in all, as the
/// fp32 plan streams them) at 9, 16 and 78 rows, at each SIMD level this machine runs from 128 bits up. After a second of warm-up passes, the best of
/// ROUNDS passes gives GMAC/s = Σ rows·N·K / time.
/// </summary>
public static class GemmF32Throughput
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var random = new Random(3);
        (int N, int K)[] shapes = [.. Enumerable.Range(0, 6).SelectMany(_ => new[] { (384, 384), (384, 384), (384, 384), (384, 384), (1536, 384), (384, 1536) })];
        var layers = shapes.Select(s =>
        {
            var w = Enumerable.Range(0, s.N * s.K).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray();
            var packed = Kernels.PackGemmF32Weights(w, s.N, s.K);
            return (s.N, s.K, Weights: packed, Bias: Kernels.PadGemmF32Bias(new float[s.N], packed));
        }).ToArray();
        SimdLevel[] levels = [.. new[] { SimdLevel.Vector512, SimdLevel.Vector256, SimdLevel.Vector128 }.Where(Simd.IsHardwareAccelerated)];
        foreach (int rows in new[] { 9, 16, 78 })
        {
            var x = Enumerable.Range(0, rows * 1536).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            var y = new float[rows * 1536];
            long macs = layers.Sum(l => (long)rows * l.N * l.K);
            var cells = new List<string>();
            foreach (var level in levels)
            {
                double Pass()
                {
                    long start = Stopwatch.GetTimestamp();
                    foreach (var l in layers)
                    {
                        Kernels.GemmF32Packed(x.AsSpan(0, rows * l.K), rows, l.Weights, l.Bias, float.NegativeInfinity, float.PositiveInfinity, 0, l.N, y.AsSpan(0, rows * l.N), level);
                    }

                    return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }

                // A second of passes first, so that the JIT has compiled every micro-tile this row count uses at full optimization.
                for (long warm = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(warm).TotalSeconds < 1;)
                {
                    Pass();
                }

                double best = double.MaxValue;
                for (int r = 0; r < rounds; r++)
                {
                    best = Math.Min(best, Pass());
                }

                cells.Add(string.Create(CultureInfo.InvariantCulture, $"{level} {best / 1000:F3} ms, {macs / best / 1000:F1} GMAC/s"));
            }

            Console.WriteLine($"// the 36 fp32 dense layers of ArcticXs at {rows} rows: {string.Join("; ", cells)}");
        }
    }
}
