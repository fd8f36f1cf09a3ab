using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The u8 × s8 convolution's padded, phase-split image (see ConvGemmU8S8.cs): x copied once per call with the zero point
// around it, so that every tap of a panel is an in-bounds read at a fixed offset.
public static partial class Kernels
{
    /// <summary>
    /// The padded, phase-split image the column panels are read from (see the file header): Wq wide pixels per output row,
    /// Hq rows per phase, Wp = sw · Wq bytes per row, sh phases per channel, and the bytes a group needs including the
    /// reads of the last panel's unused lanes.
    /// </summary>
    internal readonly record struct ConvGemmImage(int Wq, int Hq, int Wp, int ChannelStride, int Length)
    {
        public static ConvGemmImage For(in ConvGeometry g)
        {
            int wq = g.OW + ((((g.KW - 1) * g.DilationW) + g.StrideW) / g.StrideW) - 1;
            int hq = g.OH + ((g.KH - 1) * g.DilationH / g.StrideH);
            int wp = g.StrideW * wq;
            int channelStride = g.StrideH * hq * wp;
            int panels = ((g.OH * wq) + GemmTilePixels - 1) / GemmTilePixels;
            int length = (g.GroupInputChannels * channelStride) + (g.StrideW * GemmTilePixels * panels) + (2 * GemmTilePixels);
            return new ConvGemmImage(wq, hq, wp, channelStride, length);
        }

        /// <summary>Where each tap k = (c·KH + kh)·KW + kw of wide pixel 0 lies: channel c, phase (kh·dh) mod sh, row (kh·dh) / sh, column kw·dw.</summary>
        public void TapOffsets(in ConvGeometry g, Span<int> offsets)
        {
            // Channel 0's taps first (the phase and row of each kh take a division), then every other channel's shifted.
            int taps = g.KH * g.KW;
            var first = offsets[..taps];
            for (int kh = 0; kh < g.KH; kh++)
            {
                int rowShift = kh * g.DilationH;
                int rowStart = (((rowShift % g.StrideH) * Hq) + (rowShift / g.StrideH)) * Wp;
                for (int kw = 0; kw < g.KW; kw++)
                {
                    first[(kh * g.KW) + kw] = rowStart + (kw * g.DilationW);
                }
            }

            for (int c = 1; c < g.GroupInputChannels; c++)
            {
                var channel = offsets.Slice(c * taps, taps);
                int shift = c * ChannelStride;
                for (int t = 0; t < taps; t++)
                {
                    channel[t] = first[t] + shift;
                }
            }
        }
    }

    /// <summary>
    /// Fills the padded image: phase e of channel c, row r, column j holds <c>x[c, r·sh + e − pt, j − pl]</c>, or
    /// <paramref name="fill"/> outside x; the bytes after the last channel (read only by unused lanes) are also set to it.
    /// </summary>
    private static void PadConvGemmImage(ReadOnlySpan<byte> xg, in ConvGeometry g, ConvGemmImage image, byte fill, Span<byte> padded)
    {
        int channels = g.GroupInputChannels;
        int plane = g.H * g.W;
        int left = Math.Min(g.PadLeft, image.Wp);
        int columns = Math.Min(g.W, image.Wp - left);

        // Unpadded, stride 1, full-width rows: the image is x itself followed by the panels' slack. Copied 32 bytes at a
        // time: memmove's `rep movsb` for a few KiB measured over a microsecond a call on this Zen 3 (perf, FashionCnn's 1 × 1).
        if (g.PadTop == 0 && left == 0 && g.StrideH == 1 && image.Hq == g.H && image.Wp == g.W)
        {
            CopySmall(ref MemoryMarshal.GetReference(xg[..(channels * plane)]), ref MemoryMarshal.GetReference(padded[..(channels * plane)]), channels * plane);
            padded[(channels * plane)..].Fill(fill);
            return;
        }

        // One fill for all the padding, then the rows of x (one memset beats a few small ones per row).
        padded.Fill(fill);
        if (columns <= 0)
        {
            return;
        }

        ref byte xRef = ref MemoryMarshal.GetReference(xg);
        ref byte padRef = ref MemoryMarshal.GetReference(padded);
        bool rowsInRegisters = PaddedRowU8.Fits(left, columns);
        var paddedRow = rowsInRegisters ? new PaddedRowU8(left, columns, fill) : default;

        // Phase e holds the input rows ih = r·sh + e − pt for r in [first, end), in order (a row store's excess lands on the
        // rows after it: they are written later, or padding).
        int rowStep = g.StrideH * g.W;
        int lastFrom = xg.Length - 16;
        int lastTo = padded.Length - PaddedRowU8.Store;
        for (int c = 0; c < channels; c++)
        {
            for (int e = 0; e < g.StrideH; e++)
            {
                int first = Math.Max(0, (g.PadTop - e + g.StrideH - 1) / g.StrideH);
                int end = Math.Min(image.Hq, (g.H + g.PadTop - e + g.StrideH - 1) / g.StrideH);
                int from = (c * plane) + ((((first * g.StrideH) + e - g.PadTop)) * g.W);
                int to = (c * image.ChannelStride) + (((e * image.Hq) + first) * image.Wp);
                for (int r = first; r < end; r++, from += rowStep, to += image.Wp)
                {
                    if (rowsInRegisters && from <= lastFrom && to <= lastTo)
                    {
                        paddedRow.Write(ref Unsafe.Add(ref xRef, from), ref Unsafe.Add(ref padRef, to));
                    }
                    else
                    {
                        CopySmall(ref Unsafe.Add(ref xRef, from), ref Unsafe.Add(ref padRef, to + left), columns);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A padded row of short input rows (left + columns ≤ 16) built in a register and stored whole: fill, the row's
    /// codes, then fill up to 32 bytes. The kernels' later 16-byte reads of the row then come from one store (a read that
    /// spans several smaller stores waits for them to reach the cache), and one shuffle replaces the short copies. The bytes
    /// past the row's width land on the rows after it in memory, which are padding (where fill belongs) or written later.
    /// </summary>
    private readonly struct PaddedRowU8
    {
        /// <summary>Bytes each row store writes: the rows' buffers keep this much room past the last row's start.</summary>
        public const int Store = 32;

        private readonly Vector128<byte> _control;
        private readonly Vector128<byte> _fillOutside;
        private readonly Vector128<byte> _fill;

        public PaddedRowU8(int left, int columns, byte fill)
        {
            var index = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            var inside = Vector128.GreaterThanOrEqual(index, Vector128.Create((byte)left)) & Vector128.LessThan(index, Vector128.Create((byte)(left + columns)));
            _control = Vector128.ConditionalSelect(inside, index - Vector128.Create((byte)left), Vector128.Create((byte)0x80));
            _fill = Vector128.Create(fill);
            _fillOutside = Vector128.AndNot(_fill, inside);
        }

        /// <summary>Whether rows of <paramref name="columns"/> codes after <paramref name="left"/> fill bytes fit one shuffle.</summary>
        public static bool Fits(int left, int columns) => Ssse3.IsSupported && left >= 0 && columns > 0 && left + columns <= 16;

        /// <summary>Reads 16 bytes from <paramref name="source"/> and writes <see cref="Store"/> bytes from <paramref name="row"/> (both in bounds: the caller checks).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ref byte source, ref byte row)
        {
            var low = Ssse3.Shuffle(Vector128.LoadUnsafe(ref source), _control) | _fillOutside;
            Vector256.Create(low, _fill).StoreUnsafe(ref row);
        }

        /// <summary>
        /// Reads 16 bytes from <paramref name="source"/> and writes the padded row's 16 codes zero-extended to 16 bits
        /// (32 bytes) from <paramref name="row"/> (both in bounds: the caller checks).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void WriteWide(ref byte source, ref short row)
        {
            var low = Ssse3.Shuffle(Vector128.LoadUnsafe(ref source), _control) | _fillOutside;
            Avx2.ConvertToVector256Int16(low).StoreUnsafe(ref row);
        }
    }
}
