using System.Runtime.InteropServices;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

/// <summary>Geometry builders (ONNX output-shape rules), seeded inputs and comparison helpers for the CNN kernel tests.</summary>
internal static class CnnTestSupport
{
    /// <summary>A convolution geometry with ONNX's output size: ⌊(H + pt + pb − ((KH − 1)·dh + 1)) / sh⌋ + 1.</summary>
    public static ConvGeometry Conv(
        int c, int h, int w, int m, int kh, int kw,
        int strideH = 1, int strideW = 1, int padTop = 0, int padLeft = 0, int padBottom = 0, int padRight = 0,
        int dilationH = 1, int dilationW = 1, int group = 1)
    {
        int oh = ((h + padTop + padBottom - (((kh - 1) * dilationH) + 1)) / strideH) + 1;
        int ow = ((w + padLeft + padRight - (((kw - 1) * dilationW) + 1)) / strideW) + 1;
        return new ConvGeometry(c, h, w, m, kh, kw, strideH, strideW, padTop, padLeft, dilationH, dilationW, group, oh, ow);
    }

    /// <summary>A pooling geometry with ONNX's output size, including ceil_mode (whose last window must start inside x or the begin pad).</summary>
    public static PoolGeometry Pool(
        int c, int h, int w, int kh, int kw,
        int strideH = 1, int strideW = 1, int padTop = 0, int padLeft = 0, int padBottom = 0, int padRight = 0,
        int dilationH = 1, int dilationW = 1, bool ceilMode = false)
    {
        int oh = PoolOutputSize(h, kh, strideH, padTop, padBottom, dilationH, ceilMode);
        int ow = PoolOutputSize(w, kw, strideW, padLeft, padRight, dilationW, ceilMode);
        return new PoolGeometry(c, h, w, kh, kw, strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, oh, ow);
    }

    public static int PoolOutputSize(int size, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceilMode)
    {
        int span = size + padBegin + padEnd - (((kernel - 1) * dilation) + 1);
        if (!ceilMode)
        {
            return (span / stride) + 1;
        }

        int output = ((span + stride - 1) / stride) + 1;
        return (output - 1) * stride >= size + padBegin ? output - 1 : output;
    }

    public static float[] RandomFloats(Random random, int length, float min = -1, float max = 1)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = min + ((float)random.NextDouble() * (max - min));
        }

        return values;
    }

    /// <summary>Double-precision convolution with zero padding, and the sum of |terms| per output (for a rounding tolerance).</summary>
    public static (double[] Value, double[] Magnitude) ConvReference(float[] x, ConvGeometry g, float[] w, float[]? bias)
    {
        var value = new double[g.OutputLength];
        var magnitude = new double[g.OutputLength];
        int cg = g.C / g.Group, mg = g.M / g.Group;
        for (int m = 0; m < g.M; m++)
        {
            int group = m / mg;
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++)
                {
                    double sum = bias?[m] ?? 0, abs = Math.Abs(sum);
                    for (int c = 0; c < cg; c++)
                    {
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
                                int iw = (ow * g.StrideW) - g.PadLeft + (kw * g.DilationW);
                                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W)
                                {
                                    continue;
                                }

                                double term = (double)w[(((((m * cg) + c) * g.KH) + kh) * g.KW) + kw] * x[((((group * cg) + c) * g.H) + ih) * g.W + iw];
                                sum += term;
                                abs += Math.Abs(term);
                            }
                        }
                    }

                    int at = (((m * g.OH) + oh) * g.OW) + ow;
                    value[at] = sum;
                    magnitude[at] = abs;
                }
            }
        }

        return (value, magnitude);
    }

    /// <summary>
    /// The exact int64 accumulator of a quantized convolution: bias + Σ w · code, padding reading <paramref name="zeroPoint"/>.
    /// </summary>
    public static long[] ConvAccumulatorReference(byte[] x, ConvGeometry g, byte zeroPoint, sbyte[] w, int[] bias)
    {
        var acc = new long[g.OutputLength];
        int cg = g.C / g.Group, mg = g.M / g.Group;
        for (int m = 0; m < g.M; m++)
        {
            int group = m / mg;
            for (int oh = 0; oh < g.OH; oh++)
            {
                for (int ow = 0; ow < g.OW; ow++)
                {
                    long sum = bias[m];
                    for (int c = 0; c < cg; c++)
                    {
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
                                int iw = (ow * g.StrideW) - g.PadLeft + (kw * g.DilationW);
                                bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                                int code = inside ? x[((((group * cg) + c) * g.H) + ih) * g.W + iw] : zeroPoint;
                                sum += (long)w[(((((m * cg) + c) * g.KH) + kh) * g.KW) + kw] * code;
                            }
                        }
                    }

                    acc[(((m * g.OH) + oh) * g.OW) + ow] = sum;
                }
            }
        }

        return acc;
    }

    /// <summary>The taps of one pooling window: those inside x, and how many lie inside the explicitly padded input.</summary>
    public static (List<int> Inside, int InPadded) PoolWindow(PoolGeometry g, int c, int oh, int ow)
    {
        var inside = new List<int>();
        int inPadded = 0;
        for (int kh = 0; kh < g.KH; kh++)
        {
            for (int kw = 0; kw < g.KW; kw++)
            {
                int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
                int iw = (ow * g.StrideW) - g.PadLeft + (kw * g.DilationW);
                if (ih >= -g.PadTop && ih < g.H + g.PadBottom && iw >= -g.PadLeft && iw < g.W + g.PadRight)
                {
                    inPadded++;
                }

                if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
                {
                    inside.Add((((c * g.H) + ih) * g.W) + iw);
                }
            }
        }

        return (inside, inPadded);
    }

    /// <summary>Quantization parameters as <c>QuantParams.FromRange</c> derives them (range widened to contain 0).</summary>
    public static (float Scale, int ZeroPoint) QuantParamsFor(double min, double max)
    {
        min = Math.Min(min, 0);
        max = Math.Max(max, 0);
        float scale = max > min ? (float)((max - min) / 255) : 1f;
        int zeroPoint = (int)Math.Clamp(Math.Round(-min / scale, MidpointRounding.ToEven), 0, 255);
        return (scale, zeroPoint);
    }

    public static byte Quantize(double real, float scale, int zeroPoint)
        => (byte)Math.Clamp(Math.Round(real / scale, MidpointRounding.ToEven) + zeroPoint, 0, 255);

    public static byte[] Quantize(float[] real, float scale, int zeroPoint) => Array.ConvertAll(real, v => Quantize(v, scale, zeroPoint));

    /// <summary>Asserts the two float arrays are identical bit for bit (so NaN payloads and signed zeros count).</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        var e = MemoryMarshal.Cast<float, int>(expected);
        var a = MemoryMarshal.Cast<float, int>(actual);
        for (int i = 0; i < e.Length; i++)
        {
            if (e[i] != a[i])
            {
                Assert.Fail($"{context}: element {i} is {actual[i]:R} (0x{a[i]:X8}), expected {expected[i]:R} (0x{e[i]:X8}).");
            }
        }
    }

    public static void AssertBytesEqual(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                Assert.Fail($"{context}: element {i} is {actual[i]}, expected {expected[i]}.");
            }
        }
    }

    /// <summary>|actual − expected| ≤ relative · magnitude + absolute, element by element.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, ReadOnlySpan<double> magnitude, double relative, double absolute, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = (relative * (magnitude.IsEmpty ? Math.Abs(expected[i]) : magnitude[i])) + absolute;
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
            {
                Assert.Fail($"{context}: element {i} is {actual[i]:R}, expected {expected[i]:R} ± {tolerance:G3}.");
            }
        }
    }

    /// <summary>Every code within <paramref name="codes"/> of the expected one.</summary>
    public static void AssertWithinCodes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, int codes, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (Math.Abs(expected[i] - actual[i]) > codes)
            {
                Assert.Fail($"{context}: element {i} is code {actual[i]}, expected {expected[i]} ± {codes}.");
            }
        }
    }

    /// <summary>Every SIMD level this machine runs, other than scalar (the twins are compared against <see cref="SimdLevel.Scalar"/>).</summary>
    public static IEnumerable<SimdLevel> VectorLevels
        => Enum.GetValues<SimdLevel>().Where(l => l != SimdLevel.Scalar && Simd.IsHardwareAccelerated(l));
}
