using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The direct depthwise u8 × s8 convolution (G = C = M), AVX2.
//
// Each channel is copied into a padded plane whose border holds the input zero point (real 0, as the scalar twin reads
// out-of-range taps), so every tap of every output is an in-bounds read at plane[(oh·sh + kh·dh)·Width + ow·sw + kw·dw].
// Taps are taken in pairs: the 16 codes of tap k and of tap k + 1 for 16 consecutive outputs are interleaved and zero-extended
// to 16-bit pairs, and one vpmaddwd against the broadcast weight pair (w[k], w[k+1]) adds both products into 8 int32 lanes
// (exact: |255 · 128| < 2^15). An odd tap count pads the last pair with a zero weight. Outputs past the row end are computed
// and then overwritten by the next row (the accumulator scratch has 16 ints of slack for the last one), so each channel's
// accumulators come out dense and are requantized in one call.
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

            // The last chunk's 16 outputs of the rightmost tap read 16 · sw bytes from there.
            int lastRead = ((chunks - 1) * DepthwiseChunk * g.StrideW) + ((g.KW - 1) * g.DilationW) + (DepthwiseChunk * g.StrideW);
            return new DepthwisePlane(rows, Math.Max(g.W + g.PadLeft, lastRead));
        }
    }

    /// <summary>Whether the AVX2 direct depthwise kernel runs <paramref name="g"/> at <paramref name="level"/> (horizontal strides 1 and 2).</summary>
    private static bool UsesDirectDepthwise(in ConvGeometry g, SimdLevel level)
        => g.IsDepthwise && level >= SimdLevel.Vector256 && Avx2.IsSupported && g.StrideW <= 2;

    /// <summary>Scratch bytes of a depthwise convolution: one padded plane (see the file header).</summary>
    private static int ConvDepthwiseU8S8ScratchLength(in ConvGeometry g) => DepthwisePlane.For(g).Length + PaddedRowU8.Store;

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
        ref byte planeRef = ref MemoryMarshal.GetReference(padded);
        ref int accRef = ref MemoryMarshal.GetReference(acc);
        int rowStep = g.StrideH * plane.Width;
        int stride = g.StrideW;
        bool rowsInRegisters = PaddedRowU8.Fits(g.PadLeft, g.W);
        var paddedRow = rowsInRegisters ? new PaddedRowU8(g.PadLeft, g.W, zeroPoint) : default;
        for (int c = 0; c < g.C; c++)
        {
            ref byte xc = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), c * inputPlane);
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

            var wc = weights.Slice(c * taps, taps);
            for (int j = 0; j < pairs; j++)
            {
                int high = (2 * j) + 1 < taps ? wc[(2 * j) + 1] : 0;
                weightPairs[j] = (ushort)(short)wc[2 * j] | (high << 16);
            }

            var start = Vector256.Create(bias[c]);
            if (taps == 9 && g.KW == 3 && stride == 1 && g.DilationH == 1 && g.DilationW == 1)
            {
                Depthwise3x3Stride1Avx2(ref planeRef, plane.Width, rowStep, g.OH, g.OW, start, weightPairs, ref accRef);
                WriteChannel(ref output, c, acc, pixels, g.OW, level);
                continue;
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
    /// One channel of a 3 × 3, horizontal stride 1, undilated depthwise convolution: the loop above unrolled, its five
    /// weight pairs (taps (0,1), (2,3), (4,5), (6,7), (8, zero)) held in registers, each of the nine tap vectors loaded once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Depthwise3x3Stride1Avx2(ref byte plane, int width, int rowStep, int outputRows, int outputColumns, Vector256<int> start, ReadOnlySpan<int> weightPairs, ref int acc)
    {
        var w01 = Vector256.Create(weightPairs[0]).AsInt16();
        var w23 = Vector256.Create(weightPairs[1]).AsInt16();
        var w45 = Vector256.Create(weightPairs[2]).AsInt16();
        var w67 = Vector256.Create(weightPairs[3]).AsInt16();
        var w8 = Vector256.Create(weightPairs[4]).AsInt16();
        for (int oh = 0; oh < outputRows; oh++)
        {
            ref byte r0 = ref Unsafe.Add(ref plane, oh * rowStep);
            ref byte r1 = ref Unsafe.Add(ref r0, width);
            ref byte r2 = ref Unsafe.Add(ref r1, width);
            for (int ow = 0; ow < outputColumns; ow += DepthwiseChunk)
            {
                nuint o = (nuint)ow;
                var a0 = start;
                var a1 = start;
                PairTaps(Vector128.LoadUnsafe(ref r0, o), Vector128.LoadUnsafe(ref r0, o + 1), w01, ref a0, ref a1);
                PairTaps(Vector128.LoadUnsafe(ref r0, o + 2), Vector128.LoadUnsafe(ref r1, o), w23, ref a0, ref a1);
                PairTaps(Vector128.LoadUnsafe(ref r1, o + 1), Vector128.LoadUnsafe(ref r1, o + 2), w45, ref a0, ref a1);
                PairTaps(Vector128.LoadUnsafe(ref r2, o), Vector128.LoadUnsafe(ref r2, o + 1), w67, ref a0, ref a1);
                PairTaps(Vector128.LoadUnsafe(ref r2, o + 2), Vector128<byte>.Zero, w8, ref a0, ref a1);
                nuint at = (nuint)((oh * outputColumns) + ow);
                a0.StoreUnsafe(ref acc, at);
                a1.StoreUnsafe(ref acc, at + 8);
            }
        }
    }

    /// <summary>Adds <c>w.lo · first[t] + w.hi · second[t]</c> to lane t of a0 (t &lt; 8) and a1 (t ≥ 8): interleave, zero-extend, <c>vpmaddwd</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PairTaps(Vector128<byte> first, Vector128<byte> second, Vector256<short> w, ref Vector256<int> a0, ref Vector256<int> a1)
    {
        a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackLow(first, second)), w));
        a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(first, second)), w));
    }
}
