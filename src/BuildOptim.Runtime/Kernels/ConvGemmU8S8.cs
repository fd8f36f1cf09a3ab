using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The u8 × s8 convolution's matrix product, acc[i, p] = bias[i] + Σ_k w[i, k] · col[k, p] per group (col its im2col matrix).
//
// Both operands are packed in pairs along the patch dimension k, two 16-bit values per int32, so one vpmaddwd forms
// col[2j, p]·w[i, 2j] + col[2j+1, p]·w[i, 2j+1] exactly (|255 · 128| < 2^15) for eight pixels at once; an odd patch pads
// the last pair with zeros.
//
// - Weights (packed once per plan, or per call into scratch): blocks of GemmTileRows output channels, each
//   [pairs][GemmTileRows] int32 with w[i, 2j] in the low half and w[i, 2j+1] in the high half; missing rows are zeros.
// - Columns, without an im2col matrix: x is copied once per call into a padded image (zero point outside x) whose rows are
//   split by phase modulo the vertical stride sh and whose width Wp = sw · Wq is a multiple of the horizontal stride. In
//   "wide pixel" coordinates p' = oh · Wq + ow, the code tap k = (c, kh, kw) reads is then at kOffset[k] + sw · p': a
//   contiguous run for sw = 1, every other byte for sw = 2. The Wq − OW wide pixels past each output row are computed and
//   dropped. A 1×1 stride-1 unpadded convolution whose pixels fill whole panels reads x itself.
// - Panels: the wide pixels are processed in blocks that fit in L2, packed into panels of GemmTilePixels pixels,
//   [pairs][GemmTilePixels] int32 with col[2j, p'] low and col[2j+1, p'] high, contiguous so the micro-kernel streams them.
// - The AVX2 micro-kernel keeps a GemmTileRows × GemmTilePixels tile of accumulators (12 registers) across the whole patch:
//   per pair, two column loads and six weight broadcasts feed twelve vpmaddwd. Finished tiles fill a 6 × B strip of
//   accumulators (L2-resident) that is requantized or scaled row by row into the output, so no int32 image of the whole
//   output is written. With AVX-512BW two panels go through one 6 × 32 tile of twelve 512-bit accumulators (a pair's 16
//   pixels are one 64-byte load), the same operands and sums.
//
// Every sum is exact in int32 in any order, so the scalar, Vector128 and AVX2 paths agree bit for bit.
public static partial class Kernels
{
    /// <summary>Where finished accumulators go.</summary>
    private interface IConvGemmOutput
    {
        /// <summary>A dense row segment: <c>acc[t]</c> is channel <c>m</c> at pixel <c>p + t</c> (scratch: it may be overwritten).</summary>
        void Write(int m, int p, Span<int> acc, SimdLevel level);

        /// <summary>
        /// A run of wide pixels (see the file header): <c>acc[t]</c> is channel <c>m</c> at wide pixel <c>p0 + t</c>, that is output
        /// row <c>(p0 + t) / wq</c>, column <c>(p0 + t) mod wq</c>, dropped when that column is <paramref name="ow"/> or more.
        /// <paramref name="acc"/> may be overwritten, and so may <paramref name="codes"/>, which holds at least acc.Length bytes.
        /// </summary>
        void WriteWide(int m, int p0, Span<int> acc, int wq, int ow, Span<byte> codes, SimdLevel level);

        /// <summary>
        /// <see cref="WriteWide"/> for the <paramref name="rows"/> channels <c>m</c>, <c>m + 1</c>, … of a row block at once
        /// (channel <c>m + r</c>'s run at <c>blockAcc[r · stride]</c>, <paramref name="count"/> long), sparing a call chain per row;
        /// false if this output does not do that, and the caller writes row by row.
        /// </summary>
        bool WriteRows(int m, int rows, int p0, Span<int> blockAcc, int stride, int count, int wq, int ow, Span<byte> codes, SimdLevel level);
    }

    /// <summary>
    /// The dense pixels [Start, End) that the wide pixels [p0, p0 + count) hold: those whose column is below
    /// <paramref name="ow"/> (wide pixel p is output row p / wq, column p mod wq).
    /// </summary>
    private static (int Start, int End) DenseRange(int p0, int count, int wq, int ow)
    {
        int firstOh = p0 / wq;
        int lastOh = (p0 + count - 1) / wq;
        return ((firstOh * ow) + Math.Min(p0 - (firstOh * wq), ow), (lastOh * ow) + Math.Min(p0 + count - (lastOh * wq), ow));
    }

    /// <summary>
    /// Copies the valid pixels of a run of wide pixels [p0, p0 + count), elements of <paramref name="elementSize"/> bytes from
    /// <paramref name="source"/> (wide pixel p0 at offset 0), to their dense places <c>oh · ow + column − denseBase</c> from
    /// <paramref name="dense"/>, in increasing order. Forward, so it may compact in place (every dense index is at or below
    /// its wide one). When <paramref name="disjoint"/> (source and destination do not overlap), a run of at most 8 bytes is
    /// stored as 8 bytes if they stay inside the dense range of this call: the runs after it overwrite the excess.
    /// </summary>
    private static void CopyWideRuns(ref byte source, ref byte dense, int denseBase, int p0, int count, int wq, int ow, int elementSize, bool disjoint)
    {
        int oh = p0 / wq;
        int column = p0 - (oh * wq);
        int endByte = (DenseRange(p0, count, wq, ow).End - denseBase) * elementSize;
        for (int t = 0; t < count; oh++, column = 0)
        {
            int run = Math.Min(count - t, wq - column);
            int bytes = Math.Min(run, ow - column) * elementSize;
            int at = ((oh * ow) + column - denseBase) * elementSize;
            if (disjoint && bytes > 0 && bytes <= 8 && at + 8 <= endByte)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dense, at), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, t * elementSize)));
            }
            else if (bytes > 0)
            {
                CopySmall(ref Unsafe.Add(ref source, t * elementSize), ref Unsafe.Add(ref dense, at), bytes);
            }

            t += run;
        }
    }

    /// <summary>
    /// One group of a non-depthwise convolution: writes <c>acc[i, p] = bias[i] + Σ_k w[i, k] · col[k, p]</c> of every
    /// channel <c>firstChannel + i</c> and pixel p to <paramref name="output"/>, one output-row run of a block at a time.
    /// <paramref name="packedWeights"/> is this group's packed weights, or empty to pack <paramref name="weights"/> into scratch.
    /// With <paramref name="sevenBit"/>, the 7-bit tiles of ConvGemmU8S7.cs: <c>acc[i, p] = bias[i] + 4 · Σ_k w[i, k] · (col[k, p] &gt;&gt; 1)</c>
    /// over 7-bit weights, packed weights in their layout.
    /// </summary>
    private static unsafe void ConvGemmU8S8Group<TOutput>(ReadOnlySpan<byte> xg, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, int firstChannel, Span<byte> scratch, ConvGemmLayout? layout, ref TOutput output, SimdLevel level, bool sevenBit = false)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        int rows = g.GroupOutputChannels;
        int patch = g.PatchLength;
        // Pairs of taps in 16-bit halves, or (7-bit) an even count of quads of bytes, per int32 of the panels and weights.
        int pairs = sevenBit ? SevenBitQuads(patch) : PatchPairs(patch);
        int panelInts = PanelInts(patch);
        int blockPixels = layout?.BlockPixels ?? ConvGemmU8S8BlockPixels(g);
        int panelLength = pairs * GemmTilePixels;
        int weightsLength = packedWeights.IsEmpty ? (sevenBit ? ConvGemmU8S7GroupWeightsLength(g) : ConvGemmU8S8GroupWeightsLength(g)) : 0;
        var image = layout?.Image ?? ConvGemmImage.For(g);
        int rowPixels = layout?.RowPixels ?? ConvGemmRowPixels(g);
        int widePixels = g.OH * rowPixels;
        int stride = g.StrideW;

        fixed (byte* scratchStart = scratch)
        {
            int align = (int)((GemmScratchAlignment - ((nint)scratchStart % GemmScratchAlignment)) % GemmScratchAlignment);
            var panels = MemoryMarshal.Cast<byte, int>(scratch.Slice(align, 4 * panelInts * blockPixels));
            var rest = scratch[(align + (4 * panelInts * blockPixels))..];
            var blockAcc = MemoryMarshal.Cast<byte, int>(rest[..(4 * GemmTileRows * blockPixels)]);
            rest = rest[(4 * GemmTileRows * blockPixels)..];
            var codes = rest[..blockPixels];
            rest = rest[blockPixels..];
            var tapOffsets = MemoryMarshal.Cast<byte, int>(rest[..(4 * patch)]);
            rest = rest[(4 * patch)..];
            if (packedWeights.IsEmpty)
            {
                var own = MemoryMarshal.Cast<byte, int>(rest[..(4 * weightsLength)]);
                if (sevenBit)
                {
                    PackConvGemmU8S7GroupWeights(weights, g, own);
                }
                else
                {
                    PackConvGemmU8S8GroupWeights(weights, g, own);
                }

                packedWeights = own;
                rest = rest[(4 * weightsLength)..];
            }

            // The source the panels are packed from: x itself, the padded image, or the dense columns built from it. A prepared
            // layout holds the tap offsets; without one they are derived into scratch (the image's first when dense columns
            // are built from them).
            bool readsInput = layout?.ReadsInput ?? ConvGemmReadsInput(g);
            bool dense = layout?.Dense ?? (!readsInput && rowPixels != image.Wq);
            ReadOnlySpan<byte> source = xg;
            if (!readsInput)
            {
                var padded = rest[..image.Length];
                PadConvGemmImage(xg, g, image, zeroPoint, padded);
                source = padded;
                if (dense)
                {
                    ReadOnlySpan<int> imageTaps = layout?.ImageTapOffsets ?? default;
                    int imageLast = layout?.ImageLastOffset ?? 0;
                    if (layout is null)
                    {
                        image.TapOffsets(g, tapOffsets);
                        imageTaps = tapOffsets;
                        imageLast = MaxTapOffset(imageTaps);
                    }

                    var columns = rest.Slice(image.Length, layout?.DenseLength ?? DenseColumnsLength(g));
                    BuildDenseColumns(padded, imageTaps, imageLast, g, image, columns, level);
                    source = columns;
                    stride = 1;
                }
            }

            ReadOnlySpan<int> panelTaps = layout?.TapOffsets ?? default;
            if (layout is null)
            {
                PanelTapOffsets(g, image, rowPixels, readsInput, dense, tapOffsets);
                panelTaps = tapOffsets;
            }

            int lastOffset = layout?.LastOffset ?? MaxTapOffset(panelTaps);
            Span<int> blockBias = stackalloc int[GemmTileRows];

            // Only the last block can leave pixels past whole panels (blocks are whole panels): those may go through the GEMV.
            int tail = ConvGemmGemvTailPixels(widePixels - ((widePixels - 1) / blockPixels * blockPixels), rows, patch);
            Span<int> tailAcc = tail > 0 ? stackalloc int[tail * rows] : default;
            Span<byte> tailColumn = tail > 0 ? stackalloc byte[patch] : default;
            for (int p0 = 0; p0 < widePixels; p0 += blockPixels)
            {
                int count = Math.Min(blockPixels, widePixels - p0);
                int tiled = count;
                if (p0 + count == widePixels && tail > 0)
                {
                    tiled = count - tail;
                    ConvGemmGemvTail(source, panelTaps, lastOffset, stride, p0 + tiled, tail, weights, bias, tailColumn, tailAcc, level, sevenBit);
                }

                int panelCount = (tiled + GemmTilePixels - 1) / GemmTilePixels;
                if (sevenBit)
                {
                    PackColumnPanelsU7(source, panelTaps, lastOffset, stride, p0, panelCount, panels, panelLength, level);
                }
                else if (level >= SimdLevel.Vector256 && Avx2.IsSupported && stride <= 2)
                {
                    PackColumnPanelsU8Avx2(source, panelTaps, lastOffset, stride, p0, panelCount, panels, panelLength);
                }
                else
                {
                    for (int q = 0; q < panelCount; q++)
                    {
                        PackColumnPanelU8(source, panelTaps, lastOffset, stride, p0 + (q * GemmTilePixels), panels.Slice(q * panelLength, panelLength), level);
                    }
                }

                for (int b = 0; b * GemmTileRows < rows; b++)
                {
                    int tileRows = Math.Min(GemmTileRows, rows - (b * GemmTileRows));
                    blockBias.Clear();
                    bias.Slice(b * GemmTileRows, tileRows).CopyTo(blockBias);
                    var weightBlock = packedWeights.Slice(b * pairs * GemmTileRows, pairs * GemmTileRows);
                    if (sevenBit)
                    {
                        GemmRowBlockU8S7(panels, panelLength, weightBlock, blockBias, pairs, tiled, blockAcc, blockPixels, level);
                    }
                    else if (level >= SimdLevel.Vector256 && Avx2.IsSupported)
                    {
                        GemmRowBlockU8S8Avx2(panels, panelLength, weightBlock, blockBias, pairs, tiled, blockAcc, blockPixels, level);
                    }
                    else
                    {
                        for (int q = 0; q < panelCount; q++)
                        {
                            int at = q * GemmTilePixels;
                            GemmTileU8S8(panels.Slice(q * panelLength, panelLength), weightBlock, blockBias, pairs, Math.Min(GemmTilePixels, tiled - at), blockAcc[at..], blockPixels, level);
                        }
                    }

                    for (int t = tiled; t < count; t++)
                    {
                        for (int r = 0; r < tileRows; r++)
                        {
                            blockAcc[(r * blockPixels) + t] = tailAcc[((t - tiled) * rows) + (b * GemmTileRows) + r];
                        }
                    }

                    int channel = firstChannel + (b * GemmTileRows);
                    if (!output.WriteRows(channel, tileRows, p0, blockAcc, blockPixels, count, rowPixels, g.OW, codes, level))
                    {
                        for (int r = 0; r < tileRows; r++)
                        {
                            output.WriteWide(channel + r, p0, blockAcc.Slice(r * blockPixels, count), rowPixels, g.OW, codes, level);
                        }
                    }
                }
            }
        }
    }
}
