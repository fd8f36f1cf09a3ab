using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>dynamic-gemm [ROUNDS]</c>: <see cref="Kernels.GemmU8S8F32Dynamic"/> (row quantization, s32 accumulation and the
/// fp32 epilogue: the whole op) on one thread, on every path this machine runs (7-bit layers on the two paths only they
/// take, 8-bit ones on the others), for the shapes of a BERT-family encoder
/// (rows = tokens; N, K of ArcticXs's attention projections and feed-forward layers). Each shape is timed in rounds of
/// about 20 ms; the best round gives GMAC/s = rows·N·K / time. The roofline: the peak of the multiply instruction of the
/// path this machine takes (<see cref="VnniPeak"/>: 256-bit <c>vpdpbusd</c> in the kernel's own tile shape, operands in L1),
/// and each shape's share of it.
/// </summary>
public static class DynamicGemmThroughput
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        if (args.Length > 1 && args[1] == "layers")
        {
            // Only the 36 layers in turn, at the given row counts (default 9 and 78).
            EncoderLayers(rounds, args.Length > 2 ? [.. args[2..].Select(a => int.Parse(a, CultureInfo.InvariantCulture))] : [9, 78]);
            return;
        }

        double peak = AvxVnni.IsSupported ? VnniPeak(rounds) : double.NaN;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// 256-bit vpdpbusd peak (6 × 16 tile, 12 accumulators, L1 operands), best of {rounds} rounds: {peak:F1} GMAC/s"));
        EncoderLayers(rounds, [9, 78]);
        int[] rowCounts = [1, 9, 16, 78, 128];
        (int N, int K)[] shapes = [(384, 384), (1536, 384), (384, 1536), (1536, 1536)];
        var paths = Enum.GetValues<DynamicGemmPath>().Where(Kernels.IsSupported)
            .Select(p => (Path: p, SevenBit: p is DynamicGemmPath.Avx512SevenBit or DynamicGemmPath.Avx2SevenBit)).ToArray();
        Console.WriteLine("| rows | N | K | " + string.Join(" | ", paths.Select(p => p.Path + (p.SevenBit ? " 7-bit" : "") + " GMAC/s (µs)")) + " | AvxVnniQuads % of peak |");
        Console.WriteLine("|---|---|---|" + string.Concat(paths.Select(_ => "---|")) + "---|");
        var random = new Random(1);
        foreach (int rows in rowCounts)
        {
            foreach (var (n, k) in shapes)
            {
                var x = Enumerable.Range(0, rows * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var w = Enumerable.Range(0, n * k).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
                var w7 = SevenBitWeights(w);
                var colScale = Enumerable.Repeat(0.01f, n).ToArray();
                var bias = new float[n];
                var y = new float[rows * n];
                var cells = new List<string>();
                double vnni = double.NaN;
                foreach (var (path, sevenBit) in paths)
                {
                    var weights = Kernels.PackDynamicGemmWeights(sevenBit ? w7 : w, n, k, path, sevenBit);
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
                    vnni = path == DynamicGemmPath.AvxVnniQuads && !sevenBit ? macs / best / 1000 : vnni;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {rows} | {n} | {k} | {string.Join(" | ", cells)} | {100 * vnni / peak:F0} % |"));
            }
        }
    }

    /// <summary>
    /// The 36 dense layers of ArcticXs in turn (6 × Q, K, V, output, up, down), each with its own weights (10.6 MB of int8,
    /// as the model streams them), on this machine's path for 8-bit layers and for 7-bit ones (weights in [−63, 63], rows
    /// to 0..127), the two alternating round by round: how fast the layers run when their weights are not all in cache.
    /// </summary>
    private static void EncoderLayers(int rounds, int[] rowCounts)
    {
        var random = new Random(2);
        (int N, int K)[] shapes = [.. Enumerable.Range(0, 6).SelectMany(_ => new[] { (384, 384), (384, 384), (384, 384), (384, 384), (1536, 384), (384, 1536) })];
        var raw = shapes.Select(s => Enumerable.Range(0, s.N * s.K).Select(_ => (sbyte)random.Next(-127, 128)).ToArray()).ToArray();
        var variants = new[] { false, true }.Select(sevenBit =>
        {
            var path = Kernels.ChooseDynamicGemmPath(SimdLevel.Vector512, sevenBit);
            var layers = shapes.Select((s, i) => (s.N, s.K, Weights: Kernels.PackDynamicGemmWeights(sevenBit ? SevenBitWeights(raw[i]) : raw[i], s.N, s.K, path, sevenBit),
                Scale: Enumerable.Repeat(0.01f, s.N).ToArray(), Bias: new float[s.N])).ToArray();
            return (Name: sevenBit ? $"7-bit {path}" : $"8-bit {path}", Layers: layers);
        }).ToArray();
        foreach (int rows in rowCounts)
        {
            var x = Enumerable.Range(0, rows * 1536).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            var y = new float[rows * 1536];
            var scratch = new byte[variants.Max(v => v.Layers.Max(l => l.Weights.ScratchBytes(rows)))];
            long macs = shapes.Sum(l => (long)rows * l.N * l.K);
            var times = variants.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds + 2; r++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    var set = variants[(v + r) % variants.Length];
                    long start = Stopwatch.GetTimestamp();
                    foreach (var l in set.Layers)
                    {
                        Kernels.GemmU8S8F32Dynamic(x.AsSpan(0, rows * l.K), rows, l.Weights, l.Scale, l.Bias, Activation.None, float.NegativeInfinity, float.PositiveInfinity, 0, l.N, y.AsSpan(0, rows * l.N), scratch);
                    }

                    if (r >= 2)
                    {
                        times[(v + r) % variants.Length].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    }
                }
            }

            for (int v = 0; v < variants.Length; v++)
            {
                double best = times[v].Min(), median = times[v].Order().ElementAt(times[v].Count / 2);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {variants[v].Name}, the 36 dense layers of ArcticXs at {rows} rows, own weights: best {best / 1000:F3} ms ({macs / best / 1000:F1} GMAC/s), median {median / 1000:F3} ms"));
            }

            var ratios = times[0].Zip(times[1], (eight, seven) => eight / seven).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// 8-bit time / 7-bit time per round: median {ratios[ratios.Length / 2]:F2} [{ratios[ratios.Length / 4]:F2}–{ratios[3 * ratios.Length / 4]:F2}]"));
        }
    }

    /// <summary>8-bit weights halved into a 7-bit layer's [−63, 63].</summary>
    private static sbyte[] SevenBitWeights(sbyte[] w) => [.. w.Select(v => (sbyte)Math.Clamp(v >> 1, -Kernels.SevenBitWeightMax, Kernels.SevenBitWeightMax))];

    /// <summary>
    /// GMAC/s of 256-bit <c>vpdpbusd</c> (32 u8 × s8 MACs each) in the AvxVnniQuads micro-kernel's shape: per step two loads of
    /// 8 channels × 4 k, six broadcast row quads and twelve <c>vpdpbusd</c> into twelve accumulators, over a panel in L1.
    /// What the dynamic GEMM could reach if nothing but its multiplies cost time.
    /// </summary>
    private static double VnniPeak(int rounds)
    {
        const int Steps = 64, Repeats = 20000;
        var panel = new sbyte[Steps * 64];
        var rows = new int[Steps * 6];
        var tile = new int[16];
        var random = new Random(3);
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(panel.AsSpan()));
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = random.Next();
        }

        double best = 0;
        for (int r = 0; r < rounds + 2; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < Repeats; i++)
            {
                VnniTile(ref panel[0], ref rows[0], ref tile[0], Steps);
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = r >= 2 ? Math.Max(best, (double)Repeats * Steps * 12 * 32 / seconds / 1e9) : best;
        }

        return best;
    }

    // Optimized from the first call: the probe's rounds are over before tiered compilation would promote it.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void VnniTile(ref sbyte panel, ref int rows, ref int tile, int steps)
    {
        var a0 = Vector256<int>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int j = 0; j < steps; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref panel);
            var c1 = Vector256.LoadUnsafe(ref panel, 32);
            var x = Vector256.Create(rows).AsByte();
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, x, c0);
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, x, c1);
            x = Vector256.Create(Unsafe.Add(ref rows, 1)).AsByte();
            a1 = AvxVnni.MultiplyWideningAndAdd(a1, x, c0);
            b1 = AvxVnni.MultiplyWideningAndAdd(b1, x, c1);
            x = Vector256.Create(Unsafe.Add(ref rows, 2)).AsByte();
            a2 = AvxVnni.MultiplyWideningAndAdd(a2, x, c0);
            b2 = AvxVnni.MultiplyWideningAndAdd(b2, x, c1);
            x = Vector256.Create(Unsafe.Add(ref rows, 3)).AsByte();
            a3 = AvxVnni.MultiplyWideningAndAdd(a3, x, c0);
            b3 = AvxVnni.MultiplyWideningAndAdd(b3, x, c1);
            x = Vector256.Create(Unsafe.Add(ref rows, 4)).AsByte();
            a4 = AvxVnni.MultiplyWideningAndAdd(a4, x, c0);
            b4 = AvxVnni.MultiplyWideningAndAdd(b4, x, c1);
            x = Vector256.Create(Unsafe.Add(ref rows, 5)).AsByte();
            a5 = AvxVnni.MultiplyWideningAndAdd(a5, x, c0);
            b5 = AvxVnni.MultiplyWideningAndAdd(b5, x, c1);
            panel = ref Unsafe.Add(ref panel, 64);
            rows = ref Unsafe.Add(ref rows, 6);
        }

        (a0 + a1 + a2 + a3 + a4 + a5).StoreUnsafe(ref tile);
        (b0 + b1 + b2 + b3 + b4 + b5).StoreUnsafe(ref tile, 8);
    }
}
