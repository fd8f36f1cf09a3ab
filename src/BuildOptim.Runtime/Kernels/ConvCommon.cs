using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    private static void ValidateConvGeometry(in ConvGeometry g)
    {
        if (g.C < 1 || g.M < 1 || g.H < 0 || g.W < 0 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1
            || g.DilationH < 1 || g.DilationW < 1 || g.Group < 1 || g.OH < 0 || g.OW < 0
            || g.C % g.Group != 0 || g.M % g.Group != 0)
        {
            ThrowShape($"Invalid convolution geometry {g}.");
        }
    }

    /// <summary>A 1×1, stride-1, unpadded convolution reads its input as the im2col matrix itself.</summary>
    private static bool IsPointwise(in ConvGeometry g)
        => g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.OH == g.H && g.OW == g.W;

    /// <summary>
    /// The outputs <c>o</c> in [0, <paramref name="count"/>) whose input index <c>start + o · stride</c> lies in
    /// [0, <paramref name="size"/>), as the range [Lo, Hi) (Lo == Hi when there are none).
    /// </summary>
    internal static (int Lo, int Hi) InBoundsRange(int start, int stride, int size, int count)
    {
        int lo = start >= 0 ? 0 : (-start + stride - 1) / stride;
        int last = size - 1 - start;
        int hi = last < 0 ? 0 : Math.Min(count, (last / stride) + 1);
        lo = Math.Min(lo, count);
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>
    /// Pixels [<paramref name="p0"/>, <paramref name="p0"/> + row.Length) of row k = (c·KH + kh)·KW + kw of one group's im2col
    /// matrix: <c>row[oh·OW + ow − p0] = x[c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c>, or <paramref name="fill"/> outside x.
    /// </summary>
    private static void Im2ColRow<T>(ReadOnlySpan<T> x, in ConvGeometry g, int k, T fill, int p0, Span<T> row)
        where T : struct
    {
        if (row.IsEmpty)
        {
            return;
        }

        int kw = k % g.KW;
        int kh = k / g.KW % g.KH;
        int c = k / (g.KW * g.KH);
        var plane = x.Slice(c * g.H * g.W, g.H * g.W);
        int iw0 = (kw * g.DilationW) - g.PadLeft;
        var (lo, hi) = InBoundsRange(iw0, g.StrideW, g.W, g.OW);
        int end = p0 + row.Length;
        for (int oh = p0 / g.OW; oh * g.OW < end; oh++)
        {
            // Columns [first, last) of output row oh fall in the range.
            int first = Math.Max(p0 - (oh * g.OW), 0);
            int last = Math.Min(end - (oh * g.OW), g.OW);
            var d = row.Slice((oh * g.OW) + first - p0, last - first);
            int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
            int from = Math.Clamp(lo, first, last);
            int to = Math.Clamp(hi, from, last);
            if ((uint)ih >= (uint)g.H || from == to)
            {
                d.Fill(fill);
                continue;
            }

            d[..(from - first)].Fill(fill);
            d[(to - first)..].Fill(fill);
            var src = plane.Slice(ih * g.W, g.W);
            if (g.StrideW == 1)
            {
                src.Slice(from + iw0, to - from).CopyTo(d[(from - first)..(to - first)]);
                continue;
            }

            int ow = from;
            if (typeof(T) == typeof(float) && g.StrideW == 2 && to - from >= 8 && Avx2.IsSupported)
            {
                ow = CopyEvenF32(MemoryMarshal.Cast<T, float>(src), (2 * from) + iw0, MemoryMarshal.Cast<T, float>(d[(from - first)..(to - first)]));
                ow += from;
            }

            for (; ow < to; ow++)
            {
                d[ow - first] = src[(ow * g.StrideW) + iw0];
            }
        }
    }

    /// <summary>
    /// <c>d[t] = src[start + 2t]</c>, eight at a time while the 16 floats each step reads lie inside src; returns how many
    /// were copied (the caller copies the rest).
    /// </summary>
    private static int CopyEvenF32(ReadOnlySpan<float> src, int start, Span<float> d)
    {
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float o = ref MemoryMarshal.GetReference(d);
        int t = 0;
        for (; t + 8 <= d.Length && start + (2 * t) + 16 <= src.Length; t += 8)
        {
            var a = Vector256.LoadUnsafe(ref s, (nuint)(start + (2 * t)));
            var b = Vector256.LoadUnsafe(ref s, (nuint)(start + (2 * t) + 8));

            // Even floats of each 128-bit lane of a and b, then the lanes put back in order.
            var even = Avx.Shuffle(a, b, 0b10_00_10_00);
            Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle().StoreUnsafe(ref o, (nuint)t);
        }

        return t;
    }

    /// <summary>How many taps <c>t</c> in [0, <paramref name="taps"/>) have <c>start + t · dilation</c> in [<paramref name="lo"/>, <paramref name="hi"/>).</summary>
    private static int CountTaps(int start, int taps, int dilation, int lo, int hi)
    {
        var (first, end) = InBoundsRange(start - lo, dilation, hi - lo, taps);
        return end - first;
    }
}
