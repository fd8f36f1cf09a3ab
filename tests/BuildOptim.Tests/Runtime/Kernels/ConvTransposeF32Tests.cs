using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary><see cref="Kernels.ConvTransposeF32"/>: against a direct scatter in double, every width bit-identical to the scalar twin.</summary>
public class ConvTransposeF32Tests
{
    // C, H, W, M, KH, KW, sh, sw, pt, pl, dh, dw, group, OH, OW (OH/OW from the span minus pads, plus extra).
    private static readonly ConvGeometry[] Geometries =
    [
        Make(1, 3, 3, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0),
        Make(2, 3, 5, 4, 3, 3, 3, 2, 1, 2, 1, 1, 2, 1, 1, 0, 0),
        Make(3, 4, 17, 3, 2, 3, 2, 1, 0, 1, 2, 2, 1, 0, 1, 1, 0),
        Make(4, 1, 9, 6, 1, 5, 1, 2, 0, 0, 1, 1, 2, 0, 0, 0, 1),
        Make(2, 6, 6, 2, 4, 4, 2, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1),
        Make(3, 2, 19, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0),
    ];

    private static ConvGeometry Make(int c, int h, int w, int m, int kh, int kw, int sh, int sw, int pt, int pl, int dh, int dw, int group, int pb, int pr, int extraH, int extraW)
        => new(c, h, w, m, kh, kw, sh, sw, pt, pl, dh, dw, group,
            (sh * (h - 1)) + (dh * (kh - 1)) + 1 - pt - pb + extraH, (sw * (w - 1)) + (dw * (kw - 1)) + 1 - pl - pr + extraW);

    [Fact]
    public void Each_input_scatters_its_taps_then_the_bias_is_added()
    {
        var random = new Random(8001);
        foreach (var g in Geometries)
        {
            var (x, w, bias) = Operands(random, g);
            var y = new float[g.OutputLength];
            Kernels.ConvTransposeF32(x, g, w, bias, new float[Kernels.ConvTransposeF32ScratchLength(g)], y, SimdLevel.Vector512);
            var expected = new double[g.OutputLength];
            int cg = g.C / g.Group, mg = g.M / g.Group;
            for (int c = 0; c < g.C; c++)
            {
                for (int ml = 0; ml < mg; ml++)
                {
                    int m = (c / cg * mg) + ml;
                    for (int ih = 0; ih < g.H; ih++)
                    {
                        for (int iw = 0; iw < g.W; iw++)
                        {
                            for (int kh = 0; kh < g.KH; kh++)
                            {
                                for (int kw = 0; kw < g.KW; kw++)
                                {
                                    int oh = (ih * g.StrideH) - g.PadTop + (kh * g.DilationH), ow = (iw * g.StrideW) - g.PadLeft + (kw * g.DilationW);
                                    if (oh >= 0 && oh < g.OH && ow >= 0 && ow < g.OW)
                                    {
                                        expected[(((m * g.OH) + oh) * g.OW) + ow] += (double)w[(((((c * mg) + ml) * g.KH) + kh) * g.KW) + kw] * x[(((c * g.H) + ih) * g.W) + iw];
                                    }
                                }
                            }
                        }
                    }
                }
            }

            for (int i = 0; i < y.Length; i++)
            {
                double e = expected[i] + bias[i / (g.OH * g.OW)];
                Assert.True(Math.Abs(y[i] - e) <= 1e-4 * (1 + Math.Abs(e)), $"{g} [{i}]: {y[i]}, expected {e}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(8002);
        foreach (var g in Geometries)
        {
            var (x, w, bias) = Operands(random, g);
            var scratch = new float[Kernels.ConvTransposeF32ScratchLength(g)];
            var scalar = new float[g.OutputLength];
            var vector = new float[g.OutputLength];
            Kernels.ConvTransposeF32(x, g, w, bias, scratch, scalar, SimdLevel.Scalar);
            Kernels.ConvTransposeF32(x, g, w, bias, scratch, vector, simd);
            AssertBitIdentical(scalar, vector, $"{level} {g}");
        }
    }

    [Fact]
    public void Wrong_lengths_are_rejected()
    {
        var g = Geometries[1];
        Assert.ThrowsAny<ArgumentException>(() => Kernels.ConvTransposeF32(new float[g.InputLength - 1], g, new float[g.M * g.PatchLength], [], new float[g.H * g.W], new float[g.OutputLength], SimdLevel.Scalar));
    }

    private static (float[] X, float[] W, float[] Bias) Operands(Random random, ConvGeometry g)
        => (RandomFloats(random, g.InputLength, -2, 2), RandomFloats(random, g.M * g.PatchLength, -1, 1), RandomFloats(random, g.M, -1, 1));
}
