namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>Columns of the on-stack row buffer a pooling window is reduced in; wider windows take the direct loop.</summary>
    private const int PoolColumnBufferLength = 2048;

    /// <summary>One pooling reduction: identity, row-wise and element-wise combine, and the final value from the tap counts.</summary>
    private interface IPoolOp<T, TAcc>
        where T : unmanaged
        where TAcc : unmanaged
    {
        TAcc Identity { get; }

        TAcc Lift(T x);

        TAcc Combine(TAcc a, TAcc b);

        /// <summary><c>acc[i] = Combine(acc[i], Lift(x[i]))</c>.</summary>
        void CombineRow(ReadOnlySpan<T> x, Span<TAcc> acc, SimdLevel level);

        /// <summary>The output from the reduction of a window's in-bounds taps, how many there were, and how many taps lie inside the explicitly padded input.</summary>
        T Finish(TAcc acc, int inBounds, int inPadded);
    }

    /// <summary>
    /// Reduces every pooling window of every channel: <c>y[c, oh, ow] = Finish(⊕ x[c, ih, iw], inBounds, inPadded)</c> over
    /// the taps <c>ih = oh·sh − pt + kh·dh</c>, <c>iw = ow·sw − pl + kw·dw</c> that lie inside x (padded taps are skipped; the
    /// counts let Finish weigh them). <c>inPadded</c> counts taps inside [−pt, H + pb) × [−pl, W + pr), so positions that
    /// ceil_mode adds beyond the explicit pads are never counted (ONNX AveragePool with count_include_pad = 1).
    /// </summary>
    /// <remarks>
    /// Separable order: for each output row, the in-bounds input rows of the window are first combined column-wise into a
    /// stack buffer (contiguous, vectorized whatever the stride), then each output combines its kw taps from the buffer in
    /// ascending kw. Windows wider than <see cref="PoolColumnBufferLength"/> columns combine taps directly in (kh, kw) order.
    /// Either way the order is fixed per output, so every vector width gives the scalar result bit for bit.
    /// </remarks>
    private static void Pool2D<T, TAcc, TOp>(ReadOnlySpan<T> x, in PoolGeometry g, TOp op, Span<T> y, SimdLevel level)
        where T : unmanaged
        where TAcc : unmanaged
        where TOp : struct, IPoolOp<T, TAcc>
    {
        if (g.C < 0 || g.H < 0 || g.W < 0 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1 || g.OH < 0 || g.OW < 0)
        {
            ThrowShape($"Invalid pooling geometry {g}.");
        }

        if (x.Length != g.InputLength || y.Length != g.OutputLength)
        {
            ThrowShape($"Pool {g} got input {x.Length} and output {y.Length}.");
        }

        int reach = ((g.KW - 1) * g.DilationW) + 1;
        if (reach > PoolColumnBufferLength)
        {
            Pool2DDirect<T, TAcc, TOp>(x, g, op, y);
            return;
        }

        Span<TAcc> buffer = stackalloc TAcc[PoolColumnBufferLength];
        int outputsPerChunk = ((PoolColumnBufferLength - reach) / g.StrideW) + 1;
        int plane = g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * plane, plane);
            for (int oh = 0; oh < g.OH; oh++)
            {
                var yRow = y.Slice(((c * g.OH) + oh) * g.OW, g.OW);
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (khLo, khHi) = InBoundsRange(ih0, g.DilationH, g.H, g.KH);
                int rowsInBounds = khHi - khLo;
                int rowsInPadded = CountTaps(ih0, g.KH, g.DilationH, -g.PadTop, g.H + g.PadBottom);
                for (int ow0 = 0; ow0 < g.OW; ow0 += outputsPerChunk)
                {
                    int ow1 = Math.Min(g.OW, ow0 + outputsPerChunk);
                    int columnStart = (ow0 * g.StrideW) - g.PadLeft;
                    int columnEnd = ((ow1 - 1) * g.StrideW) - g.PadLeft + reach;
                    var columns = buffer[..(columnEnd - columnStart)];
                    columns.Fill(op.Identity);
                    int inLo = Math.Max(columnStart, 0);
                    int inHi = Math.Min(columnEnd, g.W);
                    if (inHi > inLo)
                    {
                        var target = columns.Slice(inLo - columnStart, inHi - inLo);
                        for (int kh = khLo; kh < khHi; kh++)
                        {
                            int ih = ih0 + (kh * g.DilationH);
                            op.CombineRow(xc.Slice((ih * g.W) + inLo, inHi - inLo), target, level);
                        }
                    }

                    for (int ow = ow0; ow < ow1; ow++)
                    {
                        int first = (ow - ow0) * g.StrideW;
                        var acc = op.Identity;
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            acc = op.Combine(acc, columns[first + (kw * g.DilationW)]);
                        }

                        int iw0 = (ow * g.StrideW) - g.PadLeft;
                        int columnsInBounds = CountTaps(iw0, g.KW, g.DilationW, 0, g.W);
                        int columnsInPadded = CountTaps(iw0, g.KW, g.DilationW, -g.PadLeft, g.W + g.PadRight);
                        yRow[ow] = op.Finish(acc, rowsInBounds * columnsInBounds, rowsInPadded * columnsInPadded);
                    }
                }
            }
        }
    }

    /// <summary><see cref="Pool2D"/> for very wide windows: each output combines its in-bounds taps in (kh, kw) order.</summary>
    private static void Pool2DDirect<T, TAcc, TOp>(ReadOnlySpan<T> x, in PoolGeometry g, TOp op, Span<T> y)
        where T : unmanaged
        where TAcc : unmanaged
        where TOp : struct, IPoolOp<T, TAcc>
    {
        int plane = g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            var xc = x.Slice(c * plane, plane);
            for (int oh = 0; oh < g.OH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (khLo, khHi) = InBoundsRange(ih0, g.DilationH, g.H, g.KH);
                int rowsInPadded = CountTaps(ih0, g.KH, g.DilationH, -g.PadTop, g.H + g.PadBottom);
                for (int ow = 0; ow < g.OW; ow++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kwLo, kwHi) = InBoundsRange(iw0, g.DilationW, g.W, g.KW);
                    var acc = op.Identity;
                    for (int kh = khLo; kh < khHi; kh++)
                    {
                        var xRow = xc.Slice((ih0 + (kh * g.DilationH)) * g.W, g.W);
                        for (int kw = kwLo; kw < kwHi; kw++)
                        {
                            acc = op.Combine(acc, op.Lift(xRow[iw0 + (kw * g.DilationW)]));
                        }
                    }

                    int columnsInPadded = CountTaps(iw0, g.KW, g.DilationW, -g.PadLeft, g.W + g.PadRight);
                    y[(((c * g.OH) + oh) * g.OW) + ow] = op.Finish(acc, (khHi - khLo) * (kwHi - kwLo), rowsInPadded * columnsInPadded);
                }
            }
        }
    }
}
