using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The 3 × 3, stride-1 depthwise convolution of narrow planes (padded rows of at most 16 codes, at most 14 outputs to the row:
// FashionCnn's 14 × 14) two output rows per 512-bit vector. The 16-bit plane (see ConvDepthwiseU8S8.cs) is laid out with
// rows of exactly 16 values, so one 64-byte load at row r holds rows r and r + 1: the same four loads and vpmaddwd per
// kernel row as the AVX2 path's (at columns o, o + 1 against (w0, w1), o + 2, o + 3 against (w2, 0)) serve two output rows.
// Loads that run past a row's 16 values read the next row's first ones, only into outputs past the row end (dropped) or
// against the zero weight. Each channel's plane is written (one 32-byte store per row, PaddedRowU8) while the channel before
// it is computed, into the other of two planes, so that no load waits on a store still in flight; every channel's
// accumulators are kept and requantized as one block of rows. The sums are the AVX2
// path's, exact in int32; the codes are the scalar twin's bit for bit.
public static partial class Kernels
{
    /// <summary>Values per row of the row-pair plane (a row pair is one 64-byte load).</summary>
    private const int RowPairWidth = 16;

    /// <summary>Whether the row-pair path runs <paramref name="g"/> at <paramref name="level"/> (see the file header).</summary>
    private static bool UsesDepthwiseRowPairs(in ConvGeometry g, SimdLevel level)
        => level >= SimdLevel.Vector512 && Avx512BW.IsSupported && IsRowPairDepthwise(g);

    /// <summary>Whether <paramref name="g"/> has the row-pair path's shape (at any level: the scratch is sized for it).</summary>
    private static bool IsRowPairDepthwise(in ConvGeometry g)
        => g.IsDepthwise && DepthwisePlane.UsesWidePlane(g) && PaddedRowU8.Fits(g.PadLeft, g.W) && g.OW + 2 <= RowPairWidth && g.OH >= 2;

    /// <summary>Accumulators of the row-pair path: every channel's, each with a chunk of slack, so that they are requantized as one block.</summary>
    private static int RowPairAccumulatorLength(in ConvGeometry g) => g.C * ((g.OH * g.OW) + DepthwiseChunk);

    /// <summary>Values of one row-pair plane: its rows, and one more read by the last loads.</summary>
    private static int RowPairPlaneLength(in ConvGeometry g) => (DepthwisePlane.For(g).Rows + 1) * RowPairWidth;

    /// <summary>
    /// Every channel's accumulators by the row-pair path, handed to <paramref name="output"/> channel by channel;
    /// <paramref name="planes"/> holds two row-pair planes.
    /// </summary>
    private static void ConvDepthwiseU8S8RowPairs<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<short> planes, Span<int> accScratch, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        int planeLength = RowPairPlaneLength(g);
        int pixels = g.OH * g.OW;
        int stride = pixels + DepthwiseChunk;
        int inputPlane = g.H * g.W;
        var both = planes[..(2 * planeLength)];
        var acc = accScratch[..RowPairAccumulatorLength(g)];
        if (x.Length != g.C * inputPlane || weights.Length != g.C * 9 || bias.Length != g.C)
        {
            ThrowShape($"The depthwise convolution {g} got mismatched operands.");
        }

        // The rows outside x stay the zero point; each channel rewrites the rows of x whole.
        both.Fill(zeroPoint);
        var paddedRow = new PaddedRowU8(g.PadLeft, g.W, zeroPoint);
        ref short planeRef = ref MemoryMarshal.GetReference(both);
        ref int accRef = ref MemoryMarshal.GetReference(acc);
        WriteRowPairPlane(x, g, 0, paddedRow, ref planeRef);
        for (int c = 0; c < g.C; c++)
        {
            if (c + 1 < g.C)
            {
                WriteRowPairPlane(x, g, c + 1, paddedRow, ref Unsafe.Add(ref planeRef, ((c + 1) & 1) * planeLength));
            }

            ref short plane = ref Unsafe.Add(ref planeRef, (c & 1) * planeLength);
            ref int channelAcc = ref Unsafe.Add(ref accRef, c * stride);
            var w = weights.Slice(c * 9, 9);
            Depthwise3x3RowPairsAvx512(ref plane, g.OH, g.OW, bias[c], w, ref channelAcc);
            if (g.OH % 2 == 1)
            {
                int last = g.OH - 1;
                Depthwise3x3Stride1Avx2(ref Unsafe.Add(ref plane, last * RowPairWidth), RowPairWidth, 1, g.OW, Vector256.Create(bias[c]), w, ref Unsafe.Add(ref channelAcc, last * g.OW));
            }
        }

        // All channels to the output as one block of rows (one call, one clamp broadcast), else channel by channel.
        if (!output.WriteRows(0, g.C, 0, acc, stride, pixels, g.OW, g.OW, default, level))
        {
            for (int c = 0; c < g.C; c++)
            {
                output.Write(c, 0, acc.Slice(c * stride, pixels), level);
            }
        }
    }

    /// <summary>Channel <paramref name="c"/>'s rows of x into a row-pair plane, each padded in a register and stored whole as 16 values.</summary>
    private static void WriteRowPairPlane(ReadOnlySpan<byte> x, in ConvGeometry g, int c, in PaddedRowU8 paddedRow, ref short plane)
    {
        ref byte xc = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), c * g.H * g.W);
        int lastFrom = x.Length - 16;
        for (int r = 0; r < g.H; r++)
        {
            int from = (c * g.H * g.W) + (r * g.W);
            ref short to = ref Unsafe.Add(ref plane, (r + g.PadTop) * RowPairWidth);
            if (from <= lastFrom)
            {
                paddedRow.WriteWide(ref Unsafe.Add(ref xc, r * g.W), ref to);
            }
            else
            {
                for (int i = 0; i < g.W; i++)
                {
                    Unsafe.Add(ref to, g.PadLeft + i) = Unsafe.Add(ref xc, (r * g.W) + i);
                }
            }
        }
    }

    /// <summary>
    /// The output rows of one channel two at a time (an odd last one is left to the caller): per kernel row kh, the loads at
    /// row oh + kh hold rows oh + kh and oh + kh + 1, one vpmaddwd each serving both output rows.
    /// </summary>
    private static void Depthwise3x3RowPairsAvx512(ref short plane, int outputRows, int outputColumns, int bias, ReadOnlySpan<sbyte> w, ref int acc)
    {
        var w01 = WeightPair512(w[0], w[1]);
        var w2 = WeightPair512(w[2], 0);
        var w34 = WeightPair512(w[3], w[4]);
        var w5 = WeightPair512(w[5], 0);
        var w67 = WeightPair512(w[6], w[7]);
        var w8 = WeightPair512(w[8], 0);
        var start = Vector512.Create(bias);
        var first = Vector512.Create(0L, 1, 8, 9, 2, 3, 10, 11);
        var second = Vector512.Create(4L, 5, 12, 13, 6, 7, 14, 15);
        for (int oh = 0; oh + 2 <= outputRows; oh += 2)
        {
            ref short r0 = ref Unsafe.Add(ref plane, oh * RowPairWidth);
            var even = start;
            var odd = start;
            RowPairTaps(ref r0, w01, w2, ref even, ref odd);
            RowPairTaps(ref Unsafe.Add(ref r0, RowPairWidth), w34, w5, ref even, ref odd);
            RowPairTaps(ref Unsafe.Add(ref r0, 2 * RowPairWidth), w67, w8, ref even, ref odd);

            // Lane i of even (odd) is output row oh + i / 8, column 2 · (i mod 8) (+ 1): interleaved per 128-bit lane, then
            // each row's four quarters gathered in order. Row oh's 16 stores first: their excess lands on row oh + 1.
            var low = Avx512F.UnpackLow(even, odd).AsInt64();
            var high = Avx512F.UnpackHigh(even, odd).AsInt64();
            Avx512F.PermuteVar8x64x2(low, first, high).AsInt32().StoreUnsafe(ref acc, (nuint)(oh * outputColumns));
            Avx512F.PermuteVar8x64x2(low, second, high).AsInt32().StoreUnsafe(ref acc, (nuint)((oh + 1) * outputColumns));
        }

        static Vector512<short> WeightPair512(sbyte low, sbyte high) => Vector512.Create((ushort)(short)low | (high << 16)).AsInt16();
    }

    /// <summary>One kernel row's three taps for two output rows of up to 16 outputs: even outputs into <paramref name="even"/>, odd into <paramref name="odd"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowPairTaps(ref short row, Vector512<short> w01, Vector512<short> w2, ref Vector512<int> even, ref Vector512<int> odd)
    {
        even += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row), w01);
        odd += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 1), w01);
        even += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 2), w2);
        odd += Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref row, 3), w2);
    }
}
