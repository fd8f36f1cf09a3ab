using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary>
/// The 3-D kernels (<see cref="Kernels.Conv3DF32"/>, <see cref="Kernels.ConvTranspose3DF32"/>, the 3-D pools) and the
/// separable Resize pass (<see cref="Kernels.ResizeAxisF32Core"/>): against direct loops in double, and every vector width
/// bit-identical to the scalar twin.
/// </summary>
public class Volume3DF32Tests
{
    /// <summary>An axis whose output follows from ONNX's formula with explicit pads (ceil_mode adds one more where asked).</summary>
    private static AxisGeometry Axis(int input, int kernel, int stride = 1, int dilation = 1, int begin = 0, int end = 0, bool ceil = false)
    {
        int span = input + begin + end - (dilation * (kernel - 1)) - 1;
        int output = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceil && (output - 1) * stride >= input + begin)
        {
            output--;
        }

        return new(input, kernel, stride, dilation, begin, end, output);
    }

    /// <summary>An axis of a transposed convolution: output = stride · (input − 1) + dilation · (kernel − 1) + 1 − pads + extra.</summary>
    private static AxisGeometry Transposed(int input, int kernel, int stride = 1, int dilation = 1, int begin = 0, int end = 0, int extra = 0)
        => new(input, kernel, stride, dilation, begin, end, (stride * (input - 1)) + (dilation * (kernel - 1)) + 1 - begin - end + extra);

    private static readonly VolumeGeometry[] Convolutions =
    [
        new(2, 3, 1, Axis(4, 3, begin: 1, end: 1), Axis(5, 3, begin: 1, end: 1), Axis(6, 3, begin: 1, end: 1)),
        new(4, 6, 2, Axis(5, 2, stride: 2), Axis(7, 3, stride: 2, dilation: 2, begin: 2, end: 1), Axis(19, 3, stride: 2, begin: 1)),
        new(3, 3, 3, Axis(6, 3, begin: 1, end: 1), Axis(6, 3, dilation: 2, begin: 2, end: 2), Axis(33, 3, begin: 1, end: 1)),
        new(4, 4, 4, Axis(3, 1), Axis(4, 2, stride: 2), Axis(40, 5, stride: 3, begin: 2, end: 2)),
        new(5, 7, 1, Axis(3, 1), Axis(4, 1), Axis(37, 1)),
        new(2, 17, 1, Axis(2, 2, begin: 1), Axis(3, 1), Axis(1, 1)),
    ];

    private static readonly VolumeGeometry[] TransposedConvolutions =
    [
        new(2, 3, 1, Transposed(3, 3), Transposed(4, 3), Transposed(5, 3)),
        new(4, 6, 2, Transposed(2, 2, stride: 2), Transposed(3, 3, stride: 2, dilation: 2, begin: 1, end: 1, extra: 1), Transposed(17, 3, stride: 1, begin: 1)),
        new(3, 3, 3, Transposed(2, 1, stride: 3, extra: 2), Transposed(5, 2, stride: 2, begin: 1, end: 1), Transposed(9, 4, stride: 2, dilation: 1, extra: 1)),
    ];

    private static readonly VolumeGeometry[] Pools =
    [
        new(3, 3, 1, Axis(4, 2, stride: 2), Axis(5, 2, stride: 2, ceil: true), Axis(6, 3, stride: 2, begin: 1, end: 1)),
        new(2, 2, 1, Axis(6, 3, dilation: 2, begin: 1, end: 2, ceil: true), Axis(7, 3, stride: 2, dilation: 2), Axis(40, 4, stride: 3, begin: 2, end: 1, ceil: true)),
        new(1, 1, 1, Axis(3, 3, begin: 1, end: 1), Axis(1, 1), Axis(2100, 2060, stride: 7, begin: 3, end: 3)),
    ];

    [Fact]
    public void Conv3D_sums_every_tap_of_its_group_from_the_bias()
    {
        var random = new Random(9101);
        foreach (var g in Convolutions)
        {
            var (x, w, bias) = Operands(random, g.InputLength, g.M * g.PatchLength, g.M);
            var y = new float[g.OutputLength];
            Kernels.Conv3DF32(x, g, w, bias, float.NegativeInfinity, float.PositiveInfinity, new float[Kernels.Conv3DF32ScratchLength(g)], y, SimdLevel.Vector512);
            var (d, h, wa) = (g.D, g.H, g.W);
            int cg = g.GroupInputChannels, mg = g.GroupOutputChannels;
            for (int m = 0; m < g.M; m++)
            {
                for (int p = 0; p < g.OutputPlane; p++)
                {
                    int od = p / (h.Output * wa.Output), oh = p / wa.Output % h.Output, ow = p % wa.Output;
                    double sum = bias[m];
                    for (int c = 0; c < cg; c++)
                    {
                        for (int t = 0; t < g.Taps; t++)
                        {
                            int kd = t / (h.Kernel * wa.Kernel), kh = t / wa.Kernel % h.Kernel, kw = t % wa.Kernel;
                            int id = (od * d.Stride) - d.PadBegin + (kd * d.Dilation), ih = (oh * h.Stride) - h.PadBegin + (kh * h.Dilation), iw = (ow * wa.Stride) - wa.PadBegin + (kw * wa.Dilation);
                            if ((uint)id < (uint)d.Input && (uint)ih < (uint)h.Input && (uint)iw < (uint)wa.Input)
                            {
                                sum += (double)w[(((m * cg) + c) * g.Taps) + t] * x[((((m / mg * cg) + c) * d.Input + id) * h.Input + ih) * wa.Input + iw];
                            }
                        }
                    }

                    float actual = y[(m * g.OutputPlane) + p];
                    Assert.True(Math.Abs(actual - sum) <= 1e-4 * (1 + Math.Abs(sum)), $"{g} y[{m}, {p}] = {actual}, expected {sum}");
                }
            }
        }
    }

    [Fact]
    public void Conv3D_clamps_a_fused_activation()
    {
        var g = Convolutions[0];
        var (x, w, bias) = Operands(new Random(9102), g.InputLength, g.M * g.PatchLength, g.M);
        var free = new float[g.OutputLength];
        var clamped = new float[g.OutputLength];
        var scratch = new float[Kernels.Conv3DF32ScratchLength(g)];
        Kernels.Conv3DF32(x, g, w, bias, float.NegativeInfinity, float.PositiveInfinity, scratch, free, SimdLevel.Vector512);
        Kernels.Conv3DF32(x, g, w, bias, 0, 0.5f, scratch, clamped, SimdLevel.Vector512);
        Assert.Contains(free, v => v < 0);
        Assert.Contains(free, v => v > 0.5f);
        Assert.Equal(free.Select(v => Math.Clamp(v, 0, 0.5f)), clamped);
    }

    [Fact]
    public void ConvTranspose3D_scatters_each_input_tap_then_adds_the_bias()
    {
        var random = new Random(9103);
        foreach (var g in TransposedConvolutions)
        {
            var (x, w, bias) = Operands(random, g.InputLength, g.C * g.GroupOutputChannels * g.Taps, g.M);
            var y = new float[g.OutputLength];
            Kernels.ConvTranspose3DF32(x, g, w, bias, new float[Kernels.ConvTranspose3DF32ScratchLength(g)], y, SimdLevel.Vector512);
            var expected = new double[g.OutputLength];
            var (d, h, wa) = (g.D, g.H, g.W);
            int cg = g.GroupInputChannels, mg = g.GroupOutputChannels;
            for (int c = 0; c < g.C; c++)
            {
                for (int ml = 0; ml < mg; ml++)
                {
                    int m = (c / cg * mg) + ml;
                    for (int i = 0; i < g.InputPlane; i++)
                    {
                        int id = i / (h.Input * wa.Input), ih = i / wa.Input % h.Input, iw = i % wa.Input;
                        for (int t = 0; t < g.Taps; t++)
                        {
                            int kd = t / (h.Kernel * wa.Kernel), kh = t / wa.Kernel % h.Kernel, kw = t % wa.Kernel;
                            int od = (id * d.Stride) - d.PadBegin + (kd * d.Dilation), oh = (ih * h.Stride) - h.PadBegin + (kh * h.Dilation), ow = (iw * wa.Stride) - wa.PadBegin + (kw * wa.Dilation);
                            if ((uint)od < (uint)d.Output && (uint)oh < (uint)h.Output && (uint)ow < (uint)wa.Output)
                            {
                                expected[(m * g.OutputPlane) + (((od * h.Output) + oh) * wa.Output) + ow] += (double)w[(((c * mg) + ml) * g.Taps) + t] * x[(c * g.InputPlane) + i];
                            }
                        }
                    }
                }
            }

            for (int i = 0; i < y.Length; i++)
            {
                double e = expected[i] + bias[i / g.OutputPlane];
                Assert.True(Math.Abs(y[i] - e) <= 1e-4 * (1 + Math.Abs(e)), $"{g} [{i}]: {y[i]}, expected {e}");
            }
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Pool3D_reduces_the_taps_inside_the_input(bool average, bool countIncludePad)
    {
        var random = new Random(9104);
        foreach (var g in Pools)
        {
            var x = Enumerable.Range(0, g.InputLength).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
            var y = new float[g.OutputLength];
            Pool(x, g, average, countIncludePad, y, SimdLevel.Vector512);
            var (d, h, w) = (g.D, g.H, g.W);
            for (int c = 0; c < g.C; c++)
            {
                for (int p = 0; p < g.OutputPlane; p++)
                {
                    int od = p / (h.Output * w.Output), oh = p / w.Output % h.Output, ow = p % w.Output;
                    double sum = 0, max = double.NegativeInfinity;
                    int inside = 0, padded = 0;
                    for (int t = 0; t < g.Taps; t++)
                    {
                        int kd = t / (h.Kernel * w.Kernel), kh = t / w.Kernel % h.Kernel, kw = t % w.Kernel;
                        int id = (od * d.Stride) - d.PadBegin + (kd * d.Dilation), ih = (oh * h.Stride) - h.PadBegin + (kh * h.Dilation), iw = (ow * w.Stride) - w.PadBegin + (kw * w.Dilation);
                        bool inPads = id < d.Input + d.PadEnd && ih < h.Input + h.PadEnd && iw < w.Input + w.PadEnd;
                        padded += inPads ? 1 : 0;
                        if ((uint)id < (uint)d.Input && (uint)ih < (uint)h.Input && (uint)iw < (uint)w.Input)
                        {
                            float v = x[(c * g.InputPlane) + (((id * h.Input) + ih) * w.Input) + iw];
                            sum += v;
                            max = Math.Max(max, v);
                            inside++;
                        }
                    }

                    double expected = !average ? max : sum / (countIncludePad ? padded : inside);
                    float actual = y[(c * g.OutputPlane) + p];
                    Assert.True(Math.Abs(actual - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"{g} y[{c}, {p}] = {actual}, expected {expected}");
                }
            }
        }
    }

    [Fact]
    public void ResizeAxis_weighs_its_taps_and_extrapolates_outside()
    {
        // x [2, 3, 2] along the middle axis to 2 outputs: taps (0, 2) with weights (0.25, 0.75), then one outside.
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        var y = new float[8];
        Kernels.ResizeAxisF32Core(x, 2, 3, 2, 2, 2, [0, 2, -1, 0], [0.25f, 0.75f, 0, 0], -7, y, SimdLevel.Vector512);
        Assert.Equal([4f, 5f, -7f, -7f, 10f, 11f, -7f, -7f], y);
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(9105);
        foreach (var g in Convolutions)
        {
            var (x, w, bias) = Operands(random, g.InputLength, g.M * g.PatchLength, g.M);
            var scratch = new float[Kernels.Conv3DF32ScratchLength(g)];
            var (scalar, vector) = (new float[g.OutputLength], new float[g.OutputLength]);
            Kernels.Conv3DF32(x, g, w, bias, -0.5f, 0.75f, scratch, scalar, SimdLevel.Scalar);
            Kernels.Conv3DF32(x, g, w, bias, -0.5f, 0.75f, scratch, vector, simd);
            Assert.Equal(Bits(scalar), Bits(vector));
        }

        foreach (var g in TransposedConvolutions)
        {
            var (x, w, bias) = Operands(random, g.InputLength, g.C * g.GroupOutputChannels * g.Taps, g.M);
            var scratch = new float[Kernels.ConvTranspose3DF32ScratchLength(g)];
            var (scalar, vector) = (new float[g.OutputLength], new float[g.OutputLength]);
            Kernels.ConvTranspose3DF32(x, g, w, bias, scratch, scalar, SimdLevel.Scalar);
            Kernels.ConvTranspose3DF32(x, g, w, bias, scratch, vector, simd);
            Assert.Equal(Bits(scalar), Bits(vector));
        }

        foreach (var g in Pools)
        {
            var x = Enumerable.Range(0, g.InputLength).Select(_ => (float)random.NextDouble()).ToArray();
            foreach (bool average in new[] { false, true })
            {
                var (scalar, vector) = (new float[g.OutputLength], new float[g.OutputLength]);
                Pool(x, g, average, countIncludePad: true, scalar, SimdLevel.Scalar);
                Pool(x, g, average, countIncludePad: true, vector, simd);
                Assert.Equal(Bits(scalar), Bits(vector));
            }
        }

        foreach (int inner in new[] { 1, 3, 8, 17, 64, 133 })
        {
            int outer = 2, input = 5, output = 7, taps = 4;
            var x = Enumerable.Range(0, outer * input * inner).Select(_ => (float)random.NextDouble()).ToArray();
            var indices = Enumerable.Range(0, output * taps).Select(k => k == 8 ? -1 : random.Next(input)).ToArray();
            var weights = Enumerable.Range(0, output * taps).Select(_ => (float)(random.NextDouble() - 0.25)).ToArray();
            var (scalar, vector) = (new float[outer * output * inner], new float[outer * output * inner]);
            Kernels.ResizeAxisF32Core(x, outer, input, inner, output, taps, indices, weights, 3.5f, scalar, SimdLevel.Scalar);
            Kernels.ResizeAxisF32Core(x, outer, input, inner, output, taps, indices, weights, 3.5f, vector, simd);
            Assert.Equal(Bits(scalar), Bits(vector));
        }
    }

    [Fact]
    public void A_geometry_that_breaks_its_rules_is_refused()
    {
        var bad = Convolutions[0] with { Group = 2 };
        Assert.Throws<ArgumentException>(() => Kernels.Conv3DF32(new float[bad.InputLength], bad, new float[bad.M * bad.PatchLength], default, 0, 1, new float[1 << 16], new float[bad.OutputLength], SimdLevel.Scalar));
        var reach = Convolutions[0] with { W = new AxisGeometry(2, 1, int.MaxValue, 1, 0, 0, 1) };
        Assert.False(reach.IsValid);
    }

    private static void Pool(float[] x, in VolumeGeometry g, bool average, bool countIncludePad, float[] y, SimdLevel level)
    {
        if (average)
        {
            Kernels.AveragePool3DF32(x, g, countIncludePad, y, level);
        }
        else
        {
            Kernels.MaxPool3DF32(x, g, y, level);
        }
    }

    private static (float[] X, float[] W, float[] Bias) Operands(Random random, int x, int w, int bias)
        => (Values(random, x), Values(random, w), Values(random, bias));

    private static float[] Values(Random random, int length) => Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
