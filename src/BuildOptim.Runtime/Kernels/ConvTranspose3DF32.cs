namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>Floats of scratch <see cref="ConvTranspose3DF32"/> needs: one column of the product, D · H · W.</summary>
    internal static int ConvTranspose3DF32ScratchLength(in VolumeGeometry g) => g.InputPlane;

    /// <summary>
    /// 3-D transposed convolution of one NCDHW sample, as ONNX Runtime computes it (GEMM, then col2im, then bias): for each
    /// output channel m and tap (kd, kh, kw) in order, the column <c>col[id, ih, iw] = Σ_c w[c, m, kd, kh, kw] · x[c, id, ih, iw]</c>
    /// (c ascending over m's group) is added into <c>y[m, id·sd − pd + kd·dd, ih·sh − ph + kh·dh, iw·sw − pw + kw·dw]</c> where
    /// that lies in the output; then <c>bias[m]</c> is added to every output of channel m.
    /// </summary>
    /// <param name="x">Input [C, D, H, W].</param>
    /// <param name="g">Geometry: the axes' Input the input, their Output the output; the begin pads shift.</param>
    /// <param name="weights">Weights [C, M/G, KD, KH, KW].</param>
    /// <param name="bias">Bias [M], or empty for none.</param>
    /// <param name="scratch">At least <see cref="ConvTranspose3DF32ScratchLength"/> floats; overwritten.</param>
    /// <param name="y">Output [M, OD, OH, OW].</param>
    /// <param name="maxLevel">The widest vector path; every tap is one rounded multiply then one rounded add, so every width
    /// agrees with the scalar twin bit for bit.</param>
    internal static void ConvTranspose3DF32(ReadOnlySpan<float> x, in VolumeGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        if (!g.IsValid)
        {
            ThrowShape($"Invalid 3-D transposed convolution geometry {g}.");
        }

        if (x.Length != g.InputLength || weights.Length != (long)g.C * g.GroupOutputChannels * g.Taps || (bias.Length != g.M && !bias.IsEmpty)
            || y.Length != g.OutputLength || scratch.Length < ConvTranspose3DF32ScratchLength(g))
        {
            ThrowShape($"ConvTranspose {g} got input {x.Length}, weights {weights.Length}, bias {bias.Length}, scratch {scratch.Length}, output {y.Length}.");
        }

        ConvTranspose3DF32Core(x, g, weights, bias, scratch, y, maxLevel);
    }

    /// <summary><see cref="ConvTranspose3DF32"/> with its operands checked by the caller (<see cref="PlanRunner"/>, once, at load).</summary>
    internal static void ConvTranspose3DF32Core(ReadOnlySpan<float> x, in VolumeGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        var (d, h, w) = (g.D, g.H, g.W);
        int plane = g.InputPlane, outPlane = g.OutputPlane;
        int cg = g.GroupInputChannels, mg = g.GroupOutputChannels, taps = g.Taps;
        var col = scratch[..plane];
        y.Clear();
        for (int m = 0; m < g.M; m++)
        {
            int group = m / mg, ml = m % mg;
            var ym = y.Slice(m * outPlane, outPlane);
            for (int kd = 0; kd < d.Kernel; kd++)
            {
                int od0 = (kd * d.Dilation) - d.PadBegin;
                var (idLo, idHi) = InBoundsRange(od0, d.Stride, d.Output, d.Input);
                for (int kh = 0; kh < h.Kernel; kh++)
                {
                    int oh0 = (kh * h.Dilation) - h.PadBegin;
                    var (ihLo, ihHi) = InBoundsRange(oh0, h.Stride, h.Output, h.Input);
                    for (int kw = 0; kw < w.Kernel; kw++)
                    {
                        int ow0 = (kw * w.Dilation) - w.PadBegin;
                        var (iwLo, iwHi) = InBoundsRange(ow0, w.Stride, w.Output, w.Input);
                        if (idLo == idHi || ihLo == ihHi || iwLo == iwHi)
                        {
                            continue;
                        }

                        int tap = (((kd * h.Kernel) + kh) * w.Kernel) + kw;
                        col.Clear();
                        for (int cl = 0; cl < cg; cl++)
                        {
                            int c = (group * cg) + cl;
                            AxpyRowF32(weights[(((c * mg) + ml) * taps) + tap], x.Slice(c * plane, plane), col, maxLevel);
                        }

                        for (int id = idLo; id < idHi; id++)
                        {
                            int od = od0 + (id * d.Stride);
                            for (int ih = ihLo; ih < ihHi; ih++)
                            {
                                var yRow = ym.Slice(((od * h.Output) + oh0 + (ih * h.Stride)) * w.Output, w.Output);
                                var colRow = col.Slice(((id * h.Input) + ih) * w.Input, w.Input);
                                if (w.Stride == 1)
                                {
                                    AddRowF32(colRow[iwLo..iwHi], yRow.Slice(ow0 + iwLo, iwHi - iwLo), maxLevel);
                                }
                                else
                                {
                                    for (int iw = iwLo; iw < iwHi; iw++)
                                    {
                                        yRow[ow0 + (iw * w.Stride)] += colRow[iw];
                                    }
                                }
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
