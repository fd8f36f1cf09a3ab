namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX MaxPool of one NCDHW sample: <c>y[c, od, oh, ow] = max x[c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw]</c>
    /// over the taps inside x (padding is ignored). IEEE <c>maximum</c>: NaN propagates. A window with no tap inside x gives −∞.
    /// </summary>
    internal static void MaxPool3DF32(ReadOnlySpan<float> x, in VolumeGeometry g, Span<float> y, SimdLevel maxLevel)
        => Pool3D<float, float, MaxPoolF32Op>(x, g, default, y, maxLevel);

    /// <summary>
    /// ONNX AveragePool of one NCDHW sample: the sum of the window's taps inside x divided by their count or, with
    /// <paramref name="countIncludePad"/>, by the number of taps inside the explicitly padded input (positions that
    /// ceil_mode adds beyond the pads are not counted).
    /// </summary>
    internal static void AveragePool3DF32(ReadOnlySpan<float> x, in VolumeGeometry g, bool countIncludePad, Span<float> y, SimdLevel maxLevel)
        => Pool3D<float, float, AveragePoolF32Op>(x, g, new AveragePoolF32Op(countIncludePad), y, maxLevel);

    /// <summary>
    /// Reduces every 3-D pooling window of every channel: <c>y[c, od, oh, ow] = Finish(⊕ x[c, id, ih, iw], inBounds, inPadded)</c>
    /// over the window's taps inside x; <c>inPadded</c> counts the taps inside [−pd, D + pd') × [−ph, H + ph') × [−pw, W + pw').
    /// </summary>
    /// <remarks>
    /// As <see cref="Pool2D"/>: for each output row (od, oh), the window's in-bounds input rows are combined column-wise into a
    /// stack buffer in (kd, kh) order (contiguous, vectorized), then each output combines its kw taps from the buffer in
    /// ascending kw; windows wider than <see cref="PoolColumnBufferLength"/> columns combine taps directly in (kd, kh, kw)
    /// order. The order is fixed per output, so every vector width gives the scalar result bit for bit.
    /// </remarks>
    private static void Pool3D<T, TAcc, TOp>(ReadOnlySpan<T> x, in VolumeGeometry g, TOp op, Span<T> y, SimdLevel level)
        where T : unmanaged
        where TAcc : unmanaged
        where TOp : struct, IPoolOp<T, TAcc>
    {
        if (!g.IsValid || g.M != g.C || g.Group != 1)
        {
            ThrowShape($"Invalid 3-D pooling geometry {g}.");
        }

        if (x.Length != g.InputLength || y.Length != g.OutputLength)
        {
            ThrowShape($"Pool {g} got input {x.Length} and output {y.Length}.");
        }

        var (d, h, w) = (g.D, g.H, g.W);
        int reach = ((w.Kernel - 1) * w.Dilation) + 1;
        bool direct = reach > PoolColumnBufferLength;
        Span<TAcc> buffer = stackalloc TAcc[direct ? 0 : PoolColumnBufferLength];
        int outputsPerChunk = direct ? 0 : ((PoolColumnBufferLength - reach) / w.Stride) + 1;
        int plane = h.Input * w.Input;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * g.InputPlane, g.InputPlane);
            for (int od = 0; od < d.Output; od++)
            {
                int id0 = (od * d.Stride) - d.PadBegin;
                var (kdLo, kdHi) = InBoundsRange(id0, d.Dilation, d.Input, d.Kernel);
                int depthInPadded = CountTaps(id0, d.Kernel, d.Dilation, -d.PadBegin, d.Input + d.PadEnd);
                for (int oh = 0; oh < h.Output; oh++)
                {
                    var yRow = y.Slice((((c * d.Output) + od) * h.Output + oh) * w.Output, w.Output);
                    int ih0 = (oh * h.Stride) - h.PadBegin;
                    var (khLo, khHi) = InBoundsRange(ih0, h.Dilation, h.Input, h.Kernel);
                    int rowsInBounds = (kdHi - kdLo) * (khHi - khLo);
                    int rowsInPadded = depthInPadded * CountTaps(ih0, h.Kernel, h.Dilation, -h.PadBegin, h.Input + h.PadEnd);
                    if (direct)
                    {
                        for (int ow = 0; ow < w.Output; ow++)
                        {
                            int iw0 = (ow * w.Stride) - w.PadBegin;
                            var (kwLo, kwHi) = InBoundsRange(iw0, w.Dilation, w.Input, w.Kernel);
                            var acc = op.Identity;
                            for (int kd = kdLo; kd < kdHi; kd++)
                            {
                                for (int kh = khLo; kh < khHi; kh++)
                                {
                                    var xRow = xc.Slice(((id0 + (kd * d.Dilation)) * plane) + ((ih0 + (kh * h.Dilation)) * w.Input), w.Input);
                                    for (int kw = kwLo; kw < kwHi; kw++)
                                    {
                                        acc = op.Combine(acc, op.Lift(xRow[iw0 + (kw * w.Dilation)]));
                                    }
                                }
                            }

                            yRow[ow] = op.Finish(acc, rowsInBounds * (kwHi - kwLo), rowsInPadded * CountTaps(iw0, w.Kernel, w.Dilation, -w.PadBegin, w.Input + w.PadEnd));
                        }

                        continue;
                    }

                    for (int ow0 = 0; ow0 < w.Output; ow0 += outputsPerChunk)
                    {
                        int ow1 = Math.Min(w.Output, ow0 + outputsPerChunk);
                        int columnStart = (ow0 * w.Stride) - w.PadBegin;
                        int columnEnd = ((ow1 - 1) * w.Stride) - w.PadBegin + reach;
                        var columns = buffer[..(columnEnd - columnStart)];
                        columns.Fill(op.Identity);
                        int inLo = Math.Max(columnStart, 0);
                        int inHi = Math.Min(columnEnd, w.Input);
                        if (inHi > inLo)
                        {
                            var target = columns.Slice(inLo - columnStart, inHi - inLo);
                            for (int kd = kdLo; kd < kdHi; kd++)
                            {
                                for (int kh = khLo; kh < khHi; kh++)
                                {
                                    int row = ((id0 + (kd * d.Dilation)) * plane) + ((ih0 + (kh * h.Dilation)) * w.Input);
                                    op.CombineRow(xc.Slice(row + inLo, inHi - inLo), target, level);
                                }
                            }
                        }

                        for (int ow = ow0; ow < ow1; ow++)
                        {
                            int first = (ow - ow0) * w.Stride;
                            var acc = op.Identity;
                            for (int kw = 0; kw < w.Kernel; kw++)
                            {
                                acc = op.Combine(acc, columns[first + (kw * w.Dilation)]);
                            }

                            int iw0 = (ow * w.Stride) - w.PadBegin;
                            int columnsInBounds = CountTaps(iw0, w.Kernel, w.Dilation, 0, w.Input);
                            int columnsInPadded = CountTaps(iw0, w.Kernel, w.Dilation, -w.PadBegin, w.Input + w.PadEnd);
                            yRow[ow] = op.Finish(acc, rowsInBounds * columnsInBounds, rowsInPadded * columnsInPadded);
                        }
                    }
                }
            }
        }
    }
}
