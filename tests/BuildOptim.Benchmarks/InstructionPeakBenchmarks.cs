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
/// <item><c>Vpmaddubsw6x16</c>: <c>vpmaddubsw</c> (u8 × s8, pairs summed into saturating int16) then <c>vpmaddwd</c> by ones
/// and <c>vpaddd</c>, 32 MACs per three instructions: what an int8 kernel could issue if its weights were quantized to 7 bits
/// (|w| ≤ 64, so that 255 · 64 · 2 cannot saturate). BuildOptim does not, its weights being 8-bit; the probe shows what
/// that trade would buy on this machine. <see cref="SevenBitMixThroughput"/> (<c>-- seven-bit</c>) times
/// the 7-bit-activation variant (two <c>vpmaddubsw</c> per <c>vpmaddwd</c>) against <c>vpdpbusd</c>, alternating in one process.</item>
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
    public void Vpmaddwd6x16() => Tile<int, Maddwd>(ref _panel[0], ref _weights[0], ref _tile[0]);

    /// <summary>Twice the MACs in u8 × s8 quads: 864 <c>vpmaddubsw</c>, each followed by a <c>vpmaddwd</c> by ones.</summary>
    [Benchmark]
    [MacCount(2 * TileMacs)]
    public void Vpmaddubsw6x16() => Tile<int, Maddubsw>(ref _panel[0], ref _weights[0], ref _tile[0]);

    /// <summary>The same MACs in fp32: 1,728 <c>vfmadd231ps</c> (twice the steps, 8 MACs each).</summary>
    [Benchmark]
    [MacCount(TileMacs)]
    public void Fma6x16()
    {
        Tile<float, FusedMultiplyAdd>(ref _panelF32[0], ref _weightsF32[0], ref _tileF32[0]);
        Tile<float, FusedMultiplyAdd>(ref _panelF32[0], ref _weightsF32[Steps * 6], ref _tileF32[0]);
    }

    /// <summary>One multiply-accumulate of a probe: a column vector and a broadcast weight into an accumulator.</summary>
    private interface IMacStep<T>
    {
        static abstract Vector256<T> Accumulate(Vector256<T> acc, Vector256<T> columns, Vector256<T> weights);
    }

    /// <summary><c>vpmaddwd</c> + <c>vpaddd</c>: 16 MACs of 16-bit pairs.</summary>
    private readonly struct Maddwd : IMacStep<int>
    {
        public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<int> columns, Vector256<int> weights)
            => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(columns.AsInt16(), weights.AsInt16()));
    }

    /// <summary><c>vpmaddubsw</c> + <c>vpmaddwd</c> by ones + <c>vpaddd</c>: 32 MACs of u8 × s8 quads.</summary>
    private readonly struct Maddubsw : IMacStep<int>
    {
        public static Vector256<int> Accumulate(Vector256<int> acc, Vector256<int> columns, Vector256<int> weights)
            => Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(columns.AsByte(), weights.AsSByte()), Vector256.Create((short)1)));
    }

    /// <summary><c>vfmadd231ps</c>: 8 MACs in fp32.</summary>
    private readonly struct FusedMultiplyAdd : IMacStep<float>
    {
        public static Vector256<float> Accumulate(Vector256<float> acc, Vector256<float> columns, Vector256<float> weights)
            => Fma.MultiplyAdd(columns, weights, acc);
    }

    /// <summary>The 6 × 16 tile: per step two column loads, six broadcasts and twelve <typeparamref name="TStep"/>s (the JIT specializes it per step type).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tile<T, TStep>(ref T panel, ref T weights, ref T t)
        where T : unmanaged
        where TStep : struct, IMacStep<T>
    {
        var a0 = Vector256<T>.Zero;
        var (a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5) = (a0, a0, a0, a0, a0, a0, a0, a0, a0, a0, a0);
        for (int j = 0; j < Steps; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref panel);
            var c1 = Vector256.LoadUnsafe(ref panel, 8);
            var w = Vector256.Create(weights);
            a0 = TStep.Accumulate(a0, c0, w);
            b0 = TStep.Accumulate(b0, c1, w);
            w = Vector256.Create(Unsafe.Add(ref weights, 1));
            a1 = TStep.Accumulate(a1, c0, w);
            b1 = TStep.Accumulate(b1, c1, w);
            w = Vector256.Create(Unsafe.Add(ref weights, 2));
            a2 = TStep.Accumulate(a2, c0, w);
            b2 = TStep.Accumulate(b2, c1, w);
            w = Vector256.Create(Unsafe.Add(ref weights, 3));
            a3 = TStep.Accumulate(a3, c0, w);
            b3 = TStep.Accumulate(b3, c1, w);
            w = Vector256.Create(Unsafe.Add(ref weights, 4));
            a4 = TStep.Accumulate(a4, c0, w);
            b4 = TStep.Accumulate(b4, c1, w);
            w = Vector256.Create(Unsafe.Add(ref weights, 5));
            a5 = TStep.Accumulate(a5, c0, w);
            b5 = TStep.Accumulate(b5, c1, w);
            panel = ref Unsafe.Add(ref panel, 16);
            weights = ref Unsafe.Add(ref weights, 6);
        }

        (a0 + a1 + a2 + a3 + a4 + a5).StoreUnsafe(ref t);
        (b0 + b1 + b2 + b3 + b4 + b5).StoreUnsafe(ref t, 8);
    }
}
