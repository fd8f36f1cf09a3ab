namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Floats of scratch <see cref="ConvF32(ReadOnlySpan{float}, in ConvGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, Span{float}, Span{float})"/>
    /// needs: the im2col matrix of one block of pixels, <c>(C / Group) · KH · KW · B</c> (none for 1×1 stride-1 unpadded
    /// convolutions, which read their input directly), one packed 16-column strip of it and 16 outputs of each of a group's
    /// channels (the last strip's), <c>16 · ((C / Group) · KH · KW + M / Group)</c>; 0 for depthwise. B is a multiple of 16
    /// whose block stays within about 256 KiB, or all OH · OW pixels if fewer.
    /// </summary>
    internal static int ConvF32ScratchLength(in ConvGeometry g)
        => g.IsDepthwise ? 0 : (IsPointwise(g) ? 0 : g.PatchLength * ConvF32BlockPixels(g)) + ConvF32PanelLength(g);

    /// <summary>Floats of the packed strip the matrix product reads (see <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, int, Span{float}, SimdLevel)"/>).</summary>
    private static int ConvF32PanelLength(in ConvGeometry g) => 16 * (g.PatchLength + g.GroupOutputChannels);

    /// <summary>Bytes of im2col matrix per block of pixels (half of a 512 KiB L2).</summary>
    private const int ConvF32BlockBytes = 256 * 1024;

    /// <summary>Pixels per im2col block: a multiple of 16 whose rows of the patch fit <see cref="ConvF32BlockBytes"/>, at most all of them.</summary>
    private static int ConvF32BlockPixels(in ConvGeometry g)
        => Math.Min(g.OH * g.OW, Math.Max(16, ConvF32BlockBytes / (4 * g.PatchLength) / 16 * 16));

    /// <summary>
    /// 2-D convolution of one NCHW sample with zero padding:
    /// <c>y[m, oh, ow] = clamp(bias[m] + Σ_{c, kh, kw} w[m, c, kh, kw] · x[g·C/G + c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw], clampMin, clampMax)</c>
    /// with c over the C/G input channels of output channel m's group g = m / (M/G), and out-of-range x read as 0.
    /// </summary>
    /// <param name="x">Input [C, H, W].</param>
    /// <param name="g">Geometry; OH and OW fix the bottom/right padding.</param>
    /// <param name="weights">Weights [M, C/G, KH, KW].</param>
    /// <param name="bias">Bias [M], or empty for none.</param>
    /// <param name="clampMin">Lower clamp (a fused Relu passes 0; no clamp passes −∞).</param>
    /// <param name="clampMax">Upper clamp (a fused Relu6/Clip passes 6; no clamp passes +∞).</param>
    /// <param name="scratch">At least <see cref="ConvF32ScratchLength"/> floats; contents are overwritten.</param>
    /// <param name="y">Output [M, OH, OW].</param>
    /// <remarks>
    /// Depthwise convolutions (G = C = M) run a direct loop; the others build each group's im2col matrix [C/G·KH·KW, OH·OW]
    /// a block of pixels at a time (or use x itself for 1×1 stride-1 unpadded) and multiply it by the group's weights,
    /// 16 columns at a time packed contiguously. Either way each output sums from its bias, tap by tap in (c, kh, kw)
    /// order, one rounded multiply and one rounded add each (the direct path skips padded taps, the im2col path adds
    /// w · 0), so every vector width agrees with the scalar path bit for bit.
    /// </remarks>
    internal static void ConvF32(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> scratch, Span<float> y)
        => ConvF32(x, g, weights, bias, clampMin, clampMax, scratch, y, SimdLevel.Vector512);

    /// <summary><see cref="ConvF32(ReadOnlySpan{float}, in ConvGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, Span{float}, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvF32(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        ValidateConvGeometry(g);
        if (x.Length != g.InputLength || weights.Length != g.M * g.PatchLength || (bias.Length != g.M && !bias.IsEmpty) || y.Length != g.OutputLength)
        {
            ThrowShape($"Conv {g} got input {x.Length}, weights {weights.Length}, bias {bias.Length}, output {y.Length}.");
        }

        if (scratch.Length < ConvF32ScratchLength(g))
        {
            ThrowShape($"Conv {g} needs {ConvF32ScratchLength(g)} floats of scratch; got {scratch.Length}.");
        }

        if (!(clampMin <= clampMax))
        {
            ThrowEmptyClampRange();
        }

        ConvF32Core(x, g, weights, bias, clampMin, clampMax, scratch, y, maxLevel);
    }

    /// <summary>The convolution with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void ConvF32Core(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        if (g.IsDepthwise)
        {
            ConvDepthwiseF32(x, g, weights, bias, clampMin, clampMax, y, maxLevel);
            return;
        }

        int pixels = g.OH * g.OW;
        int patch = g.PatchLength;
        int groupInput = g.GroupInputChannels * g.H * g.W;
        int groupOutputs = g.GroupOutputChannels;
        bool pointwise = IsPointwise(g);
        int block = ConvF32BlockPixels(g);
        var panel = scratch[..ConvF32PanelLength(g)];
        var columns = scratch.Slice(panel.Length, pointwise ? 0 : patch * block);
        for (int group = 0; group < g.Group; group++)
        {
            var xg = x.Slice(group * groupInput, groupInput);
            var wg = weights.Slice(group * groupOutputs * patch, groupOutputs * patch);
            var bg = bias.IsEmpty ? default : bias.Slice(group * groupOutputs, groupOutputs);
            var yg = y.Slice(group * groupOutputs * pixels, groupOutputs * pixels);
            if (pointwise)
            {
                GemmF32(wg, xg, bg, groupOutputs, patch, pixels, clampMin, clampMax, yg, pixels, panel, maxLevel);
                continue;
            }

            // The im2col matrix a block of pixels at a time (it stays in L2), each block's columns of y written in place.
            for (int p0 = 0; p0 < pixels; p0 += block)
            {
                int count = Math.Min(block, pixels - p0);
                var im2col = columns[..(patch * count)];
                for (int k = 0; k < patch; k++)
                {
                    Im2ColRow(xg, g, k, 0f, p0, im2col.Slice(k * count, count));
                }

                GemmF32(wg, im2col, bg, groupOutputs, patch, count, clampMin, clampMax, yg[p0..], pixels, panel, maxLevel);
            }
        }
    }

    /// <summary>
    /// Depthwise: <c>y[c, oh, ow] = clamp(bias[c] + Σ_{kh, kw in bounds} w[c, kh, kw] · x[c, ih, iw])</c>, row by row:
    /// each output row starts at the bias and takes one tap at a time in (kh, kw) order (a vector axpy when stride is 1).
    /// </summary>
    private static void ConvDepthwiseF32(ReadOnlySpan<float> x, in ConvGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> y, SimdLevel level)
    {
        int taps = g.KH * g.KW;
        int planeIn = g.H * g.W;
        int planeOut = g.OH * g.OW;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * planeIn, planeIn);
            var wc = weights.Slice(c * taps, taps);
            float b = bias.IsEmpty ? 0 : bias[c];
            for (int oh = 0; oh < g.OH; oh++)
            {
                var yRow = y.Slice((c * planeOut) + (oh * g.OW), g.OW);
                yRow.Fill(b);
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
                    if ((uint)ih >= (uint)g.H)
                    {
                        continue;
                    }

                    var xRow = xc.Slice(ih * g.W, g.W);
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        float w = wc[(kh * g.KW) + kw];
                        int iw0 = (kw * g.DilationW) - g.PadLeft;
                        var (lo, hi) = InBoundsRange(iw0, g.StrideW, g.W, g.OW);
                        if (lo == hi)
                        {
                            continue;
                        }

                        if (g.StrideW == 1)
                        {
                            AxpyRowF32(w, xRow.Slice(lo + iw0, hi - lo), yRow[lo..hi], level);
                        }
                        else
                        {
                            for (int ow = lo; ow < hi; ow++)
                            {
                                yRow[ow] += w * xRow[(ow * g.StrideW) + iw0];
                            }
                        }
                    }
                }

                ClampRowF32(yRow, clampMin, clampMax, level);
            }
        }
    }
}
