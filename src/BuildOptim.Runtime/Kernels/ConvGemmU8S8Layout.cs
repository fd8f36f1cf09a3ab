namespace BuildOptim.Runtime;

// The u8 × s8 convolution's matrix product (see ConvGemmU8S8.cs): its tiles, blocks and scratch, and the layout of taps and
// pixels prepared once per geometry (ConvGemmLayout).
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
    /// Whether the panels are read from x itself: a 1×1, stride-1, unpadded convolution whose pixels fill whole panels, or
    /// leave past them the one pixel the GEMV takes (<see cref="ConvGemmGemvTailPixels"/>: a 7 × 7 plane): then no panel
    /// reads past a channel's plane.
    /// </summary>
    private static bool ConvGemmReadsInput(in ConvGeometry g)
        => g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0
            && g.OH == g.H && g.OW == g.W
            && (g.OH * g.OW % GemmTilePixels == 0 || ConvGemmGemvTailPixels(g.OH * g.OW, g.GroupOutputChannels, g.PatchLength) > 0);

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
            if (g.IsDepthwise)
            {
                // A small-plane depthwise convolution: only its gather indices (ConvDepthwiseU8S8Small.cs).
                DepthwiseIndices = SmallDepthwiseIndices(g);
                TapOffsets = [];
                ImageTapOffsets = [];
                PackedScratchLength = ConvU8S8ScratchLength(g, packedWeights: true);
                PoolFits = ConvU8S8MaxPool2x2Fits(g);
                return;
            }

            DepthwiseIndices = [];
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
                ImageLastOffset = MaxTapOffset(ImageTapOffsets);
            }

            TapOffsets = new int[patch];
            PanelTapOffsets(g, Image, RowPixels, ReadsInput, Dense, TapOffsets);
            LastOffset = MaxTapOffset(TapOffsets);
            PackedScratchLength = ConvGemmU8S8ScratchLength(g, packedWeights: true);
            PoolFits = ConvU8S8MaxPool2x2Fits(g);
        }

        /// <summary>
        /// The layout of <paramref name="g"/>; for a depthwise convolution only on small planes (the gather indices of
        /// ConvDepthwiseU8S8Small.cs), else null (its kernels need none).
        /// </summary>
        public static ConvGemmLayout? For(in ConvGeometry g) => !g.IsDepthwise || IsSmallDepthwise(g) ? new ConvGemmLayout(g) : null;

        /// <summary>A small-plane depthwise convolution's vpermi2b indices (<see cref="SmallDepthwiseIndices(in ConvGeometry)"/>); else empty.</summary>
        public byte[] DepthwiseIndices { get; }

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

        /// <summary>The largest of <see cref="ImageTapOffsets"/> (0 without dense columns).</summary>
        public int ImageLastOffset { get; }

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

    /// <summary>Bytes the packed panels of a whole output may take to stay one block (<see cref="ConvGemmU8S8BlockPixels"/>).</summary>
    private const int GemmWholeOutputBytes = 768 * 1024;

    /// <summary>
    /// Pixels (wide or dense) per block: a multiple of <see cref="GemmTilePixels"/> whose packed panels fit <see cref="GemmBlockBytes"/>,
    /// or all of them when their panels fit <see cref="GemmWholeOutputBytes"/>: every block streams all the weights once, so a
    /// long patch over few pixels (ResNet-18's 512-channel 3×3 layers on 7×7: 4.7 MB of packed weights, 590 KB of panels) is
    /// better as one block than as four.
    /// </summary>
    private static int ConvGemmU8S8BlockPixels(in ConvGeometry g)
    {
        int pairBytes = 4 * PatchPairs(g.PatchLength);
        int all = ((g.OH * ConvGemmRowPixels(g)) + GemmTilePixels - 1) / GemmTilePixels * GemmTilePixels;
        if ((long)all * pairBytes <= GemmWholeOutputBytes)
        {
            return Math.Max(GemmTilePixels, all);
        }

        int fit = GemmBlockBytes / pairBytes / GemmTilePixels * GemmTilePixels;
        return Math.Max(GemmTilePixels, Math.Min(fit, all));
    }

    /// <summary>
    /// Scratch of a non-depthwise u8 × s8 convolution, in bytes: one block's packed panels (4 · pairs · B, or the 7-bit
    /// layout's quads when more: <see cref="PanelInts"/>), the accumulators
    /// of one tile row of it (4 · 6 · B) and one row of their codes (B), one group's padded image, tap offsets (4 · P), packed
    /// weights (unless given pre-packed; room for either layout), the explicit column matrix of small outputs (<see cref="UsesDenseColumns"/>), and
    /// alignment slack.
    /// </summary>
    private static int ConvGemmU8S8ScratchLength(in ConvGeometry g, bool packedWeights)
        => (((4 * (PanelInts(g.PatchLength) + GemmTileRows)) + 1) * ConvGemmU8S8BlockPixels(g)) + ConvGemmImage.For(g).Length + (4 * g.PatchLength)
            + (packedWeights ? 0 : 4 * Math.Max(ConvGemmU8S8GroupWeightsLength(g), ConvGemmU8S7GroupWeightsLength(g))) + DenseColumnsLength(g) + GemmScratchAlignment;

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
}
