namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Nearest resize: <c>y[o_0, ..., o_r] = x[Σ_a offsets_a[o_a]]</c>, with <paramref name="offsets"/> the per-axis input offsets
    /// (source index times the input stride) concatenated axis by axis, <paramref name="outDims"/> long each.
    /// </summary>
    internal static void ResizeNearestF32Core(ReadOnlySpan<float> x, ReadOnlySpan<int> outDims, ReadOnlySpan<int> offsets, Span<float> y)
    {
        int rank = outDims.Length;
        int last = outDims[rank - 1];
        var lastOffsets = offsets[(offsets.Length - last)..];
        Span<int> index = stackalloc int[rank];
        Span<int> start = stackalloc int[rank];
        int at = 0;
        for (int a = 0; a < rank; a++)
        {
            start[a] = at;
            at += outDims[a];
        }

        int rows = y.Length / Math.Max(1, last);
        for (int row = 0; row < rows; row++)
        {
            int source = 0;
            for (int a = 0; a < rank - 1; a++)
            {
                source += offsets[start[a] + index[a]];
            }

            var yRow = y.Slice(row * last, last);
            for (int i = 0; i < last; i++)
            {
                yRow[i] = x[source + lastOffsets[i]];
            }

            for (int a = rank - 2; a >= 0 && ++index[a] == outDims[a]; a--)
            {
                index[a] = 0;
            }
        }
    }

    /// <summary>
    /// Bilinear resize of <paramref name="planes"/> [H, W] planes to [OH, OW], as ONNX Runtime's UpsampleBilinear computes it:
    /// <c>y = dx2·dy2·x[y1, x1] + dx1·dy2·x[y1, x2] + dx2·dy1·x[y2, x1] + dx1·dy1·x[y2, x2]</c>, left to right in float.
    /// </summary>
    internal static void ResizeBilinearF32Core(ReadOnlySpan<float> x, int planes, int h, int w, int oh, int ow, ReadOnlySpan<int> rows, ReadOnlySpan<int> cols, ReadOnlySpan<float> rowWeights, ReadOnlySpan<float> colWeights, Span<float> y)
    {
        for (int p = 0; p < planes; p++)
        {
            var xp = x.Slice(p * h * w, h * w);
            var yp = y.Slice(p * oh * ow, oh * ow);
            for (int r = 0; r < oh; r++)
            {
                int y1 = rows[r] * w, y2 = rows[oh + r] * w;
                float dy1 = rowWeights[r], dy2 = rowWeights[oh + r];
                for (int c = 0; c < ow; c++)
                {
                    int x1 = cols[c], x2 = cols[ow + c];
                    float dx1 = colWeights[c], dx2 = colWeights[ow + c];
                    yp[(r * ow) + c] = (dx2 * dy2 * xp[y1 + x1]) + (dx1 * dy2 * xp[y1 + x2]) + (dx2 * dy1 * xp[y2 + x1]) + (dx1 * dy1 * xp[y2 + x2]);
                }
            }
        }
    }
}
