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
//   output is written.
//
// Every sum is exact in int32 in any order, so the scalar, Vector128 and AVX2 paths agree bit for bit.
public static partial class Kernels
{
    /// <summary>Output channels per micro-kernel tile.</summary>
    private const int GemmTileRows = 6;

    /// <summary>Pixels per micro-kernel tile and per packed column panel.</summary>
    private const int GemmTilePixels = 16;

    /// <summary>Bytes a pixel block's im2col codes and packed panels may take (about half of a 512 KiB L2).</summary>
    private const int GemmBlockBytes = 256 * 1024;

    /// <summary>Alignment slack: the packed panels start on a cache line inside the caller's scratch.</summary>
    private const int GemmScratchAlignment = 64;

    /// <summary>Int32 pairs packing a patch of <paramref name="patch"/> values.</summary>
    private static int PatchPairs(int patch) => (patch + 1) / 2;

    private static int GemmRowBlocks(int rows) => (rows + GemmTileRows - 1) / GemmTileRows;

    /// <summary>Ints of one group's packed weights: ⌈(M/G) / 6⌉ blocks of pairs × 6.</summary>
    private static int ConvGemmU8S8GroupWeightsLength(in ConvGeometry g)
        => GemmRowBlocks(g.GroupOutputChannels) * PatchPairs(g.PatchLength) * GemmTileRows;

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

    /// <summary>Whether the panels are read from x itself: a 1×1, stride-1, unpadded convolution whose pixels fill whole panels.</summary>
    private static bool ConvGemmReadsInput(in ConvGeometry g)
        => g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0
            && g.OH == g.H && g.OW == g.W && g.OH * g.OW % GemmTilePixels == 0;

    /// <summary>
    /// Whether a one-group u8 × s8 convolution reads all of x into its scratch before it writes any output, so that its output
    /// may overwrite its input: true for the matrix-product path when it pads an image (not for depthwise convolutions, which
    /// copy one channel at a time, nor for 1×1 convolutions that read x in place).
    /// </summary>
    internal static bool ConvU8S8CopiesInputFirst(in ConvGeometry g) => g.Group == 1 && !g.IsDepthwise && !ConvGemmReadsInput(g);

    /// <summary>Outputs at most for which <see cref="UsesDenseColumns"/> builds an explicit column matrix.</summary>
    private const int DenseColumnsMaxPixels = 256;

    /// <summary>
    /// Whether the panels are packed from an explicit im2col matrix of the OH · OW real pixels (rows of ⌈OH·OW / 16⌉ · 16
    /// codes, copied once per call from the padded image) rather than from the wide pixels: when the wide pixels past each
    /// output row would cost at least 10 % more micro-kernel work (ResNet-18's 3×3 layers on 7×7 and 14×14 outputs: 12.5 %
    /// and 11 %) and the matrix stays small. The 8-wide tail tile counts half.
    /// </summary>
    private static bool UsesDenseColumns(in ConvGeometry g)
    {
        int dense = g.OH * g.OW;
        if (ConvGemmReadsInput(g) || dense > DenseColumnsMaxPixels)
        {
            return false;
        }

        return 10 * TileWork(dense) <= 9 * TileWork(g.OH * ConvGemmImage.For(g).Wq);
    }

    /// <summary>
    /// <c>vpmaddwd</c> per pair and row block to cover <paramref name="pixels"/>: 12 per full 16-pixel tile, then 6 for a last
    /// tile of 5 to 8 pixels, 12 for 9 to 15, and one per pixel up to <see cref="GemmColumnsMaxWidth"/> (<see cref="GemmTileU8S8Avx2Columns"/>).
    /// </summary>
    private static int TileWork(int pixels)
    {
        int tail = pixels % GemmTilePixels;
        return (12 * (pixels / GemmTilePixels)) + (tail <= GemmColumnsMaxWidth ? tail : tail <= 8 ? 6 : 12);
    }

    /// <summary>Pixels per output row the matrix product runs over: OW with dense columns, else the Wq wide pixels.</summary>
    private static int ConvGemmRowPixels(in ConvGeometry g) => UsesDenseColumns(g) ? g.OW : ConvGemmImage.For(g).Wq;

    /// <summary>Bytes of the explicit column matrix (0 without dense columns): P rows of ⌈OH·OW / 16⌉ · 16 codes and 16 of slack.</summary>
    private static int DenseColumnsLength(in ConvGeometry g)
        => UsesDenseColumns(g) ? (g.PatchLength * DenseColumnsRow(g)) + GemmTilePixels : 0;

    private static int DenseColumnsRow(in ConvGeometry g) => ((g.OH * g.OW) + GemmTilePixels - 1) / GemmTilePixels * GemmTilePixels;

    /// <summary>
    /// What a non-depthwise u8 × s8 convolution derives from its geometry alone (not from M, so channel slices share it):
    /// the pixel block, the wide or dense pixel rows, the padded image, and the tap offsets its panels read, with the
    /// largest of them. <see cref="PlanRunner"/> prepares one per convolution op, so a run does no per-call index arithmetic
    /// (about 20 divisions and a pass over the patch per convolution); the kernels called without one derive the same
    /// values into their scratch.
    /// </summary>
    internal sealed class ConvGemmLayout
    {
        private readonly ConvGeometry _key;

        private ConvGemmLayout(in ConvGeometry g)
        {
            ValidateConvGeometry(g);
            _key = g with { M = g.Group };
            int patch = g.PatchLength;
            BlockPixels = ConvGemmU8S8BlockPixels(g);
            Image = ConvGemmImage.For(g);
            RowPixels = ConvGemmRowPixels(g);
            ReadsInput = ConvGemmReadsInput(g);
            Dense = !ReadsInput && RowPixels != Image.Wq;
            DenseLength = DenseColumnsLength(g);
            ImageTapOffsets = Dense ? new int[patch] : [];
            if (Dense)
            {
                Image.TapOffsets(g, ImageTapOffsets);
            }

            TapOffsets = new int[patch];
            PanelTapOffsets(g, Image, RowPixels, ReadsInput, Dense, TapOffsets);
            LastOffset = MaxTapOffset(TapOffsets);
            PackedScratchLength = ConvGemmU8S8ScratchLength(g, packedWeights: true);
            PoolFits = ConvU8S8MaxPool2x2Fits(g);
        }

        /// <summary>The layout of <paramref name="g"/>, or null for a depthwise convolution (its kernels need none).</summary>
        public static ConvGemmLayout? For(in ConvGeometry g) => g.IsDepthwise ? null : new ConvGemmLayout(g);

        public int BlockPixels { get; }

        public ConvGemmImage Image { get; }

        public int RowPixels { get; }

        public bool ReadsInput { get; }

        public bool Dense { get; }

        public int DenseLength { get; }

        /// <summary>The offset of each tap in the source the panels are packed from (x, the padded image or the dense columns).</summary>
        public int[] TapOffsets { get; }

        /// <summary>With dense columns, the taps' offsets in the padded image they are built from; else empty.</summary>
        public int[] ImageTapOffsets { get; }

        public int LastOffset { get; }

        /// <summary>Scratch bytes with the weights pre-packed (<see cref="ConvU8S8ScratchLength(in ConvGeometry, bool)"/>; the same for any M).</summary>
        public int PackedScratchLength { get; }

        /// <summary><see cref="ConvU8S8MaxPool2x2Fits"/> of the geometry.</summary>
        public bool PoolFits { get; }

        /// <summary>Whether this layout is <paramref name="g"/>'s (any M).</summary>
        public bool Fits(in ConvGeometry g) => _key == g with { M = g.Group };
    }

    /// <summary>
    /// The offset of each tap in the source the panels are packed from: <c>k · OH · row</c> in x itself (a convolution that
    /// reads its input in place), <c>k · row</c> in the explicit column matrix (dense), else the tap's place in the padded image.
    /// </summary>
    private static void PanelTapOffsets(in ConvGeometry g, ConvGemmImage image, int rowPixels, bool readsInput, bool dense, Span<int> offsets)
    {
        if (!readsInput && !dense)
        {
            image.TapOffsets(g, offsets);
            return;
        }

        int step = readsInput ? g.OH * rowPixels : DenseColumnsRow(g);
        for (int k = 0; k < offsets.Length; k++)
        {
            offsets[k] = k * step;
        }
    }

    /// <summary>Pixels (wide or dense) per block: a multiple of <see cref="GemmTilePixels"/> whose packed panels fit <see cref="GemmBlockBytes"/>.</summary>
    private static int ConvGemmU8S8BlockPixels(in ConvGeometry g)
    {
        int fit = GemmBlockBytes / (4 * PatchPairs(g.PatchLength)) / GemmTilePixels * GemmTilePixels;
        int all = ((g.OH * ConvGemmRowPixels(g)) + GemmTilePixels - 1) / GemmTilePixels * GemmTilePixels;
        return Math.Max(GemmTilePixels, Math.Min(fit, all));
    }

    /// <summary>
    /// The explicit column matrix: <c>dense[k · row + oh · OW + ow] = padded[tapOffsets[k] + sw · (oh · Wq + ow)]</c>. Rows of
    /// fewer than 16 outputs are copied as 16 codes; the excess lands on the next output row, the next tap's row or the slack,
    /// all written later or never read for a kept pixel.
    /// </summary>
    private static void BuildDenseColumns(ReadOnlySpan<byte> padded, ReadOnlySpan<int> tapOffsets, in ConvGeometry g, ConvGemmImage image, Span<byte> dense)
    {
        int row = DenseColumnsRow(g);
        int stride = g.StrideW;
        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte dst = ref MemoryMarshal.GetReference(dense[..((tapOffsets.Length * row) + GemmTilePixels)]);
        int last = MaxTapOffset(tapOffsets);
        if ((long)last + (stride * (((g.OH - 1) * image.Wq) + Math.Max(g.OW - GemmTilePixels, 0) + GemmTilePixels)) > padded.Length)
        {
            ThrowShape("The padded image is too short for the column copies.");
        }

        if (BuildDenseColumnsShuffled(padded, tapOffsets, g, image, dense))
        {
            return;
        }

        for (int k = 0; k < tapOffsets.Length; k++)
        {
            int from = tapOffsets[k];
            int to = k * row;
            for (int oh = 0; oh < g.OH; oh++)
            {
                ref byte s = ref Unsafe.Add(ref src, from + (stride * oh * image.Wq));
                ref byte d = ref Unsafe.Add(ref dst, to + (oh * g.OW));
                for (int ow = 0; ow < g.OW; ow += GemmTilePixels)
                {
                    int at = g.OW >= GemmTilePixels ? Math.Min(ow, g.OW - GemmTilePixels) : 0;
                    LoadTapU8(ref s, stride * at, stride).StoreUnsafe(ref d, (nuint)at);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="BuildDenseColumns"/> for output rows of at most 8 pixels whose KW taps all lie in the 16 bytes from the row's
    /// first tap (FashionCnn's and ResNet-18's 7 × 7 outputs): one load per input channel, kernel row and output row, then one
    /// <c>pshufb</c> and one 8-byte store per tap instead of a strided 16-byte copy per tap. The store's bytes past OW land on
    /// the next output row (written next) or the row's padding, never on another tap's row. Returns false where it does not
    /// apply (then nothing is written).
    /// </summary>
    private static bool BuildDenseColumnsShuffled(ReadOnlySpan<byte> padded, ReadOnlySpan<int> tapOffsets, in ConvGeometry g, ConvGemmImage image, Span<byte> dense)
    {
        int row = DenseColumnsRow(g);
        int kw = g.KW;
        int sw = g.StrideW;
        int taps = tapOffsets.Length;
        if (!Ssse3.IsSupported || g.OW > 8 || kw > 16 || taps % kw != 0 || ((g.OH - 1) * g.OW) + 8 > row)
        {
            return false;
        }

        // The taps of a kernel row sit at fixed distances from its first one; each gets the shuffle of its 8 outputs.
        Span<byte> control = stackalloc byte[16 * kw];
        for (int t = 0; t < kw; t++)
        {
            int distance = tapOffsets[t] - tapOffsets[0];
            if (distance < 0 || distance + (sw * (g.OW - 1)) > 15)
            {
                return false;
            }

            for (int i = 0; i < 16; i++)
            {
                control[(16 * t) + i] = i < g.OW ? (byte)(distance + (sw * i)) : (byte)0x80;
            }
        }

        long rowStep = (long)sw * image.Wq;
        for (int k0 = 0; k0 < taps; k0 += kw)
        {
            int first = tapOffsets[k0];
            if (first < 0 || first + (rowStep * (g.OH - 1)) + 16 > padded.Length)
            {
                return false;
            }

            for (int t = 1; t < kw; t++)
            {
                if (tapOffsets[k0 + t] - first != tapOffsets[t] - tapOffsets[0])
                {
                    return false;
                }
            }
        }

        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte dst = ref MemoryMarshal.GetReference(dense[..(taps * row)]);
        ref byte shuffles = ref MemoryMarshal.GetReference(control);
        if (kw == 3)
        {
            // 3 × 3 kernels, the common case, with the three shuffles in registers.
            var c0 = Vector128.LoadUnsafe(ref shuffles);
            var c1 = Vector128.LoadUnsafe(ref shuffles, 16);
            var c2 = Vector128.LoadUnsafe(ref shuffles, 32);
            nuint step = (nuint)rowStep;
            nuint tapRow = (nuint)row;
            for (int k0 = 0; k0 < taps; k0 += 3)
            {
                ref byte s = ref Unsafe.Add(ref src, tapOffsets[k0]);
                ref byte d = ref Unsafe.Add(ref dst, k0 * row);
                for (int oh = 0; oh < g.OH; oh++)
                {
                    var v = Vector128.LoadUnsafe(ref s);
                    Unsafe.WriteUnaligned(ref d, Ssse3.Shuffle(v, c0).AsUInt64().ToScalar());
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, tapRow), Ssse3.Shuffle(v, c1).AsUInt64().ToScalar());
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 2 * tapRow), Ssse3.Shuffle(v, c2).AsUInt64().ToScalar());
                    s = ref Unsafe.Add(ref s, step);
                    d = ref Unsafe.Add(ref d, g.OW);
                }
            }

            return true;
        }

        for (int k0 = 0; k0 < taps; k0 += kw)
        {
            ref byte s = ref Unsafe.Add(ref src, tapOffsets[k0]);
            for (int oh = 0; oh < g.OH; oh++)
            {
                var v = Vector128.LoadUnsafe(ref s, (nuint)(rowStep * oh));
                ref byte d = ref Unsafe.Add(ref dst, (k0 * row) + (oh * g.OW));
                for (int t = 0; t < kw; t++)
                {
                    var tap = Ssse3.Shuffle(v, Vector128.LoadUnsafe(ref shuffles, (nuint)(16 * t)));
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, t * row), tap.AsUInt64().ToScalar());
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Scratch of a non-depthwise u8 × s8 convolution, in bytes: one block's packed panels (4 · pairs · B), the accumulators
    /// of one tile row of it (4 · 6 · B) and one row of their codes (B), one group's padded image, tap offsets (4 · P), packed
    /// weights (unless given pre-packed), the explicit column matrix of small outputs (<see cref="UsesDenseColumns"/>), and
    /// alignment slack.
    /// </summary>
    private static int ConvGemmU8S8ScratchLength(in ConvGeometry g, bool packedWeights)
        => (((4 * (PatchPairs(g.PatchLength) + GemmTileRows)) + 1) * ConvGemmU8S8BlockPixels(g)) + ConvGemmImage.For(g).Length + (4 * g.PatchLength)
            + (packedWeights ? 0 : 4 * ConvGemmU8S8GroupWeightsLength(g)) + DenseColumnsLength(g) + GemmScratchAlignment;

    /// <summary>
    /// Ints of the pre-packed weights <see cref="PackConvU8S8Weights"/> returns for <paramref name="g"/>
    /// (0 for a depthwise convolution, which reads its weights directly).
    /// </summary>
    public static int ConvU8S8PackedWeightsLength(in ConvGeometry g)
        => g.IsDepthwise ? 0 : g.Group * ConvGemmU8S8GroupWeightsLength(g);

    /// <summary>
    /// The weights [M, C/G·KH·KW] of a u8 × s8 convolution in the micro-kernel's layout, for the <c>packedWeights</c>
    /// overloads of <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>:
    /// per group, blocks of 6 output channels, each <c>[⌈P/2⌉][6]</c> int32 holding <c>(ushort)w[i, 2j] | w[i, 2j+1] &lt;&lt; 16</c>
    /// (zero past the patch and past the last channel). Packing once saves each call the rearrangement.
    /// </summary>
    public static int[] PackConvU8S8Weights(ReadOnlySpan<sbyte> weights, in ConvGeometry g)
    {
        ValidateConvGeometry(g);
        if (weights.Length != g.M * g.PatchLength)
        {
            ThrowShape($"Conv {g} needs {g.M * g.PatchLength} weights; got {weights.Length}.");
        }

        var packed = new int[ConvU8S8PackedWeightsLength(g)];
        if (packed.Length == 0)
        {
            return packed;
        }

        int groupWeights = g.GroupOutputChannels * g.PatchLength;
        int groupPacked = ConvGemmU8S8GroupWeightsLength(g);
        for (int group = 0; group < g.Group; group++)
        {
            PackConvGemmU8S8GroupWeights(weights.Slice(group * groupWeights, groupWeights), g, packed.AsSpan(group * groupPacked, groupPacked));
        }

        return packed;
    }

    private static void PackConvGemmU8S8GroupWeights(ReadOnlySpan<sbyte> weights, in ConvGeometry g, Span<int> packed)
    {
        int rows = g.GroupOutputChannels;
        int patch = g.PatchLength;
        int pairs = PatchPairs(patch);
        packed.Clear();
        for (int i = 0; i < rows; i++)
        {
            var w = weights.Slice(i * patch, patch);
            var block = packed.Slice(i / GemmTileRows * pairs * GemmTileRows, pairs * GemmTileRows);
            int r = i % GemmTileRows;
            for (int j = 0; j < pairs; j++)
            {
                int high = (2 * j) + 1 < patch ? w[(2 * j) + 1] : 0;
                block[(j * GemmTileRows) + r] = (ushort)(short)w[2 * j] | (high << 16);
            }
        }
    }

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
    /// </summary>
    private static unsafe void ConvGemmU8S8Group<TOutput>(ReadOnlySpan<byte> xg, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, int firstChannel, Span<byte> scratch, ConvGemmLayout? layout, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        int rows = g.GroupOutputChannels;
        int patch = g.PatchLength;
        int pairs = PatchPairs(patch);
        int blockPixels = layout?.BlockPixels ?? ConvGemmU8S8BlockPixels(g);
        int panelLength = pairs * GemmTilePixels;
        int weightsLength = packedWeights.IsEmpty ? ConvGemmU8S8GroupWeightsLength(g) : 0;
        var image = layout?.Image ?? ConvGemmImage.For(g);
        int rowPixels = layout?.RowPixels ?? ConvGemmRowPixels(g);
        int widePixels = g.OH * rowPixels;
        int stride = g.StrideW;

        fixed (byte* scratchStart = scratch)
        {
            int align = (int)((GemmScratchAlignment - ((nint)scratchStart % GemmScratchAlignment)) % GemmScratchAlignment);
            var panels = MemoryMarshal.Cast<byte, int>(scratch.Slice(align, 4 * pairs * blockPixels));
            var rest = scratch[(align + (4 * pairs * blockPixels))..];
            var blockAcc = MemoryMarshal.Cast<byte, int>(rest[..(4 * GemmTileRows * blockPixels)]);
            rest = rest[(4 * GemmTileRows * blockPixels)..];
            var codes = rest[..blockPixels];
            rest = rest[blockPixels..];
            var tapOffsets = MemoryMarshal.Cast<byte, int>(rest[..(4 * patch)]);
            rest = rest[(4 * patch)..];
            if (packedWeights.IsEmpty)
            {
                var own = MemoryMarshal.Cast<byte, int>(rest[..(4 * weightsLength)]);
                PackConvGemmU8S8GroupWeights(weights, g, own);
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
                    if (layout is null)
                    {
                        image.TapOffsets(g, tapOffsets);
                        imageTaps = tapOffsets;
                    }

                    var columns = rest.Slice(image.Length, layout?.DenseLength ?? DenseColumnsLength(g));
                    BuildDenseColumns(padded, imageTaps, g, image, columns);
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
            for (int p0 = 0; p0 < widePixels; p0 += blockPixels)
            {
                int count = Math.Min(blockPixels, widePixels - p0);
                int panelCount = (count + GemmTilePixels - 1) / GemmTilePixels;
                if (level >= SimdLevel.Vector256 && Avx2.IsSupported && stride <= 2)
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
                    if (level >= SimdLevel.Vector256 && Avx2.IsSupported)
                    {
                        GemmRowBlockU8S8Avx2(panels, panelLength, weightBlock, blockBias, pairs, count, blockAcc, blockPixels);
                    }
                    else
                    {
                        for (int q = 0; q < panelCount; q++)
                        {
                            int at = q * GemmTilePixels;
                            GemmTileU8S8(panels.Slice(q * panelLength, panelLength), weightBlock, blockBias, pairs, Math.Min(GemmTilePixels, count - at), blockAcc[at..], blockPixels, level);
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
        for (int c = 0; c < channels; c++)
        {
            for (int e = 0; e < g.StrideH; e++)
            {
                for (int r = 0; r < image.Hq; r++)
                {
                    int ih = (r * g.StrideH) + e - g.PadTop;
                    if ((uint)ih < (uint)g.H)
                    {
                        int from = (c * plane) + (ih * g.W);
                        int to = (c * image.ChannelStride) + (((e * image.Hq) + r) * image.Wp);
                        if (rowsInRegisters && from <= xg.Length - 16 && to <= padded.Length - PaddedRowU8.Store)
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
    }

    /// <summary>
    /// One column panel at wide pixel <paramref name="p"/>: <c>panel[j·16 + t] = col[2j, t] | col[2j+1, t] &lt;&lt; 16</c> with
    /// <c>col[k, t] = source[tapOffsets[k] + stride · (p + t)]</c> and <c>col[P, t] = 0</c> for an odd patch P.
    /// </summary>
    private static void PackColumnPanelU8(ReadOnlySpan<byte> source, ReadOnlySpan<int> tapOffsets, int lastOffset, int stride, int p, Span<int> panel, SimdLevel level)
    {
        int patch = tapOffsets.Length;
        int pairs = PatchPairs(patch);
        int start = stride * p;
        panel = panel[..(pairs * GemmTilePixels)];
        // AVX2 machines pack whole blocks in PackColumnPanelsU8Avx2; this is the Vector128 and scalar path.
        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated && stride <= 2)
        {
            // Every tap's 16 · stride bytes lie inside source (the image length covers the last panel's lanes);
            // lastOffset is the largest tap offset (MaxTapOffset), found once per call of the convolution.
            if ((long)lastOffset + start + (16 * stride) > source.Length)
            {
                ThrowShape("The padded image is too short for the panel reads.");
            }

            ref byte s = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), start);
            ref int o = ref MemoryMarshal.GetReference(tapOffsets);
            ref int d = ref MemoryMarshal.GetReference(panel);
            for (int j = 0; j < pairs; j++)
            {
                int k = 2 * j;
                var first = LoadTapU8(ref s, Unsafe.Add(ref o, k), stride);
                var second = k + 1 < patch ? LoadTapU8(ref s, Unsafe.Add(ref o, k + 1), stride) : Vector128<byte>.Zero;
                nuint at = (nuint)(j * GemmTilePixels);
                var (a0, a1) = Vector128.Widen(first);
                var (b0, b1) = Vector128.Widen(second);
                StorePairs128(a0, b0, ref d, at);
                StorePairs128(a1, b1, ref d, at + 8);
            }

            return;
        }

        for (int j = 0; j < pairs; j++)
        {
            int k = 2 * j;
            var first = source[(tapOffsets[k] + start)..];
            var packed = panel.Slice(j * GemmTilePixels, GemmTilePixels);
            if (k + 1 < patch)
            {
                var second = source[(tapOffsets[k + 1] + start)..];
                for (int t = 0; t < GemmTilePixels; t++)
                {
                    packed[t] = first[t * stride] | (second[t * stride] << 16);
                }
            }
            else
            {
                for (int t = 0; t < GemmTilePixels; t++)
                {
                    packed[t] = first[t * stride];
                }
            }
        }
    }

    /// <summary>
    /// <see cref="PackColumnPanelU8"/> for <paramref name="panelCount"/> consecutive panels from wide pixel <paramref name="p"/>
    /// (<paramref name="panelLength"/> ints apart), in AVX2, with one bounds check for all of them.
    /// </summary>
    private static void PackColumnPanelsU8Avx2(ReadOnlySpan<byte> source, ReadOnlySpan<int> tapOffsets, int lastOffset, int stride, int p, int panelCount, Span<int> panels, int panelLength)
    {
        int patch = tapOffsets.Length;
        if ((long)lastOffset + ((long)stride * (p + (GemmTilePixels * panelCount))) > source.Length
            || (long)panelCount * panelLength > panels.Length || panelLength < PatchPairs(patch) * GemmTilePixels)
        {
            ThrowShape("The padded image is too short for the panel reads.");
        }

        ref byte s = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), stride * p);
        ref int o = ref MemoryMarshal.GetReference(tapOffsets);
        ref int d = ref MemoryMarshal.GetReference(panels);
        for (int q = 0; q < panelCount; q++)
        {
            PackPanelAvx2(ref Unsafe.Add(ref s, stride * GemmTilePixels * q), ref o, patch, stride, ref Unsafe.Add(ref d, q * panelLength));
        }
    }

    /// <summary>One panel's pairs from the 16 · stride bytes at each tap offset of <paramref name="s"/> (bounds checked by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackPanelAvx2(ref byte s, ref int o, int patch, int stride, ref int d)
    {
        // Bytes interleaved (first[t], second[t]) and zero-extended to 16 bits are the int32 pairs.
        int full = patch / 2;
        for (int j = 0; j < full; j++)
        {
            var first = LoadTapU8(ref s, Unsafe.Add(ref o, 2 * j), stride);
            var second = LoadTapU8(ref s, Unsafe.Add(ref o, (2 * j) + 1), stride);
            nuint at = (nuint)(j * GemmTilePixels);
            Avx2.ConvertToVector256Int16(Sse2.UnpackLow(first, second)).AsInt32().StoreUnsafe(ref d, at);
            Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(first, second)).AsInt32().StoreUnsafe(ref d, at + 8);
        }

        if ((patch & 1) != 0)
        {
            var first = LoadTapU8(ref s, Unsafe.Add(ref o, patch - 1), stride);
            nuint at = (nuint)(full * GemmTilePixels);
            Avx2.ConvertToVector256Int16(Sse2.UnpackLow(first, Vector128<byte>.Zero)).AsInt32().StoreUnsafe(ref d, at);
            Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(first, Vector128<byte>.Zero)).AsInt32().StoreUnsafe(ref d, at + 8);
        }
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes forward, 32 at a time, for a destination at or below the source or disjoint from
    /// it (the in-place compaction of accumulators, rows into a padded image): each chunk is read before it is written, and a
    /// chunk written never reaches source bytes not yet read. The last, overlapping chunk is read before the first write.
    /// The plans' rows are short, where a call to memmove costs more than the copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopySmall(ref byte source, ref byte destination, int length)
    {
        if (length >= 32)
        {
            var tail = Vector256.LoadUnsafe(ref source, (nuint)(length - 32));
            for (nuint i = 0; i < (nuint)(length - 32); i += 32)
            {
                Vector256.LoadUnsafe(ref source, i).StoreUnsafe(ref destination, i);
            }

            tail.StoreUnsafe(ref destination, (nuint)(length - 32));
        }
        else if (length >= 16)
        {
            var head = Vector128.LoadUnsafe(ref source);
            var tail = Vector128.LoadUnsafe(ref source, (nuint)(length - 16));
            head.StoreUnsafe(ref destination);
            tail.StoreUnsafe(ref destination, (nuint)(length - 16));
        }
        else if (length >= 8)
        {
            ulong head = Unsafe.ReadUnaligned<ulong>(ref source);
            ulong tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 8), tail);
        }
        else if (length >= 4)
        {
            uint head = Unsafe.ReadUnaligned<uint>(ref source);
            uint tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, length - 4));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 4), tail);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
            }
        }
    }

    /// <summary>Sixteen codes <c>s[offset + stride · t]</c>, stride 1 or 2 (2 narrows 16-bit lanes to their low bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> LoadTapU8(ref byte s, int offset, int stride)
    {
        if (stride == 1)
        {
            return Vector128.LoadUnsafe(ref s, (nuint)offset);
        }

        return Vector128.Narrow(Vector128.LoadUnsafe(ref s, (nuint)offset).AsUInt16(), Vector128.LoadUnsafe(ref s, (nuint)offset + 16).AsUInt16());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePairs128(Vector128<ushort> first, Vector128<ushort> second, ref int d, nuint at)
    {
        var (a0, a1) = Vector128.Widen(first);
        var (b0, b1) = Vector128.Widen(second);
        (a0 | (b0 << 16)).AsInt32().StoreUnsafe(ref d, at);
        (a1 | (b1 << 16)).AsInt32().StoreUnsafe(ref d, at + 4);
    }

    /// <summary>
    /// <c>tile[r·stride + t] = bias[r] + Σ_j (lo(panel[j·16 + t]) · lo(w[j·6 + r]) + hi(panel[j·16 + t]) · hi(w[j·6 + r]))</c>
    /// for r &lt; 6 and t &lt; <paramref name="width"/> (lo/hi the signed 16-bit halves); lanes up to 16 (8 when width ≤ 8) may
    /// also be written.
    /// </summary>
    private static void GemmTileU8S8(ReadOnlySpan<int> panel, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int pairs, int width, Span<int> tile, int stride, SimdLevel level)
    {
        panel = panel[..(pairs * GemmTilePixels)];
        weightBlock = weightBlock[..(pairs * GemmTileRows)];
        bias = bias[..GemmTileRows];
        tile = tile[..(((GemmTileRows - 1) * stride) + GemmTilePixels)];
        if (level >= SimdLevel.Vector256 && Avx2.IsSupported)
        {
            if (width > 8)
            {
                GemmTileU8S8Avx2x16(ref MemoryMarshal.GetReference(panel), ref MemoryMarshal.GetReference(weightBlock), bias, pairs, ref MemoryMarshal.GetReference(tile), (nuint)stride);
            }
            else if (width <= GemmColumnsMaxWidth)
            {
                GemmTileU8S8Avx2Columns(panel, weightBlock, bias, pairs, width, tile, stride);
            }
            else
            {
                GemmTileU8S8Avx2x8(ref MemoryMarshal.GetReference(panel), ref MemoryMarshal.GetReference(weightBlock), bias, pairs, ref MemoryMarshal.GetReference(tile), (nuint)stride);
            }

            return;
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            GemmTileU8S8Vector128(panel, weightBlock, bias, pairs, width, tile, stride);
            return;
        }

        for (int r = 0; r < GemmTileRows; r++)
        {
            for (int t = 0; t < width; t++)
            {
                int sum = bias[r];
                for (int j = 0; j < pairs; j++)
                {
                    int c = panel[(j * GemmTilePixels) + t];
                    int w = weightBlock[(j * GemmTileRows) + r];
                    sum += ((c & 0xFFFF) * (short)w) + ((c >>> 16) * (w >> 16));
                }

                tile[(r * stride) + t] = sum;
            }
        }
    }

    /// <summary>
    /// Every tile of one row block over <paramref name="count"/> pixels of packed panels (<paramref name="panelLength"/> ints
    /// apart), in AVX2: the full 16-pixel tiles in one loop with the micro-kernel inlined (no call and no span checks per
    /// tile, which cost about as much as a short patch's multiplies), then the last tile as <see cref="GemmTileU8S8"/> takes it.
    /// </summary>
    private static void GemmRowBlockU8S8Avx2(ReadOnlySpan<int> panels, int panelLength, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int pairs, int count, Span<int> blockAcc, int stride)
    {
        int full = count / GemmTilePixels;
        if (full > 0)
        {
            // Bounds of the full tiles: their panels, the block's weights and bias, and their accumulators.
            if ((long)full * panelLength > panels.Length || panelLength < pairs * GemmTilePixels || weightBlock.Length < pairs * GemmTileRows
                || bias.Length < GemmTileRows || ((long)(GemmTileRows - 1) * stride) + (full * GemmTilePixels) > blockAcc.Length)
            {
                ThrowShape("A row block's tiles lie outside their operands.");
            }

            ref int panel = ref MemoryMarshal.GetReference(panels);
            ref int weights = ref MemoryMarshal.GetReference(weightBlock);
            ref int acc = ref MemoryMarshal.GetReference(blockAcc);
            for (int q = 0; q < full; q++)
            {
                GemmTileU8S8Avx2x16(ref Unsafe.Add(ref panel, q * panelLength), ref weights, bias, pairs, ref Unsafe.Add(ref acc, q * GemmTilePixels), (nuint)stride);
            }
        }

        int at = full * GemmTilePixels;
        if (at < count)
        {
            GemmTileU8S8(panels.Slice(full * panelLength, panelLength), weightBlock, bias, pairs, count - at, blockAcc[at..], stride, SimdLevel.Vector256);
        }
    }

    /// <summary>The 6 × 16 tile in twelve accumulators: per pair two column loads, six broadcasts, twelve <c>vpmaddwd</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmTileU8S8Avx2x16(ref int panel, ref int weights, ReadOnlySpan<int> bias, int pairs, ref int t, nuint stride)
    {
        var a00 = Vector256.Create(bias[0]);
        var a10 = Vector256.Create(bias[1]);
        var a20 = Vector256.Create(bias[2]);
        var a30 = Vector256.Create(bias[3]);
        var a40 = Vector256.Create(bias[4]);
        var a50 = Vector256.Create(bias[5]);
        var (a01, a11, a21, a31, a41, a51) = (a00, a10, a20, a30, a40, a50);
        for (int j = 0; j < pairs; j++)
        {
            var c0 = Vector256.LoadUnsafe(ref panel).AsInt16();
            var c1 = Vector256.LoadUnsafe(ref panel, 8).AsInt16();
            var w = Vector256.Create(weights).AsInt16();
            a00 = Avx2.Add(a00, Avx2.MultiplyAddAdjacent(c0, w));
            a01 = Avx2.Add(a01, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 1)).AsInt16();
            a10 = Avx2.Add(a10, Avx2.MultiplyAddAdjacent(c0, w));
            a11 = Avx2.Add(a11, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 2)).AsInt16();
            a20 = Avx2.Add(a20, Avx2.MultiplyAddAdjacent(c0, w));
            a21 = Avx2.Add(a21, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 3)).AsInt16();
            a30 = Avx2.Add(a30, Avx2.MultiplyAddAdjacent(c0, w));
            a31 = Avx2.Add(a31, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 4)).AsInt16();
            a40 = Avx2.Add(a40, Avx2.MultiplyAddAdjacent(c0, w));
            a41 = Avx2.Add(a41, Avx2.MultiplyAddAdjacent(c1, w));
            w = Vector256.Create(Unsafe.Add(ref weights, 5)).AsInt16();
            a50 = Avx2.Add(a50, Avx2.MultiplyAddAdjacent(c0, w));
            a51 = Avx2.Add(a51, Avx2.MultiplyAddAdjacent(c1, w));
            panel = ref Unsafe.Add(ref panel, GemmTilePixels);
            weights = ref Unsafe.Add(ref weights, GemmTileRows);
        }

        a00.StoreUnsafe(ref t, 0);
        a01.StoreUnsafe(ref t, 8);
        a10.StoreUnsafe(ref t, stride);
        a11.StoreUnsafe(ref t, stride + 8);
        a20.StoreUnsafe(ref t, 2 * stride);
        a21.StoreUnsafe(ref t, (2 * stride) + 8);
        a30.StoreUnsafe(ref t, 3 * stride);
        a31.StoreUnsafe(ref t, (3 * stride) + 8);
        a40.StoreUnsafe(ref t, 4 * stride);
        a41.StoreUnsafe(ref t, (4 * stride) + 8);
        a50.StoreUnsafe(ref t, 5 * stride);
        a51.StoreUnsafe(ref t, (5 * stride) + 8);
    }

    /// <summary>The largest of the tap offsets (0 for none).</summary>
    private static int MaxTapOffset(ReadOnlySpan<int> tapOffsets)
    {
        int last = 0;
        foreach (int offset in tapOffsets)
        {
            last = Math.Max(last, offset);
        }

        return last;
    }

    /// <summary>Pixels at most of a panel's last tile that <see cref="GemmTileU8S8Avx2Columns"/> computes one column at a time.</summary>
    private const int GemmColumnsMaxWidth = 4;

    /// <summary>
    /// A last tile of at most four pixels (ResNet-18's and FashionCnn's 7 × 7 outputs leave 49 = 3 · 16 + 1) with the six
    /// channels in the lanes: per pair, one load of the block's six weights (eight lanes, the last two ignored) and one
    /// broadcast and one <c>vpmaddwd</c> per pixel (one, two or four columns), instead of six broadcasts and six
    /// <c>vpmaddwd</c> over eight pixels.
    /// </summary>
    private static void GemmTileU8S8Avx2Columns(ReadOnlySpan<int> panel, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int pairs, int width, Span<int> tile, int stride)
    {
        ref int p = ref MemoryMarshal.GetReference(panel[..(((pairs - 1) * GemmTilePixels) + width)]);
        ref int w = ref MemoryMarshal.GetReference(weightBlock[..(pairs * GemmTileRows)]);
        Span<int> lanes = stackalloc int[8];
        bias[..GemmTileRows].CopyTo(lanes);
        var start = Vector256.Create<int>(lanes);
        int t1 = Math.Min(1, width - 1);
        int t2 = Math.Min(2, width - 1);
        int t3 = Math.Min(3, width - 1);

        // Two sums per column, one over the even pairs and one over the odd: a vpmaddwd + vpaddd chain takes four cycles a
        // step, so a single column with one sum would wait on itself. Integer sums in any order are the same sum.
        // Eight lanes read two ints past the block's six, so the last pair's weights are loaded through the buffer.
        var (a0, a1, a2, a3) = (start, Vector256<int>.Zero, Vector256<int>.Zero, Vector256<int>.Zero);
        var (b0, b1, b2, b3) = (Vector256<int>.Zero, Vector256<int>.Zero, Vector256<int>.Zero, Vector256<int>.Zero);
        if (width > 1)
        {
            (a1, a2, a3) = (start, start, start);
        }

        int j = 0;
        if (width == 1)
        {
            // One column: four sums over the pairs j mod 4, so that four chains are in flight.
            for (; j + 4 < pairs; j += 4)
            {
                ref int c = ref Unsafe.Add(ref p, j * GemmTilePixels);
                ref int wj = ref Unsafe.Add(ref w, j * GemmTileRows);
                a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Vector256.Create(c).AsInt16(), Vector256.LoadUnsafe(ref wj).AsInt16()));
                b0 = Avx2.Add(b0, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, GemmTilePixels)).AsInt16(), Vector256.LoadUnsafe(ref wj, GemmTileRows).AsInt16()));
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, 2 * GemmTilePixels)).AsInt16(), Vector256.LoadUnsafe(ref wj, 2 * GemmTileRows).AsInt16()));
                b1 = Avx2.Add(b1, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, 3 * GemmTilePixels)).AsInt16(), Vector256.LoadUnsafe(ref wj, 3 * GemmTileRows).AsInt16()));
            }

            a0 += a1;
            b0 += b1;
            a1 = Vector256<int>.Zero;
            b1 = Vector256<int>.Zero;
        }

        for (; j + 2 < pairs; j += 2)
        {
            var wv = Vector256.LoadUnsafe(ref w, (nuint)(j * GemmTileRows)).AsInt16();
            var wn = Vector256.LoadUnsafe(ref w, (nuint)((j + 1) * GemmTileRows)).AsInt16();
            ref int c = ref Unsafe.Add(ref p, j * GemmTilePixels);
            ref int n = ref Unsafe.Add(ref c, GemmTilePixels);
            a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Vector256.Create(c).AsInt16(), wv));
            b0 = Avx2.Add(b0, Avx2.MultiplyAddAdjacent(Vector256.Create(n).AsInt16(), wn));
            if (width > 1)
            {
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, t1)).AsInt16(), wv));
                b1 = Avx2.Add(b1, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref n, t1)).AsInt16(), wn));
                if (width > 2)
                {
                    a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, t2)).AsInt16(), wv));
                    b2 = Avx2.Add(b2, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref n, t2)).AsInt16(), wn));
                    a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, t3)).AsInt16(), wv));
                    b3 = Avx2.Add(b3, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref n, t3)).AsInt16(), wn));
                }
            }
        }

        // One or two pairs left; the last one's weights through the buffer.
        for (; j < pairs; j++)
        {
            Vector256<short> wv;
            if (j < pairs - 1)
            {
                wv = Vector256.LoadUnsafe(ref w, (nuint)(j * GemmTileRows)).AsInt16();
            }
            else
            {
                lanes.Clear();
                weightBlock.Slice(j * GemmTileRows, GemmTileRows).CopyTo(lanes);
                wv = Vector256.Create<int>(lanes).AsInt16();
            }

            ref int c = ref Unsafe.Add(ref p, j * GemmTilePixels);
            a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(Vector256.Create(c).AsInt16(), wv));
            if (width > 1)
            {
                a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, t1)).AsInt16(), wv));
                a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, t2)).AsInt16(), wv));
                a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(Vector256.Create(Unsafe.Add(ref c, t3)).AsInt16(), wv));
            }
        }

        Span<int> columns = stackalloc int[4 * 8];
        (a0 + b0).CopyTo(columns);
        (a1 + b1).CopyTo(columns[8..]);
        (a2 + b2).CopyTo(columns[16..]);
        (a3 + b3).CopyTo(columns[24..]);
        for (int t = 0; t < width; t++)
        {
            for (int r = 0; r < GemmTileRows; r++)
            {
                tile[(r * stride) + t] = columns[(t * 8) + r];
            }
        }
    }

    /// <summary>The 6 × 8 tile of a panel's last eight or fewer pixels.</summary>
    private static void GemmTileU8S8Avx2x8(ref int panel, ref int weights, ReadOnlySpan<int> bias, int pairs, ref int t, nuint stride)
    {
        var a0 = Vector256.Create(bias[0]);
        var a1 = Vector256.Create(bias[1]);
        var a2 = Vector256.Create(bias[2]);
        var a3 = Vector256.Create(bias[3]);
        var a4 = Vector256.Create(bias[4]);
        var a5 = Vector256.Create(bias[5]);
        for (int j = 0; j < pairs; j++)
        {
            var c = Vector256.LoadUnsafe(ref panel).AsInt16();
            a0 = Avx2.Add(a0, Avx2.MultiplyAddAdjacent(c, Vector256.Create(weights).AsInt16()));
            a1 = Avx2.Add(a1, Avx2.MultiplyAddAdjacent(c, Vector256.Create(Unsafe.Add(ref weights, 1)).AsInt16()));
            a2 = Avx2.Add(a2, Avx2.MultiplyAddAdjacent(c, Vector256.Create(Unsafe.Add(ref weights, 2)).AsInt16()));
            a3 = Avx2.Add(a3, Avx2.MultiplyAddAdjacent(c, Vector256.Create(Unsafe.Add(ref weights, 3)).AsInt16()));
            a4 = Avx2.Add(a4, Avx2.MultiplyAddAdjacent(c, Vector256.Create(Unsafe.Add(ref weights, 4)).AsInt16()));
            a5 = Avx2.Add(a5, Avx2.MultiplyAddAdjacent(c, Vector256.Create(Unsafe.Add(ref weights, 5)).AsInt16()));
            panel = ref Unsafe.Add(ref panel, GemmTilePixels);
            weights = ref Unsafe.Add(ref weights, GemmTileRows);
        }

        a0.StoreUnsafe(ref t, 0);
        a1.StoreUnsafe(ref t, stride);
        a2.StoreUnsafe(ref t, 2 * stride);
        a3.StoreUnsafe(ref t, 3 * stride);
        a4.StoreUnsafe(ref t, 4 * stride);
        a5.StoreUnsafe(ref t, 5 * stride);
    }

    /// <summary>The tile four pixels at a time, portable: the 16-bit halves split by mask and shift, multiplied in int32.</summary>
    private static void GemmTileU8S8Vector128(ReadOnlySpan<int> panel, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int pairs, int width, Span<int> tile, int stride)
    {
        ref int pr = ref MemoryMarshal.GetReference(panel);
        ref int wr = ref MemoryMarshal.GetReference(weightBlock);
        ref int tr = ref MemoryMarshal.GetReference(tile);
        var mask = Vector128.Create(0xFFFF);
        for (int r = 0; r < GemmTileRows; r++)
        {
            for (int t = 0; t < width; t += 4)
            {
                var a = Vector128.Create(bias[r]);
                for (int j = 0; j < pairs; j++)
                {
                    var c = Vector128.LoadUnsafe(ref pr, (nuint)((j * GemmTilePixels) + t));
                    int w = Unsafe.Add(ref wr, (j * GemmTileRows) + r);
                    a += ((c & mask) * Vector128.Create((int)(short)w)) + (Vector128.ShiftRightLogical(c, 16) * Vector128.Create(w >> 16));
                }

                a.StoreUnsafe(ref tr, (nuint)((r * stride) + t));
            }
        }
    }
}
