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
    private static int ConvDepthwiseU8S8ScratchLength(in ConvGeometry g) => DepthwisePlane.For(g).Length;

    /// <summary>Every channel's accumulators <c>bias[c] + Σ_k w[c, k] · x[c, tap k]</c>, handed to <paramref name="output"/> channel by channel.</summary>
    private static void ConvDepthwiseU8S8Avx2<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> accScratch, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        var plane = DepthwisePlane.For(g);
        int taps = g.KH * g.KW;
        int pairs = PatchPairs(taps);
        int pixels = g.OH * g.OW;
        int inputPlane = g.H * g.W;
        var padded = scratch[..plane.Length];
        var acc = accScratch[..(pixels + DepthwiseChunk)];
        Span<int> offsets = stackalloc int[2 * pairs];
        Span<int> weightPairs = stackalloc int[pairs];
        for (int k = 0; k < taps; k++)
        {
            offsets[k] = (k / g.KW * g.DilationH * plane.Width) + (k % g.KW * g.DilationW);
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
        for (int c = 0; c < g.C; c++)
        {
            ref byte xc = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), c * inputPlane);
            for (int r = 0; r < g.H; r++)
            {
                CopySmall(ref Unsafe.Add(ref xc, r * g.W), ref Unsafe.Add(ref planeRef, ((r + g.PadTop) * plane.Width) + g.PadLeft), g.W);
            }

            var wc = weights.Slice(c * taps, taps);
            for (int j = 0; j < pairs; j++)
            {
                int high = (2 * j) + 1 < taps ? wc[(2 * j) + 1] : 0;
                weightPairs[j] = (ushort)(short)wc[2 * j] | (high << 16);
            }

            var start = Vector256.Create(bias[c]);
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

            output.Write(c, 0, acc[..pixels], level);
        }
    }
}
