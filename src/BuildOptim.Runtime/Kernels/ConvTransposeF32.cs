namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>Floats of scratch <see cref="ConvTransposeF32"/> needs: one column of the product, H · W.</summary>
    internal static int ConvTransposeF32ScratchLength(in ConvGeometry g) => g.H * g.W;

    /// <summary>
    /// 2-D transposed convolution of one NCHW sample, as ONNX Runtime computes it (GEMM then col2im then bias):
    /// for each output channel m, tap (kh, kw) in order, the column <c>col[ih, iw] = Σ_c w[c, m, kh, kw] · x[c, ih, iw]</c>
    /// (c ascending over m's group) is added into <c>y[m, ih·sh − pt + kh·dh, iw·sw − pl + kw·dw]</c> where that lies in the
    /// output; then <c>bias[m]</c> is added to every output of channel m.
    /// </summary>
    /// <param name="x">Input [C, H, W].</param>
    /// <param name="g">Geometry: C, H, W the input; M, OH, OW the output; the pads only shift (the output size is OH, OW).</param>
    /// <param name="weights">Weights [C, M/G, KH, KW].</param>
    /// <param name="bias">Bias [M], or empty for none.</param>
    /// <param name="scratch">At least <see cref="ConvTransposeF32ScratchLength"/> floats; overwritten.</param>
    /// <param name="y">Output [M, OH, OW].</param>
    /// <param name="maxLevel">The widest vector path; each is one rounded multiply then one rounded add per tap, so every
    /// width agrees with the scalar twin bit for bit.</param>
    internal static void ConvTransposeF32(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        ValidateConvGeometry(g);
        if (x.Length != g.InputLength || weights.Length != g.M * g.PatchLength || (bias.Length != g.M && !bias.IsEmpty) || y.Length != g.OutputLength
            || scratch.Length < ConvTransposeF32ScratchLength(g))
        {
            ThrowShape($"ConvTranspose {g} got input {x.Length}, weights {weights.Length}, bias {bias.Length}, scratch {scratch.Length}, output {y.Length}.");
        }

        ConvTransposeF32Core(x, g, weights, bias, scratch, y, maxLevel);
    }

    /// <summary><see cref="ConvTransposeF32"/> with its operands checked by the caller (<see cref="PlanRunner"/>, once, at load).</summary>
    internal static void ConvTransposeF32Core(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        int plane = g.H * g.W, outPlane = g.OH * g.OW;
        int cg = g.GroupInputChannels, mg = g.GroupOutputChannels, taps = g.KH * g.KW;
        var col = scratch[..plane];
        y.Clear();
        for (int m = 0; m < g.M; m++)
        {
            int group = m / mg, ml = m % mg;
            var ym = y.Slice(m * outPlane, outPlane);
            for (int kh = 0; kh < g.KH; kh++)
            {
                int oh0 = (kh * g.DilationH) - g.PadTop;
                var (ihLo, ihHi) = InBoundsRange(oh0, g.StrideH, g.OH, g.H);
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int ow0 = (kw * g.DilationW) - g.PadLeft;
                    var (iwLo, iwHi) = InBoundsRange(ow0, g.StrideW, g.OW, g.W);
                    if (ihLo == ihHi || iwLo == iwHi)
                    {
                        continue;
                    }

                    col.Clear();
                    for (int cl = 0; cl < cg; cl++)
                    {
                        int c = (group * cg) + cl;
                        AxpyRowF32(weights[(((c * mg) + ml) * taps) + (kh * g.KW) + kw], x.Slice(c * plane, plane), col, maxLevel);
                    }

                    for (int ih = ihLo; ih < ihHi; ih++)
                    {
                        var yRow = ym.Slice((oh0 + (ih * g.StrideH)) * g.OW, g.OW);
                        var colRow = col.Slice(ih * g.W, g.W);
                        if (g.StrideW == 1)
                        {
                            AddRowF32(colRow[iwLo..iwHi], yRow.Slice(ow0 + iwLo, iwHi - iwLo), maxLevel);
                        }
                        else
                        {
                            for (int iw = iwLo; iw < iwHi; iw++)
                            {
                                yRow[ow0 + (iw * g.StrideW)] += colRow[iw];
                            }
                        }
                    }
                }
            }

            if (!bias.IsEmpty)
            {
                float b = bias[m];
                for (int i = 0; i < ym.Length; i++)
                {
                    ym[i] += b;
                }
            }
        }
    }
}
