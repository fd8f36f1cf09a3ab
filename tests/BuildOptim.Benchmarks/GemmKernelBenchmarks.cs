using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// The int8 kernels that dominate the models, in GMAC/s against this machine's theoretical peak
/// (<see cref="MachinePeak"/>): the MLP's first layer, a ResNet-18 stage-1 convolution and FashionCnn's stride-2
/// convolution; each convolution also in fp32 (<c>Kernels.ConvF32</c>, FMA), for the int8 path's advantage per MAC.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class GemmKernelBenchmarks
{
    private const int K = 784;
    private const int N = 256;

    /// <summary>ResNet-18 conv2_x: 3×3, 64 → 64 channels, 56×56, stride 1, pad 1.</summary>
    private static readonly ConvGeometry s_conv = new(C: 64, H: 56, W: 56, M: 64, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 56, OW: 56);

    /// <summary>FashionCnn's down-sampling conv: 3×3, 16 → 64 channels, 14×14, stride 2, pad 1.</summary>
    private static readonly ConvGeometry s_down = new(C: 16, H: 14, W: 14, M: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, DilationH: 1, DilationW: 1, Group: 1, OH: 7, OW: 7);

    private byte[] _x = [];
    private sbyte[] _w = [];
    private int[] _bias = [];
    private int[] _acc = [];

    private byte[] _convInput = [];
    private sbyte[] _convWeights = [];
    private int[] _convBias = [];
    private int[] _multiplier = [];
    private int[] _shift = [];
    private byte[] _scratch = [];
    private int[] _accScratch = [];
    private byte[] _convOutput = [];

    private float[] _convInputF32 = [];
    private float[] _convWeightsF32 = [];
    private float[] _convBiasF32 = [];
    private float[] _floatScratch = [];
    private float[] _convOutputF32 = [];

    private byte[] _downInput = [];
    private sbyte[] _downWeights = [];
    private int[] _downPacked = [];
    private int[] _downBias = [];
    private byte[] _downOutput = [];
    private float[] _downInputF32 = [];
    private float[] _downWeightsF32 = [];
    private float[] _downBiasF32 = [];
    private float[] _downOutputF32 = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = Bytes(random, K);
        _w = SBytes(random, K * N);
        _bias = Enumerable.Range(0, N).Select(_ => random.Next(-10_000, 10_000)).ToArray();
        _acc = new int[N];

        _convInput = Bytes(random, s_conv.InputLength);
        _convWeights = SBytes(random, s_conv.M * s_conv.PatchLength);
        _convBias = Enumerable.Range(0, s_conv.M).Select(_ => random.Next(-10_000, 10_000)).ToArray();
        var (multiplier, shift) = FixedPoint.QuantizeMultiplier(0.0007);
        _multiplier = Enumerable.Repeat(multiplier, s_conv.M).ToArray();
        _shift = Enumerable.Repeat(shift, s_conv.M).ToArray();
        _scratch = new byte[Kernels.ConvU8S8ScratchLength(s_conv)];
        _accScratch = new int[Kernels.ConvU8S8AccumulatorLength(s_conv)];
        _convOutput = new byte[s_conv.OutputLength];

        _convInputF32 = Floats(random, s_conv.InputLength);
        _convWeightsF32 = Floats(random, s_conv.M * s_conv.PatchLength);
        _convBiasF32 = Floats(random, s_conv.M);
        _floatScratch = new float[Math.Max(Kernels.ConvF32ScratchLength(s_conv), Kernels.ConvF32ScratchLength(s_down))];
        _convOutputF32 = new float[s_conv.OutputLength];

        _downInput = Bytes(random, s_down.InputLength);
        _downWeights = SBytes(random, s_down.M * s_down.PatchLength);
        _downPacked = Kernels.PackConvU8S8Weights(_downWeights, s_down);
        _downBias = Enumerable.Range(0, s_down.M).Select(_ => random.Next(-10_000, 10_000)).ToArray();
        _downOutput = new byte[s_down.OutputLength];
        _downInputF32 = Floats(random, s_down.InputLength);
        _downWeightsF32 = Floats(random, s_down.M * s_down.PatchLength);
        _downBiasF32 = Floats(random, s_down.M);
        _downOutputF32 = new float[s_down.OutputLength];
        Console.WriteLine($"// {MachinePeak.Describe()}");
    }

    [Benchmark]
    [MacCount(K * N)]
    public void GemvU8S8S32_784x256() => Kernels.GemvU8S8S32(_x, _w, _bias, _acc);

    [Benchmark]
    [MacCount(64L * 64 * 3 * 3 * 56 * 56)]
    public void ConvU8S8_3x3_64to64_56x56() => Kernels.ConvU8S8(_convInput, s_conv, 128, _convWeights, _convBias, _multiplier, _shift, 0, 0, 255, _scratch, _accScratch, _convOutput);

    [Benchmark]
    [MacCount(64L * 64 * 3 * 3 * 56 * 56)]
    public void ConvF32_3x3_64to64_56x56() => Kernels.ConvF32(_convInputF32, s_conv, _convWeightsF32, _convBiasF32, float.NegativeInfinity, float.PositiveInfinity, _floatScratch, _convOutputF32);

    [Benchmark]
    [MacCount(64L * 16 * 3 * 3 * 7 * 7)]
    public void ConvU8S8_3x3_16to64_s2_14x14() => Kernels.ConvU8S8(_downInput, s_down, 128, _downWeights, _downPacked, _downBias, _multiplier, _shift, 0, 0, 255, _scratch, _accScratch, _downOutput);

    [Benchmark]
    [MacCount(64L * 16 * 3 * 3 * 7 * 7)]
    public void ConvF32_3x3_16to64_s2_14x14() => Kernels.ConvF32(_downInputF32, s_down, _downWeightsF32, _downBiasF32, 0, 6, _floatScratch, _downOutputF32);

    private static float[] Floats(Random random, int length) => Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();

    private static byte[] Bytes(Random random, int length)
    {
        var result = new byte[length];
        random.NextBytes(result);
        return result;
    }

    private static sbyte[] SBytes(Random random, int length) => Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
}

/// <summary>Adds the GMAC/s and %-of-peak columns to the default configuration.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(new MacThroughputColumn(percentOfPeak: false), new MacThroughputColumn(percentOfPeak: true));
    }
}
