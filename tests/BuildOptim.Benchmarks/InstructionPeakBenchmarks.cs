using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace BuildOptim.Benchmarks;

/// <summary>
/// What this machine's vector units actually sustain for the two ways of multiplying a convolution, measured with the
/// int8 micro-kernel's own loop shape (a 6 × 16 tile over an L1-resident panel: per step two loads, six broadcasts and
/// twelve multiply-accumulates into twelve accumulators):
/// <list type="bullet">
/// <item><c>Vpmaddwd6x16</c>: the int8 kernels' <c>vpmaddwd</c> + <c>vpaddd</c>, 16 MACs per instruction pair.</item>
/// <item><c>Fma6x16</c>: fp32 <c>vfmadd231ps</c>, 8 MACs per instruction (what ONNX Runtime's fp32 kernels issue).</item>
/// </list>
/// The GMAC/s ratio of the two bounds how much faster than fp32 an int8 convolution can be on this machine, whatever the
/// rest of the code does. The "% of peak" column is against <see cref="MachinePeak"/> (two <c>vpmaddwd</c> per cycle).
/// </summary>
[Config(typeof(ThroughputConfig))]
public class InstructionPeakBenchmarks
{
    private const int Steps = 72;
    private const long TileMacs = 6L * 16 * 2 * Steps;

    private readonly int[] _panel = new int[Steps * 16];
    private readonly int[] _weights = new int[Steps * 6];
    private readonly int[] _tile = new int[6 * 16];
    private readonly float[] _panelF32 = new float[Steps * 16];
    private readonly float[] _weightsF32 = new float[Steps * 6 * 2];
    private readonly float[] _tileF32 = new float[6 * 16];

    [GlobalSetup]
    public void Setup()
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            throw new PlatformNotSupportedException("These probes need AVX2 and FMA.");
        }

        var random = new Random(7);
        for (int i = 0; i < _panel.Length; i++)
        {
            _panel[i] = random.Next() & 0x00FF_00FF;
            _panelF32[i] = random.NextSingle();
        }

        for (int i = 0; i < _weights.Length; i++)
        {
            _weights[i] = random.Next();
        }

        for (int i = 0; i < _weightsF32.Length; i++)
        {
            _weightsF32[i] = random.NextSingle() - 0.5f;
        }

        Console.WriteLine($"// {MachinePeak.Describe()}");
    }

    /// <summary>2 × 6 × 16 × 72 = 13,824 MACs: 864 <c>vpmaddwd</c>.</summary>
    [Benchmark(Baseline = true)]
    [MacCount(TileMacs)]
    public void Vpmaddwd6x16() => MaddTile(ref _panel[0], ref _weights[0], ref _tile[0]);

    /// <summary>The same MACs in fp32: 1,728 <c>vfmadd231ps</c> (twice the steps, 8 MACs each).</summary>
    [Benchmark]
    [MacCount(TileMacs)]
    public void Fma6x16()
    {
        FmaTile(ref _panelF32[0], ref _weightsF32[0], ref _tileF32[0]);
        FmaTile(ref _panelF32[0], ref _weightsF32[Steps * 6], ref _tileF32[0]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MaddTile(ref int panel, ref int weights, ref int t)
    {
        var a0 = Vector256<int>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int j = 0; j < Steps; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref panel).AsInt16();
            var c1 = Vector256.LoadUnsafe(ref panel, 8).AsInt16();
            var w = Vector256.Create(weights).AsInt16();
            a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(c0, w));
            b0 = Avx2.Add(b0, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 1)).AsInt16();
            a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(c0, w));
            b1 = Avx2.Add(b1, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 2)).AsInt16();
            a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(c0, w));
            b2 = Avx2.Add(b2, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 3)).AsInt16();
            a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(c0, w));
            b3 = Avx2.Add(b3, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 4)).AsInt16();
            a4 = Avx2.Add(a4, Avx2.MultiplyAddAdjacent(c0, w));
            b4 = Avx2.Add(b4, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 5)).AsInt16();
            a5 = Avx2.Add(a5, Avx2.MultiplyAddAdjacent(c0, w));
            b5 = Avx2.Add(b5, Avx2.MultiplyAddAdjacent(c1, w));
            panel = ref Unsafe.Add(ref panel, 16);
            weights = ref Unsafe.Add(ref weights, 6);
        }

        (a0 + a1 + a2 + a3 + a4 + a5).StoreUnsafe(ref t);
        (b0 + b1 + b2 + b3 + b4 + b5).StoreUnsafe(ref t, 8);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FmaTile(ref float panel, ref float weights, ref float t)
    {
        var a0 = Vector256<float>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int j = 0; j < Steps; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref panel);
            var c1 = Vector256.LoadUnsafe(ref panel, 8);
            var w = Vector256.Create(weights);
            a0 = Fma.MultiplyAdd(c0, w, a0);
            b0 = Fma.MultiplyAdd(c1, w, b0);
            w = Vector256.Create(Unsafe.Add(ref weights, 1));
            a1 = Fma.MultiplyAdd(c0, w, a1);
            b1 = Fma.MultiplyAdd(c1, w, b1);
            w = Vector256.Create(Unsafe.Add(ref weights, 2));
            a2 = Fma.MultiplyAdd(c0, w, a2);
            b2 = Fma.MultiplyAdd(c1, w, b2);
            w = Vector256.Create(Unsafe.Add(ref weights, 3));
            a3 = Fma.MultiplyAdd(c0, w, a3);
            b3 = Fma.MultiplyAdd(c1, w, b3);
            w = Vector256.Create(Unsafe.Add(ref weights, 4));
            a4 = Fma.MultiplyAdd(c0, w, a4);
            b4 = Fma.MultiplyAdd(c1, w, b4);
            w = Vector256.Create(Unsafe.Add(ref weights, 5));
            a5 = Fma.MultiplyAdd(c0, w, a5);
            b5 = Fma.MultiplyAdd(c1, w, b5);
            panel = ref Unsafe.Add(ref panel, 16);
            weights = ref Unsafe.Add(ref weights, 6);
        }

        (a0 + a1 + a2 + a3 + a4 + a5).StoreUnsafe(ref t);
        (b0 + b1 + b2 + b3 + b4 + b5).StoreUnsafe(ref t, 8);
    }
}
