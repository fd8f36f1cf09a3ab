using System.Diagnostics;
using System.Globalization;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// <c>paired-levels [BASELINE] [CANDIDATE] [ROUNDS] [BUDGET µs] [cpu] [seven]</c>: each int8 convolution of the sample models run at two <see cref="SimdLevel"/> caps in
/// alternating batches in one process (the way <see cref="PairedRatio"/> pairs engines), weights pre-packed and layout prepared
/// as <see cref="PlanRunner"/> does, so a kernel path is measured against the one below it on the same, possibly busy, machine.
/// With <c>seven</c>, the candidate is the 7-bit layer (halved weights, the 7-bit tiles of Kernels/ConvGemmU8S7.cs; checked
/// against its scalar twin) and the baseline the 8-bit one, for the convolutions that are not depthwise.
/// </summary>
public static class PairedLevels
{
    private static readonly (string Name, ConvGeometry Geometry)[] s_convolutions =
    [
        ("FashionCnn stem 3x3 1->16 28x28", new(C: 1, H: 28, W: 28, M: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 28, OW: 28)),
        ("FashionCnn 1x1 16->16 14x14", new(C: 16, H: 14, W: 14, M: 16, KH: 1, KW: 1, StrideH: 1, StrideW: 1, PadTop: 0, PadLeft: 0, DilationH: 1, DilationW: 1, Group: 1, OH: 14, OW: 14)),
        ("FashionCnn depthwise 3x3 16 14x14", new(C: 16, H: 14, W: 14, M: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 16, OH: 14, OW: 14)),
        ("FashionCnn 3x3 s2 16->64 14x14", new(C: 16, H: 14, W: 14, M: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 7, OW: 7)),
        ("MobileNetV3 depthwise 5x5 160 4x4", new(C: 160, H: 4, W: 4, M: 160, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadTop: 2, PadLeft: 2, DilationH: 1, DilationW: 1, Group: 160, OH: 4, OW: 4)),
        ("MobileNetV3 depthwise 5x5 s2 96 7x7", new(C: 96, H: 7, W: 7, M: 96, KH: 5, KW: 5, StrideH: 2, StrideW: 2, PadTop: 2, PadLeft: 2, DilationH: 1, DilationW: 1, Group: 96, OH: 4, OW: 4)),
        ("MobileNetV3 depthwise 3x3 72 7x7", new(C: 72, H: 7, W: 7, M: 72, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 72, OH: 7, OW: 7)),
        ("ResNet-18 3x3 64->64 56x56", new(C: 64, H: 56, W: 56, M: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 56, OW: 56)),
        ("ResNet-18 3x3 256->256 14x14", new(C: 256, H: 14, W: 14, M: 256, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 14, OW: 14)),
        ("ResNet-18 3x3 512->512 7x7", new(C: 512, H: 7, W: 7, M: 512, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 7, OW: 7)),
    ];

    public static void Run(string[] args)
    {
        var baseline = args.Length > 0 ? Enum.Parse<SimdLevel>(args[0]) : SimdLevel.Vector256Vnni;
        var candidate = args.Length > 1 ? Enum.Parse<SimdLevel>(args[1]) : SimdLevel.Vector512;
        int rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20;
        double budgetMicroseconds = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 20_000;
        // With "cpu", the thread's processor time instead of wall time (see PairedRatio).
        bool cpu = args.Contains("cpu");
        bool seven = args.Contains("seven");
        var random = new Random(42);
        foreach (var (name, g) in s_convolutions)
        {
            if (seven && g.IsDepthwise)
            {
                continue;
            }

            var x = new byte[g.InputLength];
            random.NextBytes(x);
            var w = Enumerable.Range(0, g.M * g.PatchLength).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
            var bias = Enumerable.Range(0, g.M).Select(_ => random.Next(-10_000, 10_000)).ToArray();
            var (m, s) = FixedPoint.QuantizeMultiplier(0.0007);
            var multiplier = Enumerable.Repeat(m, g.M).ToArray();
            var shift = Enumerable.Repeat(s, g.M).ToArray();
            var packed = Kernels.PackConvU8S8Weights(w, g);
            var w7 = w.Select(v => (sbyte)(v >> 1)).ToArray();
            var packed7 = seven ? Kernels.PackConvU8S7Weights(w7, g) : [];
            var layout = Kernels.ConvGemmLayout.For(g);
            var scratch = new byte[Kernels.ConvU8S8ScratchLength(g)];
            var acc = new int[Kernels.ConvU8S8AccumulatorLength(g)];
            var y = new byte[g.OutputLength];
            var yCheck = new byte[g.OutputLength];

            void Call(SimdLevel level, byte[] output)
                => Kernels.ConvU8S8Core(x, g, 128, w, packed, bias, multiplier, shift, 3, 0, 255, scratch, acc, output, level, layout);

            void CallSeven(SimdLevel level, byte[] output)
                => Kernels.ConvU8S8Core(x, g, 128, w7, packed7, bias, multiplier, shift, 3, 0, 255, scratch, acc, output, level, layout, sevenBit: true);

            void Candidate(SimdLevel level, byte[] output)
            {
                if (seven)
                {
                    CallSeven(level, output);
                }
                else
                {
                    Call(level, output);
                }
            }

            if (seven)
            {
                CallSeven(SimdLevel.Scalar, yCheck);
            }
            else
            {
                Call(baseline, yCheck);
            }

            Candidate(candidate, y);
            if (!y.AsSpan().SequenceEqual(yCheck))
            {
                throw new InvalidOperationException($"{name}: {candidate} and {baseline} differ.");
            }

            var probe = Stopwatch.StartNew();
            Call(baseline, y);
            int calls = Math.Max(10, (int)(budgetMicroseconds / Math.Max(1, probe.Elapsed.TotalMicroseconds)));

            double Time(SimdLevel level, bool isCandidate)
            {
                double cpuStart = cpu ? ThreadCpuTime.Microseconds() : 0;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++)
                {
                    if (isCandidate)
                    {
                        Candidate(level, y);
                    }
                    else
                    {
                        Call(level, y);
                    }
                }

                return cpu ? (ThreadCpuTime.Microseconds() - cpuStart) / calls : Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
            }

            for (int i = 0; i < 3; i++)
            {
                Time(baseline, false);
                Time(candidate, true);
            }

            var a = new double[rounds];
            var b = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                if (r % 2 == 0)
                {
                    a[r] = Time(baseline, false);
                    b[r] = Time(candidate, true);
                }
                else
                {
                    b[r] = Time(candidate, true);
                    a[r] = Time(baseline, false);
                }
            }

            var ratios = a.Zip(b, (p, q) => p / q).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {baseline}{(seven ? " 8-bit" : "")} median {Median(a):F2} µs (best {a.Min():F2}), {candidate}{(seven ? " 7-bit" : "")} median {Median(b):F2} µs (best {b.Min():F2}); "
                + $"{baseline} / {candidate} per round {Median(ratios):F2}× [{ratios[rounds / 4]:F2}–{ratios[3 * rounds / 4]:F2}], of best {a.Min() / b.Min():F2}×"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
