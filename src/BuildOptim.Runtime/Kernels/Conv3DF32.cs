namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Floats of scratch <see cref="Conv3DF32"/> needs: the vol2col matrix of one block of output positions,
    /// <c>(C / Group) · KD · KH · KW · B</c> (none for 1×1×1 stride-1 unpadded convolutions, which read their input
    /// directly), and the matrix product's packed strip, <c>16 · ((C / Group) · KD · KH · KW + M / Group)</c>; 0 for depthwise.
    /// B is a multiple of 16 whose block stays within about 256 KiB, or all OD · OH · OW positions if fewer.
    /// </summary>
    internal static int Conv3DF32ScratchLength(in VolumeGeometry g)
        => g.IsDepthwise ? 0 : (IsPointwise(g) ? 0 : g.PatchLength * Conv3DF32BlockPositions(g)) + (16 * (g.PatchLength + g.GroupOutputChannels));

    private static int Conv3DF32BlockPositions(in VolumeGeometry g)
        => Math.Min(g.OutputPlane, Math.Max(16, ConvF32BlockBytes / (4 * Math.Max(1, g.PatchLength)) / 16 * 16));

    private static bool IsPointwise(in VolumeGeometry g)
        => g.Taps == 1 && Unit(g.D) && Unit(g.H) && Unit(g.W);

    private static bool Unit(in AxisGeometry a) => a.Stride == 1 && a.PadBegin == 0 && a.Output == a.Input;

    /// <summary>
    /// 3-D convolution of one NCDHW sample with zero padding:
    /// <c>y[m, od, oh, ow] = clamp(bias[m] + Σ_{c, kd, kh, kw} w[m, c, kd, kh, kw] · x[g·C/G + c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw])</c>
    /// with c over the C/G input channels of output channel m's group g, and out-of-range x read as 0.
    /// </summary>
    /// <param name="x">Input [C, D, H, W].</param>
    /// <param name="g">Geometry; the axes' Output fix the trailing padding.</param>
    /// <param name="weights">Weights [M, C/G, KD, KH, KW].</param>
    /// <param name="bias">Bias [M], or empty for none.</param>
    /// <param name="clampMin">Lower clamp (−∞ for none).</param>
    /// <param name="clampMax">Upper clamp (+∞ for none).</param>
    /// <param name="scratch">At least <see cref="Conv3DF32ScratchLength"/> floats; overwritten.</param>
    /// <param name="y">Output [M, OD, OH, OW].</param>
    /// <param name="maxLevel">The widest vector path.</param>
    /// <remarks>
    /// Depthwise convolutions run a direct loop, output row by output row: the bias, then one tap at a time in (kd, kh, kw)
    /// order (padded taps skipped), a rounded multiply and a rounded add each. The others build each group's vol2col matrix
    /// [C/G·KD·KH·KW, OD·OH·OW] a block of positions at a time and multiply the group's weights by it with
    /// <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, int, Span{float}, SimdLevel)"/>
    /// (fused multiply-adds in (c, kd, kh, kw) order). Either way every vector width equals the scalar twin bit for bit.
    /// </remarks>
    internal static void Conv3DF32(ReadOnlySpan<float> x, in VolumeGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        if (!g.IsValid)
        {
            ThrowShape($"Invalid 3-D convolution geometry {g}.");
        }

        if (x.Length != g.InputLength || weights.Length != (long)g.M * g.PatchLength || (bias.Length != g.M && !bias.IsEmpty) || y.Length != g.OutputLength
            || scratch.Length < Conv3DF32ScratchLength(g))
        {
            ThrowShape($"Conv {g} got input {x.Length}, weights {weights.Length}, bias {bias.Length}, scratch {scratch.Length}, output {y.Length}.");
        }

        if (!(clampMin <= clampMax))
        {
            ThrowEmptyClampRange();
        }

        Conv3DF32Core(x, g, weights, bias, clampMin, clampMax, scratch, y, maxLevel);
    }

    /// <summary><see cref="Conv3DF32"/> with its operands checked by the caller (<see cref="PlanRunner"/>, once, at load).</summary>
    internal static void Conv3DF32Core(ReadOnlySpan<float> x, in VolumeGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> scratch, Span<float> y, SimdLevel maxLevel)
    {
        if (g.IsDepthwise)
        {
            ConvDepthwise3DF32(x, g, weights, bias, clampMin, clampMax, y, maxLevel);
            return;
        }

        int positions = g.OutputPlane;
        int patch = g.PatchLength;
        int groupInput = g.GroupInputChannels * g.InputPlane;
        int groupOutputs = g.GroupOutputChannels;
        bool pointwise = IsPointwise(g);
        int block = Conv3DF32BlockPositions(g);
        var panel = scratch[..(16 * (patch + groupOutputs))];
        var columns = scratch.Slice(panel.Length, pointwise ? 0 : patch * block);
        for (int group = 0; group < g.Group; group++)
        {
            var xg = x.Slice(group * groupInput, groupInput);
            var wg = weights.Slice(group * groupOutputs * patch, groupOutputs * patch);
            var bg = bias.IsEmpty ? default : bias.Slice(group * groupOutputs, groupOutputs);
            var yg = y.Slice(group * groupOutputs * positions, groupOutputs * positions);
            if (pointwise)
            {
                GemmF32(wg, xg, bg, groupOutputs, patch, positions, clampMin, clampMax, yg, positions, panel, maxLevel);
                continue;
            }

            for (int p0 = 0; p0 < positions; p0 += block)
            {
                int count = Math.Min(block, positions - p0);
                var vol2col = columns[..(patch * count)];
                for (int k = 0; k < patch; k++)
                {
                    Vol2ColRow(xg, g, k, p0, vol2col.Slice(k * count, count));
                }

                GemmF32(wg, vol2col, bg, groupOutputs, patch, count, clampMin, clampMax, yg[p0..], positions, panel, maxLevel);
            }
        }
    }

    /// <summary>
    /// Positions [p0, p0 + row.Length) of row k = ((c·KD + kd)·KH + kh)·KW + kw of one group's vol2col matrix:
    /// <c>row[(od·OH + oh)·OW + ow − p0] = x[c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw]</c>, or 0 outside x.
    /// </summary>
    private static void Vol2ColRow(ReadOnlySpan<float> x, in VolumeGeometry g, int k, int p0, Span<float> row)
    {
        var (d, h, w) = (g.D, g.H, g.W);
        int kw = k % w.Kernel;
        int kh = k / w.Kernel % h.Kernel;
        int kd = k / (w.Kernel * h.Kernel) % d.Kernel;
        int c = k / g.Taps;
        var volume = x.Slice(c * g.InputPlane, g.InputPlane);
        int iw0 = (kw * w.Dilation) - w.PadBegin;
        var (lo, hi) = InBoundsRange(iw0, w.Stride, w.Input, w.Output);
        int end = p0 + row.Length;
        for (int line = p0 / w.Output; line * w.Output < end; line++)
        {
            // Output row `line` = od·OH + oh; its columns [first, last) fall in the block.
            int first = Math.Max(p0 - (line * w.Output), 0);
            int last = Math.Min(end - (line * w.Output), w.Output);
            var target = row.Slice((line * w.Output) + first - p0, last - first);
            int od = line / h.Output, oh = line % h.Output;
            int id = (od * d.Stride) - d.PadBegin + (kd * d.Dilation);
            int ih = (oh * h.Stride) - h.PadBegin + (kh * h.Dilation);
            int from = Math.Clamp(lo, first, last);
            int to = Math.Clamp(hi, from, last);
            if ((uint)id >= (uint)d.Input || (uint)ih >= (uint)h.Input || from == to)
            {
                target.Clear();
                continue;
            }

            target[..(from - first)].Clear();
            target[(to - first)..].Clear();
            var source = volume.Slice(((id * h.Input) + ih) * w.Input, w.Input);
            if (w.Stride == 1)
            {
                source.Slice(from + iw0, to - from).CopyTo(target[(from - first)..(to - first)]);
                continue;
            }

            for (int ow = from; ow < to; ow++)
            {
                target[ow - first] = source[(ow * w.Stride) + iw0];
            }
        }
    }

    /// <summary>
    /// Depthwise: <c>y[c, od, oh, ow] = clamp(bias[c] + Σ_{kd, kh, kw in bounds} w[c, kd, kh, kw] · x[c, id, ih, iw])</c>, one
    /// output row at a time, one tap at a time in (kd, kh, kw) order (a vector axpy when the stride is 1).
    /// </summary>
    private static void ConvDepthwise3DF32(ReadOnlySpan<float> x, in VolumeGeometry g, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, float clampMin, float clampMax, Span<float> y, SimdLevel level)
    {
        var (d, h, w) = (g.D, g.H, g.W);
        int taps = g.Taps;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * g.InputPlane, g.InputPlane);
            var wc = weights.Slice(c * taps, taps);
            float b = bias.IsEmpty ? 0 : bias[c];
            for (int od = 0; od < d.Output; od++)
            {
                int id0 = (od * d.Stride) - d.PadBegin;
                for (int oh = 0; oh < h.Output; oh++)
                {
                    int ih0 = (oh * h.Stride) - h.PadBegin;
                    var yRow = y.Slice((((c * d.Output) + od) * h.Output + oh) * w.Output, w.Output);
                    yRow.Fill(b);
                    for (int kd = 0; kd < d.Kernel; kd++)
                    {
                        int id = id0 + (kd * d.Dilation);
                        if ((uint)id >= (uint)d.Input)
                        {
                            continue;
                        }

                        for (int kh = 0; kh < h.Kernel; kh++)
                        {
                            int ih = ih0 + (kh * h.Dilation);
                            if ((uint)ih >= (uint)h.Input)
                            {
                                continue;
                            }

                            var xRow = xc.Slice(((id * h.Input) + ih) * w.Input, w.Input);
                            for (int kw = 0; kw < w.Kernel; kw++)
                            {
                                float weight = wc[(((kd * h.Kernel) + kh) * w.Kernel) + kw];
                                int iw0 = (kw * w.Dilation) - w.PadBegin;
                                var (lo, hi) = InBoundsRange(iw0, w.Stride, w.Input, w.Output);
                                if (lo == hi)
                                {
                                    continue;
                                }

                                if (w.Stride == 1)
                                {
                                    AxpyRowF32(weight, xRow.Slice(lo + iw0, hi - lo), yRow[lo..hi], level);
                                }
                                else
                                {
                                    for (int ow = lo; ow < hi; ow++)
                                    {
                                        yRow[ow] += weight * xRow[(ow * w.Stride) + iw0];
                                    }
                                }
                            }
                        }
                    }

                    ClampRowF32(yRow, clampMin, clampMax, level);
                }
            }
        }
    }
}
