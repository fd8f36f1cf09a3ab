using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The direct depthwise u8 × s8 convolution (G = C = M): AVX2, and the tap-by-tap scalar twin for other levels and strides.
//
// Each channel is copied into a padded plane whose border holds the input zero point (real 0, as the scalar twin reads
// out-of-range taps), so every tap of every output is an in-bounds read at plane[(oh·sh + kh·dh)·Width + ow·sw + kw·dw].
// Taps are taken in pairs: the 16 codes of tap k and of tap k + 1 for 16 consecutive outputs are interleaved and zero-extended
// to 16-bit pairs, and one vpmaddwd against the broadcast weight pair (w[k], w[k+1]) adds both products into 8 int32 lanes
// (exact: |255 · 128| < 2^15). An odd tap count pads the last pair with a zero weight. Outputs past the row end are computed
// and then overwritten by the next row (the accumulator scratch has 16 ints of slack for the last one), so each channel's
// accumulators come out dense and are requantized in one call.
//
// 3 × 3, stride 1, undilated (MobileNet-style blocks) goes without the per-tap interleave: the plane is widened once per
// channel to 16-bit codes, and a 16-lane load at column o is already the pairs (x[o], x[o+1]), (x[o+2], x[o+3]), ...
// One vpmaddwd against (w[kh,0], w[kh,1]) then sums two taps of the even outputs o, o+2, ..., o+14; the load at o + 1
// does the odd ones; loads at o + 2 and o + 3 against (w[kh,2], 0) add the third tap. Twelve loads and twelve vpmaddwd per
// 16 outputs and no shuffle, where the byte path spends twenty shuffles; the even and odd sums are interleaved once at the
// end.
public static partial class Kernels
{
    /// <summary>Outputs per depthwise chunk: two vectors of 8 int32.</summary>
    private const int DepthwiseChunk = 16;

    /// <summary>The padded plane of one channel: <paramref name="Rows"/> × <paramref name="Width"/> bytes.</summary>
    private readonly record struct DepthwisePlane(int Rows, int Width)
    {
        public int Length => Rows * Width;

        public static DepthwisePlane For(in ConvGeometry g)
        {
            int chunks = (g.OW + DepthwiseChunk - 1) / DepthwiseChunk;
            int rows = Math.Max(g.H + g.PadTop, ((g.OH - 1) * g.StrideH) + ((g.KH - 1) * g.DilationH) + 1);

            // The last chunk's 16 outputs of the rightmost tap read 16 · sw bytes from there; the 16-bit path's odd outputs
            // read one column further.
            int lastRead = ((chunks - 1) * DepthwiseChunk * g.StrideW) + ((g.KW - 1) * g.DilationW) + (DepthwiseChunk * g.StrideW);
            return new DepthwisePlane(rows, Math.Max(g.W + g.PadLeft, lastRead + (UsesWidePlane(g) ? 1 : 0)));
        }

        /// <summary>Whether the depthwise kernel widens the plane to 16 bits (3 × 3, stride 1, undilated; see the file header).</summary>
        public static bool UsesWidePlane(in ConvGeometry g)
            => g.KH == 3 && g.KW == 3 && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1;

        /// <summary>Bytes of the 16-bit plane and the 16 values its widening writes past the end, or of the two row-pair planes (ConvDepthwiseU8S8RowPairs.cs) if more; 0 without one.</summary>
        public static int WideLength(in ConvGeometry g)
            => UsesWidePlane(g) ? Math.Max(2 * (For(g).Length + DepthwiseChunk), 2 * 2 * RowPairPlaneLength(g)) : 0;
    }

    /// <summary>Whether the AVX2 direct depthwise kernel runs <paramref name="g"/> at <paramref name="level"/> (horizontal strides 1 and 2).</summary>
    private static bool UsesDirectDepthwise(in ConvGeometry g, SimdLevel level)
        => g.IsDepthwise && level >= SimdLevel.Vector256 && Avx2.IsSupported && g.StrideW <= 2;

    /// <summary>Scratch bytes of a depthwise convolution: one padded plane, and its 16-bit copy for 3 × 3 stride 1 (see the file header).</summary>
    private static int ConvDepthwiseU8S8ScratchLength(in ConvGeometry g) => DepthwisePlane.For(g).Length + PaddedRowU8.Store + DepthwisePlane.WideLength(g);

    /// <summary>
    /// A depthwise convolution (G = C = M): every channel's accumulators <c>bias[c] + Σ_k w[c, k] · x[c, tap k]</c>, handed
    /// to <paramref name="output"/> channel by channel; in AVX2 for horizontal strides 1 and 2, else tap by tap.
    /// </summary>
    private static void ConvDepthwiseU8S8<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, ConvGemmLayout? layout, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        if (UsesSmallDepthwise(g, level))
        {
            ConvDepthwiseU8S8Small(x, g, zeroPoint, weights, bias, accScratch, layout?.DepthwiseIndices, ref output, level);
            return;
        }

        if (UsesDepthwiseRowPairs(g, level))
        {
            var planes = MemoryMarshal.Cast<byte, short>(scratch.Slice(DepthwisePlane.For(g).Length + PaddedRowU8.Store, DepthwisePlane.WideLength(g)));
            ConvDepthwiseU8S8RowPairs(x, g, zeroPoint, weights, bias, planes, accScratch, ref output, level);
            return;
        }

        if (UsesDirectDepthwise(g, level))
        {
            ConvDepthwiseU8S8Avx2(x, g, zeroPoint, weights, bias, scratch, accScratch, ref output, level);
            return;
        }

        int taps = g.KH * g.KW;
        int plane = g.H * g.W;
        var acc = accScratch[..(g.OH * g.OW)];
        for (int c = 0; c < g.C; c++)
        {
            ConvDepthwiseU8S8Accumulate(x.Slice(c * plane, plane), g, zeroPoint, weights.Slice(c * taps, taps), bias[c], acc, level);
            output.Write(c, 0, acc, level);
        }
    }

    /// <summary>Every channel's accumulators <c>bias[c] + Σ_k w[c, k] · x[c, tap k]</c>, handed to <paramref name="output"/> channel by channel.</summary>
    private static void ConvDepthwiseU8S8Avx2<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        var plane = DepthwisePlane.For(g);
        int taps = g.KH * g.KW;
        int pairs = PatchPairs(taps);
        int pixels = g.OH * g.OW;
        int inputPlane = g.H * g.W;
        var padded = scratch[..(plane.Length + PaddedRowU8.Store)];
        bool wide = DepthwisePlane.UsesWidePlane(g);
        var widePlane = MemoryMarshal.Cast<byte, short>(scratch.Slice(padded.Length, DepthwisePlane.WideLength(g)));
        var acc = accScratch[..(pixels + DepthwiseChunk)];
        Span<int> offsets = stackalloc int[2 * pairs];
        Span<int> weightPairs = stackalloc int[pairs];
        for (int kh = 0, k = 0; kh < g.KH; kh++)
        {
            for (int kw = 0; kw < g.KW; kw++, k++)
            {
                offsets[k] = (kh * g.DilationH * plane.Width) + (kw * g.DilationW);
            }
        }

        // The odd tap's partner reads tap 0 again, against a zero weight.
        for (int k = taps; k < offsets.Length; k++)
        {
            offsets[k] = 0;
        }

        // The border stays the zero point; only the interior changes from channel to channel.
        padded.Fill(zeroPoint);
        widePlane.Fill(zeroPoint);
        ref short wideRef = ref MemoryMarshal.GetReference(widePlane);
        ref byte planeRef = ref MemoryMarshal.GetReference(padded);
        ref int accRef = ref MemoryMarshal.GetReference(acc);
        int rowStep = g.StrideH * plane.Width;
        int stride = g.StrideW;
        bool rowsInRegisters = PaddedRowU8.Fits(g.PadLeft, g.W);
        var paddedRow = rowsInRegisters ? new PaddedRowU8(g.PadLeft, g.W, zeroPoint) : default;
        for (int c = 0; c < g.C; c++)
        {
            ref byte xc = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), c * inputPlane);
            var wc = weights.Slice(c * taps, taps);
            var start = Vector256.Create(bias[c]);
            if (wide && rowsInRegisters)
            {
                // Rows of at most 16 padded codes go straight into the 16-bit plane, one whole 32-byte store each (the
                // columns past them keep the zero point of the first fill): no byte plane, and no widening load that would
                // straddle two recent row stores and wait for them (a failed store-to-load forward).
                for (int r = 0; r < g.H; r++)
                {
                    int from = (c * inputPlane) + (r * g.W);
                    int to = (r + g.PadTop) * plane.Width;
                    if (from <= x.Length - 16)
                    {
                        paddedRow.WriteWide(ref Unsafe.Add(ref xc, r * g.W), ref Unsafe.Add(ref wideRef, to));
                    }
                    else
                    {
                        for (int i = 0; i < g.W; i++)
                        {
                            Unsafe.Add(ref wideRef, to + g.PadLeft + i) = Unsafe.Add(ref xc, (r * g.W) + i);
                        }
                    }
                }

                Depthwise3x3Stride1Avx2(ref wideRef, plane.Width, g.OH, g.OW, start, wc, ref accRef);
                WriteChannel(ref output, c, acc, pixels, g.OW, level);
                continue;
            }

            for (int r = 0; r < g.H; r++)
            {
                int from = (c * inputPlane) + (r * g.W);
                int to = (r + g.PadTop) * plane.Width;
                if (rowsInRegisters && from <= x.Length - 16)
                {
                    paddedRow.Write(ref Unsafe.Add(ref xc, r * g.W), ref Unsafe.Add(ref planeRef, to));
                }
                else
                {
                    CopySmall(ref Unsafe.Add(ref xc, r * g.W), ref Unsafe.Add(ref planeRef, to + g.PadLeft), g.W);
                }
            }

            if (wide)
            {
                // Only the rows of x change from channel to channel; widening 16 at a time may rewrite the start of the
                // next (padding) row with its own values.
                for (int i = g.PadTop * plane.Width; i < (g.PadTop + g.H) * plane.Width; i += 16)
                {
                    Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref planeRef, (nuint)i)).StoreUnsafe(ref wideRef, (nuint)i);
                }

                Depthwise3x3Stride1Avx2(ref wideRef, plane.Width, g.OH, g.OW, start, wc, ref accRef);
                WriteChannel(ref output, c, acc, pixels, g.OW, level);
                continue;
            }

            for (int j = 0; j < pairs; j++)
            {
                int high = (2 * j) + 1 < taps ? wc[(2 * j) + 1] : 0;
                weightPairs[j] = (ushort)(short)wc[2 * j] | (high << 16);
            }

            for (int oh = 0; oh < g.OH; oh++)
            {
                int rowStart = oh * rowStep;
                for (int ow = 0; ow < g.OW; ow += DepthwiseChunk)
                {
                    ref byte s = ref Unsafe.Add(ref planeRef, rowStart + (ow * stride));
                    var a0 = start;
                    var a1 = start;
                    for (int j = 0; j < pairs; j++)
                    {
                        var first = LoadTapU8(ref s, offsets[2 * j], stride);
                        var second = LoadTapU8(ref s, offsets[(2 * j) + 1], stride);
                        var w = Vector256.Create(weightPairs[j]).AsInt16();
                        a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackLow(first, second)), w));
                        a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(first, second)), w));
                    }

                    nuint at = (nuint)((oh * g.OW) + ow);
                    a0.StoreUnsafe(ref accRef, at);
                    a1.StoreUnsafe(ref accRef, at + 8);
                }
            }

            WriteChannel(ref output, c, acc, pixels, g.OW, level);
        }
    }

    /// <summary>One channel's dense accumulators to <paramref name="output"/>: as a one-row block where the output takes blocks, else row by row.</summary>
    private static void WriteChannel<TOutput>(ref TOutput output, int c, Span<int> acc, int pixels, int ow, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        if (!output.WriteRows(c, 1, 0, acc, pixels, pixels, ow, ow, default, level))
        {
            output.Write(c, 0, acc[..pixels], level);
        }
    }

    /// <summary>
    /// One channel of a 3 × 3, stride 1, undilated depthwise convolution on its 16-bit plane (see the file header): per
    /// kernel row, the pairs (w0, w1) and (w2, 0) against the loads at o, o + 1 (w0, w1) and o + 2, o + 3 (w2, 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Depthwise3x3Stride1Avx2(ref short plane, int width, int outputRows, int outputColumns, Vector256<int> start, ReadOnlySpan<sbyte> w, ref int acc)
    {
        var w01 = WeightPair(w[0], w[1]);
        var w2 = WeightPair(w[2], 0);
        var w34 = WeightPair(w[3], w[4]);
        var w5 = WeightPair(w[5], 0);
        var w67 = WeightPair(w[6], w[7]);
        var w8 = WeightPair(w[8], 0);
        for (int oh = 0; oh < outputRows; oh++)
        {
            ref short r0 = ref Unsafe.Add(ref plane, oh * width);
            ref short r1 = ref Unsafe.Add(ref r0, width);
            ref short r2 = ref Unsafe.Add(ref r1, width);
            for (int ow = 0; ow < outputColumns; ow += DepthwiseChunk)
            {
                nuint o = (nuint)ow;
                var even = start;
                var odd = start;
                RowTaps(ref r0, o, w01, w2, ref even, ref odd);
                RowTaps(ref r1, o, w34, w5, ref even, ref odd);
                RowTaps(ref r2, o, w67, w8, ref even, ref odd);

                // even = outputs o, o+2, ..., o+14 and odd = o+1, ..., o+15 → two vectors in output order.
                var low = Avx2.UnpackLow(even, odd);
                var high = Avx2.UnpackHigh(even, odd);
                nuint at = (nuint)((oh * outputColumns) + ow);
                Avx2.Permute2x128(low, high, 0x20).StoreUnsafe(ref acc, at);
                Avx2.Permute2x128(low, high, 0x31).StoreUnsafe(ref acc, at + 8);
            }
        }

        static Vector256<short> WeightPair(sbyte low, sbyte high) => Vector256.Create((ushort)(short)low | (high << 16)).AsInt16();
    }

    /// <summary>One kernel row's three taps for 16 outputs from column <paramref name="o"/>: the even outputs into <paramref name="even"/>, the odd ones into <paramref name="odd"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTaps(ref short row, nuint o, Vector256<short> w01, Vector256<short> w2, ref Vector256<int> even, ref Vector256<int> odd)
    {
        even = Avx2.Add(even, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, o), w01));
        odd = Avx2.Add(odd, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, o + 1), w01));
        even = Avx2.Add(even, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, o + 2), w2));
        odd = Avx2.Add(odd, Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref row, o + 3), w2));
    }

    /// <summary>
    /// Depthwise accumulator of one channel: each output row starts at the bias and adds, tap by tap,
    /// <c>w · x</c> where the tap is inside x and <c>w · zeroPoint</c> where it is in the padding.
    /// </summary>
    private static void ConvDepthwiseU8S8Accumulate(ReadOnlySpan<byte> xc, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> wc, int bias, Span<int> acc, SimdLevel level)
    {
        for (int oh = 0; oh < g.OH; oh++)
        {
            var row = acc.Slice(oh * g.OW, g.OW);
            row.Fill(bias);
            for (int kh = 0; kh < g.KH; kh++)
            {
                var wRow = wc.Slice(kh * g.KW, g.KW);
                int ih = (oh * g.StrideH) - g.PadTop + (kh * g.DilationH);
                if ((uint)ih >= (uint)g.H)
                {
                    int weightSum = 0;
                    foreach (sbyte w in wRow)
                    {
                        weightSum += w;
                    }

                    AddConstantRowS32(zeroPoint * weightSum, row);
                    continue;
                }

                var xRow = xc.Slice(ih * g.W, g.W);
                for (int kw = 0; kw < g.KW; kw++)
                {
                    int w = wRow[kw];
                    if (w == 0)
                    {
                        continue;
                    }

                    int iw0 = (kw * g.DilationW) - g.PadLeft;
                    var (lo, hi) = InBoundsRange(iw0, g.StrideW, g.W, g.OW);
                    AddConstantRowS32(zeroPoint * w, row[..lo]);
                    AddConstantRowS32(zeroPoint * w, row[hi..]);
                    if (lo == hi)
                    {
                        continue;
                    }

                    if (g.StrideW == 1)
                    {
                        AxpyRowU8ToS32(w, xRow.Slice(lo + iw0, hi - lo), row[lo..hi], level);
                    }
                    else
                    {
                        for (int ow = lo; ow < hi; ow++)
                        {
                            row[ow] += w * xRow[(ow * g.StrideW) + iw0];
                        }
                    }
                }
            }
        }
    }
}
