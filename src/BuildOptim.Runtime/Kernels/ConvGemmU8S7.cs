using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// 7-bit convolution tiles: the matrix product of ConvGemmU8S8.cs for a layer whose weights are 7-bit codes (−63..63) and
// whose input codes are halved as its panels are packed (c7 = c8 >> 1, 0..127), so that its producers stay 8-bit:
//
//     acc[i, p] = bias[i] + 4 · Σ_k w[i, k] · (col[k, p] >> 1)
//
// The plan's bias and requantization are at the doubled scale this sum lives at (Compression's ConvEmitter). With a real
// input x ≈ Sx · (c8 − Zx), c7 = c8 >> 1 stands for 2 · c7 + (Zx & 1): every code of the zero point's parity exactly (the
// real zero and the padding, which reads Zx >> 1, included), the others one 8-bit step off. Then
// Σ_k w · (c8 − Zx) ≈ (4 · Σ w · c7 − (2 · Zx − 2 · (Zx & 1)) · Σ w) / 2: the compiler folds the second term into the bias
// it quantizes at the scale Sx / 2, and the requantization multiplier is the 8-bit layer's halved (one more shift). The
// unbiased 2 · c7 + ½ measured worse: ReLU outputs pile up at code 0, which it would move by half a step.
//
// - Weights: blocks of GemmTileRows output channels, each [quads][GemmTileRows] int32 holding four consecutive weights
//   w[i, 4j..4j+3] as bytes, quads = 2 · ⌈P / 8⌉ (an even count, so the kernels take the quads in pairs; zero past P).
// - Panels: [quads][GemmTilePixels] int32 holding c7[4j..4j+3, p] as bytes (zero past P).
// - Micro-kernels: two vpmaddubsw (u8 × s8 pair sums in int16, exact: |2 · 127 · 63| < 2^15) of two quads added in int16
//   (|sum| ≤ 4 · 127 · 63 = 32004 < 2^15), then vpmaddwd against 4 (the doubling and the ×2 of the doubled scale) into
//   int32: 128 MACs in five instructions at 512 bits (AVX-512BW), 64 at 256 bits (AVX2). With AVX-VNNI the 256-bit tiles
//   use vpdpbusd instead (32 MACs per instruction, the sum ×4 at the end). Every sum is exact in int32 (wrapping alike
//   beyond 2^31), so every path agrees bit for bit with the scalar loop.
public static partial class Kernels
{
    /// <summary>Quads of four taps the 7-bit layouts hold for a patch of <paramref name="patch"/> taps: 2 · ⌈P / 8⌉ (even).</summary>
    private static int SevenBitQuads(int patch) => ((patch + 7) / 8) * 2;

    /// <summary>Ints per pixel a block's panels take in either layout (16-bit pairs or 7-bit quads), for the scratch.</summary>
    private static int PanelInts(int patch) => Math.Max(PatchPairs(patch), SevenBitQuads(patch));

    /// <summary>Ints of one group's 7-bit packed weights: ⌈(M/G) / 6⌉ blocks of quads × 6.</summary>
    private static int ConvGemmU8S7GroupWeightsLength(in ConvGeometry g)
        => GemmRowBlocks(g.GroupOutputChannels) * SevenBitQuads(g.PatchLength) * GemmTileRows;

    /// <summary>Ints of the 7-bit pre-packed weights <see cref="PackConvU8S7Weights"/> returns (0 for a depthwise convolution).</summary>
    internal static int ConvU8S7PackedWeightsLength(in ConvGeometry g)
        => g.IsDepthwise ? 0 : g.Group * ConvGemmU8S7GroupWeightsLength(g);

    /// <summary>Ints of one packed block of 6 output channels: pairs (8-bit) or quads (7-bit) of the patch, times 6.</summary>
    internal static int ConvPackedBlockLength(int patch, bool sevenBit) => (sevenBit ? SevenBitQuads(patch) : PatchPairs(patch)) * GemmTileRows;

    /// <summary>The smallest weight code of a 7-bit layer (<see cref="SevenBitWeightMax"/>).</summary>
    internal const int SevenBitWeightMin = -SevenBitWeightMax;

    /// <summary>Taps at least of a patch for which the 7-bit tiles are faster than the 8-bit ones (<see cref="ConvRunsOnSevenBitTiles"/>).</summary>
    internal const int SevenBitMinPatch = 32;

    /// <summary>
    /// Whether a convolution of geometry <paramref name="g"/> runs faster on the 7-bit tiles than on the 8-bit ones, so that the
    /// compiler gives it 7-bit inputs with 7-bit weights: it runs on the matrix-product tiles (not a depthwise convolution,
    /// nor a 1 × 1 convolution of one pixel, a dense layer: <see cref="IsSinglePixelPointwise"/>) and its patch has at least
    /// <see cref="SevenBitMinPatch"/> taps. Measured (`paired-levels Vector512 Vector512 … seven`): 0.91× on FashionCnn's
    /// 9-tap stem, 1.02× on its 16-tap 1 × 1 (the quads' packing weighs as much as the multiplies they save), 1.18× at 144
    /// taps, 1.44–1.67× on ResNet-18's 3 × 3 layers. The kernels run any non-depthwise geometry.
    /// </summary>
    internal static bool ConvRunsOnSevenBitTiles(in ConvGeometry g) => !g.IsDepthwise && !IsSinglePixelPointwise(g) && g.PatchLength >= SevenBitMinPatch;

    /// <summary>
    /// The weights [M, C/G·KH·KW] of a 7-bit convolution in its micro-kernel's layout (see the file header): per group,
    /// blocks of 6 output channels, each <c>[quads][6]</c> int32 holding four consecutive weights as bytes.
    /// </summary>
    internal static int[] PackConvU8S7Weights(ReadOnlySpan<sbyte> weights, in ConvGeometry g)
    {
        ValidateConvGeometry(g);
        if (weights.Length != g.M * g.PatchLength)
        {
            ThrowShape($"Conv {g} needs {g.M * g.PatchLength} weights; got {weights.Length}.");
        }

        if (!AreSevenBitWeights(weights))
        {
            ThrowShape($"Conv {g}: 7-bit weights lie in [{SevenBitWeightMin}, {SevenBitWeightMax}].");
        }

        var packed = new int[ConvU8S7PackedWeightsLength(g)];
        int groupWeights = g.GroupOutputChannels * g.PatchLength;
        int groupPacked = ConvGemmU8S7GroupWeightsLength(g);
        for (int group = 0; group < g.Group && packed.Length > 0; group++)
        {
            PackConvGemmU8S7GroupWeights(weights.Slice(group * groupWeights, groupWeights), g, packed.AsSpan(group * groupPacked, groupPacked));
        }

        return packed;
    }

    private static void PackConvGemmU8S7GroupWeights(ReadOnlySpan<sbyte> weights, in ConvGeometry g, Span<int> packed)
    {
        int rows = g.GroupOutputChannels;
        int patch = g.PatchLength;
        int quads = SevenBitQuads(patch);
        packed.Clear();
        for (int i = 0; i < rows; i++)
        {
            var w = weights.Slice(i * patch, patch);
            var block = packed.Slice(i / GemmTileRows * quads * GemmTileRows, quads * GemmTileRows);
            int r = i % GemmTileRows;
            for (int k = 0; k < patch; k++)
            {
                block[((k / 4) * GemmTileRows) + r] |= (byte)w[k] << (8 * (k % 4));
            }
        }
    }

    /// <summary>
    /// <paramref name="panelCount"/> 7-bit column panels from wide pixel <paramref name="p"/> (<paramref name="panelLength"/>
    /// ints apart): <c>panel[j·16 + t]</c> byte b = <c>source[tapOffsets[4j + b] + stride · (p + t)] &gt;&gt; 1</c>, zero past the patch.
    /// </summary>
    private static void PackColumnPanelsU7(ReadOnlySpan<byte> source, ReadOnlySpan<int> tapOffsets, int lastOffset, int stride, int p, int panelCount, Span<int> panels, int panelLength, SimdLevel level)
    {
        int patch = tapOffsets.Length;
        int quads = SevenBitQuads(patch);
        if ((long)lastOffset + ((long)stride * (p + (GemmTilePixels * panelCount))) > source.Length
            || (long)panelCount * panelLength > panels.Length || panelLength < quads * GemmTilePixels)
        {
            ThrowShape("The padded image is too short for the panel reads.");
        }

        if (level >= SimdLevel.Vector128 && Sse2.IsSupported && stride <= 2)
        {
            ref byte s = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), stride * p);
            ref int o = ref MemoryMarshal.GetReference(tapOffsets);
            ref int d = ref MemoryMarshal.GetReference(panels);
            for (int q = 0; q < panelCount; q++)
            {
                PackPanelU7Sse2(ref Unsafe.Add(ref s, stride * GemmTilePixels * q), ref o, patch, quads, stride, ref Unsafe.Add(ref d, q * panelLength));
            }

            return;
        }

        for (int q = 0; q < panelCount; q++)
        {
            var panel = panels.Slice(q * panelLength, quads * GemmTilePixels);
            panel.Clear();
            int start = stride * (p + (q * GemmTilePixels));
            for (int k = 0; k < patch; k++)
            {
                var tap = source[(tapOffsets[k] + start)..];
                var lanes = panel.Slice(k / 4 * GemmTilePixels, GemmTilePixels);
                int shift = 8 * (k % 4);
                for (int t = 0; t < GemmTilePixels; t++)
                {
                    lanes[t] |= (tap[t * stride] >> 1) << shift;
                }
            }
        }
    }

    /// <summary>One 7-bit panel: per quad, four taps' 16 codes halved and interleaved bytewise, then by 16-bit pairs (bounds checked by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackPanelU7Sse2(ref byte s, ref int o, int patch, int quads, int stride, ref int d)
    {
        var low7 = Vector128.Create((byte)0x7F);
        for (int j = 0; j < quads; j++)
        {
            int k = 4 * j;
            var t0 = k < patch ? HalvedTap(ref s, Unsafe.Add(ref o, k), stride, low7) : Vector128<byte>.Zero;
            var t1 = k + 1 < patch ? HalvedTap(ref s, Unsafe.Add(ref o, k + 1), stride, low7) : Vector128<byte>.Zero;
            var t2 = k + 2 < patch ? HalvedTap(ref s, Unsafe.Add(ref o, k + 2), stride, low7) : Vector128<byte>.Zero;
            var t3 = k + 3 < patch ? HalvedTap(ref s, Unsafe.Add(ref o, k + 3), stride, low7) : Vector128<byte>.Zero;
            var lo01 = Sse2.UnpackLow(t0, t1).AsUInt16();
            var hi01 = Sse2.UnpackHigh(t0, t1).AsUInt16();
            var lo23 = Sse2.UnpackLow(t2, t3).AsUInt16();
            var hi23 = Sse2.UnpackHigh(t2, t3).AsUInt16();
            nuint at = (nuint)(j * GemmTilePixels);
            Sse2.UnpackLow(lo01, lo23).AsInt32().StoreUnsafe(ref d, at);
            Sse2.UnpackHigh(lo01, lo23).AsInt32().StoreUnsafe(ref d, at + 4);
            Sse2.UnpackLow(hi01, hi23).AsInt32().StoreUnsafe(ref d, at + 8);
            Sse2.UnpackHigh(hi01, hi23).AsInt32().StoreUnsafe(ref d, at + 12);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> HalvedTap(ref byte s, int offset, int stride, Vector128<byte> low7)
        => Vector128.ShiftRightLogical(LoadTapU8(ref s, offset, stride).AsUInt16(), 1).AsByte() & low7;

    /// <summary>
    /// Every 7-bit tile of one row block over <paramref name="count"/> pixels of packed panels (<paramref name="panelLength"/>
    /// ints apart): <c>blockAcc[r·stride + t] = bias[r] + 4 · Σ_j Σ_b panel[j, t].b · w[j, r].b</c>. With AVX-512BW
    /// (<paramref name="level"/> <see cref="SimdLevel.Vector512"/>) full panels go two at a time through the 512-bit mix, the
    /// rest through the 256-bit tiles (<c>vpdpbusd</c> with AVX-VNNI at <see cref="SimdLevel.Vector256Vnni"/> and above, else the
    /// 256-bit mix); the scalar loop below AVX2.
    /// Lanes up to the last panel's 16th may also be written.
    /// </summary>
    private static void GemmRowBlockU8S7(ReadOnlySpan<int> panels, int panelLength, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int quads, int count, Span<int> blockAcc, int stride, SimdLevel level)
    {
        int panelCount = (count + GemmTilePixels - 1) / GemmTilePixels;
        if ((long)(panelCount - 1) * panelLength + (quads * GemmTilePixels) > panels.Length || panelLength < quads * GemmTilePixels
            || weightBlock.Length < quads * GemmTileRows || bias.Length < GemmTileRows || (quads & 1) != 0
            || ((long)(GemmTileRows - 1) * stride) + (panelCount * GemmTilePixels) > blockAcc.Length)
        {
            ThrowShape("A row block's tiles lie outside their operands.");
        }

        if (level < SimdLevel.Vector256 || !Avx2.IsSupported)
        {
            GemmTilesU8S7Scalar(panels, panelLength, weightBlock, bias, quads, count, blockAcc, stride);
            return;
        }

        ref int panel = ref MemoryMarshal.GetReference(panels);
        ref int weights = ref MemoryMarshal.GetReference(weightBlock);
        ref int acc = ref MemoryMarshal.GetReference(blockAcc);
        int q = 0;
        if (level >= SimdLevel.Vector512 && Avx512BW.IsSupported)
        {
            for (; q + 2 <= count / GemmTilePixels; q += 2)
            {
                GemmTileU8S7Mix512x32(ref Unsafe.Add(ref panel, q * panelLength), panelLength, ref weights, bias, quads, ref Unsafe.Add(ref acc, q * GemmTilePixels), (nuint)stride);
            }

            if (q < count / GemmTilePixels)
            {
                GemmTileU8S7Mix512x16(ref Unsafe.Add(ref panel, q * panelLength), ref weights, bias, quads, ref Unsafe.Add(ref acc, q * GemmTilePixels), (nuint)stride);
                q++;
            }
        }

        int last = count - ((panelCount - 1) * GemmTilePixels);
        bool vnni = Simd.UsesVnni(level);
        int tiles = vnni && last <= GemmColumnsMaxWidth ? panelCount - 1 : panelCount;
        for (; q < tiles; q++)
        {
            GemmTileU8S7x16(ref Unsafe.Add(ref panel, q * panelLength), ref weights, bias, quads, ref Unsafe.Add(ref acc, q * GemmTilePixels), (nuint)stride, vnni);
        }

        if (tiles < panelCount)
        {
            GemmTileU8S7Columns(panels.Slice(tiles * panelLength, quads * GemmTilePixels), weightBlock[..(quads * GemmTileRows)], bias, quads, last, blockAcc[(tiles * GemmTilePixels)..], stride);
        }
    }

    /// <summary>
    /// A last tile of at most four pixels with AVX-VNNI (ResNet-18's and FashionCnn's 7 × 7 outputs leave 49 = 3 · 16 + 1):
    /// the six channels in the lanes, per quad one load of the block's weights and per pixel one broadcast and one
    /// <c>vpdpbusd</c>, two chains per pixel (even and odd quads), instead of twelve <c>vpdpbusd</c> over 16 pixels.
    /// </summary>
    private static void GemmTileU8S7Columns(ReadOnlySpan<int> panel, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int quads, int width, Span<int> tile, int stride)
    {
        if ((long)(GemmTileRows - 1) * stride + width > tile.Length || width > GemmColumnsMaxWidth || width < 1)
        {
            ThrowShape("A 7-bit column tile lies outside its accumulators.");
        }

        ref int p = ref MemoryMarshal.GetReference(panel);
        ref int w = ref MemoryMarshal.GetReference(weightBlock);
        Span<int> lanes = stackalloc int[8];
        var a0 = Vector256<int>.Zero;
        var (a1, a2, a3, b0, b1, b2, b3) = (a0, a0, a0, a0, a0, a0, a0);
        int t1 = Math.Min(1, width - 1), t2 = Math.Min(2, width - 1), t3 = Math.Min(3, width - 1);
        int j = 0;
        if (width == 1)
        {
            // One column: four chains over the quads j mod 4, so that four vpdpbusd are in flight (two would wait on
            // their latency); then the pair loop below takes the last two or four quads.
            for (; j + 4 < quads; j += 4)
            {
                ref int c = ref Unsafe.Add(ref p, j * GemmTilePixels);
                ref int wj = ref Unsafe.Add(ref w, j * GemmTileRows);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.Create(c).AsByte(), Vector256.LoadUnsafe(ref wj).AsSByte());
                b0 = AvxVnni.MultiplyWideningAndAdd(b0, Vector256.Create(Unsafe.Add(ref c, GemmTilePixels)).AsByte(), Vector256.LoadUnsafe(ref wj, GemmTileRows).AsSByte());
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.Create(Unsafe.Add(ref c, 2 * GemmTilePixels)).AsByte(), Vector256.LoadUnsafe(ref wj, 2 * GemmTileRows).AsSByte());
                b1 = AvxVnni.MultiplyWideningAndAdd(b1, Vector256.Create(Unsafe.Add(ref c, 3 * GemmTilePixels)).AsByte(), Vector256.LoadUnsafe(ref wj, 3 * GemmTileRows).AsSByte());
            }

            a0 += a1;
            b0 += b1;
            a1 = Vector256<int>.Zero;
            b1 = Vector256<int>.Zero;
        }

        // Eight lanes read two ints past a quad's six weights: inside the block but for the last quad, loaded through lanes.
        // Quads come in pairs (an even count).
        for (; j < quads; j += 2)
        {
            var wv = Vector256.LoadUnsafe(ref w, (nuint)(j * GemmTileRows)).AsSByte();
            Vector256<sbyte> wn;
            if (j + 2 < quads)
            {
                wn = Vector256.LoadUnsafe(ref w, (nuint)((j + 1) * GemmTileRows)).AsSByte();
            }
            else
            {
                weightBlock.Slice((j + 1) * GemmTileRows, GemmTileRows).CopyTo(lanes);
                wn = Vector256.Create<int>(lanes).AsSByte();
            }

            ref int c = ref Unsafe.Add(ref p, j * GemmTilePixels);
            ref int n = ref Unsafe.Add(ref c, GemmTilePixels);
            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.Create(c).AsByte(), wv);
            b0 = AvxVnni.MultiplyWideningAndAdd(b0, Vector256.Create(n).AsByte(), wn);
            if (width > 1)
            {
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.Create(Unsafe.Add(ref c, t1)).AsByte(), wv);
                b1 = AvxVnni.MultiplyWideningAndAdd(b1, Vector256.Create(Unsafe.Add(ref n, t1)).AsByte(), wn);
                if (width > 2)
                {
                    a2 = AvxVnni.MultiplyWideningAndAdd(a2, Vector256.Create(Unsafe.Add(ref c, t2)).AsByte(), wv);
                    b2 = AvxVnni.MultiplyWideningAndAdd(b2, Vector256.Create(Unsafe.Add(ref n, t2)).AsByte(), wn);
                    a3 = AvxVnni.MultiplyWideningAndAdd(a3, Vector256.Create(Unsafe.Add(ref c, t3)).AsByte(), wv);
                    b3 = AvxVnni.MultiplyWideningAndAdd(b3, Vector256.Create(Unsafe.Add(ref n, t3)).AsByte(), wn);
                }
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
                tile[(r * stride) + t] = bias[r] + (columns[(t * 8) + r] << 2);
            }
        }
    }

    /// <summary>The scalar twin: every tile of the block, 16 lanes each.</summary>
    private static void GemmTilesU8S7Scalar(ReadOnlySpan<int> panels, int panelLength, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int quads, int count, Span<int> blockAcc, int stride)
    {
        for (int at = 0; at < count; at += GemmTilePixels)
        {
            var panel = panels.Slice(at / GemmTilePixels * panelLength, quads * GemmTilePixels);
            for (int r = 0; r < GemmTileRows; r++)
            {
                for (int t = 0; t < GemmTilePixels; t++)
                {
                    int sum = 0;
                    for (int j = 0; j < quads; j++)
                    {
                        int c = panel[(j * GemmTilePixels) + t];
                        int w = weightBlock[(j * GemmTileRows) + r];
                        sum += ((byte)c * (sbyte)w) + ((byte)(c >> 8) * (sbyte)(w >> 8)) + ((byte)(c >> 16) * (sbyte)(w >> 16)) + ((c >>> 24) * (w >> 24));
                    }

                    blockAcc[(r * stride) + at + t] = bias[r] + (sum << 2);
                }
            }
        }
    }

    /// <summary>
    /// One panel's 6 × 16 tile in 256-bit registers: per quad <c>vpdpbusd</c> (<paramref name="vnni"/>), or per two quads
    /// two <c>vpmaddubsw</c>, <c>vpaddw</c> and <c>vpmaddwd</c> by 4 (AVX2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void GemmTileU8S7x16(ref int panel, ref int weights, ReadOnlySpan<int> bias, int quads, ref int t, nuint stride, bool vnni)
    {
        Vector256<int> a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51;
        if (vnni)
        {
            a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = a40 = a41 = a50 = a51 = Vector256<int>.Zero;
            for (int j = 0; j < quads; j++)
            {
                var c0 = Vector256.LoadUnsafe(ref panel).AsByte();
                var c1 = Vector256.LoadUnsafe(ref panel, 8).AsByte();
                var w = Vector256.Create(weights).AsSByte();
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, c0, w);
                a01 = AvxVnni.MultiplyWideningAndAdd(a01, c1, w);
                w = Vector256.Create(Unsafe.Add(ref weights, 1)).AsSByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, c0, w);
                a11 = AvxVnni.MultiplyWideningAndAdd(a11, c1, w);
                w = Vector256.Create(Unsafe.Add(ref weights, 2)).AsSByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, c0, w);
                a21 = AvxVnni.MultiplyWideningAndAdd(a21, c1, w);
                w = Vector256.Create(Unsafe.Add(ref weights, 3)).AsSByte();
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, c0, w);
                a31 = AvxVnni.MultiplyWideningAndAdd(a31, c1, w);
                w = Vector256.Create(Unsafe.Add(ref weights, 4)).AsSByte();
                a40 = AvxVnni.MultiplyWideningAndAdd(a40, c0, w);
                a41 = AvxVnni.MultiplyWideningAndAdd(a41, c1, w);
                w = Vector256.Create(Unsafe.Add(ref weights, 5)).AsSByte();
                a50 = AvxVnni.MultiplyWideningAndAdd(a50, c0, w);
                a51 = AvxVnni.MultiplyWideningAndAdd(a51, c1, w);
                panel = ref Unsafe.Add(ref panel, GemmTilePixels);
                weights = ref Unsafe.Add(ref weights, GemmTileRows);
            }

            var b = Vector256.Create(bias[0]);
            (a00, a01) = (b + (a00 << 2), b + (a01 << 2));
            b = Vector256.Create(bias[1]);
            (a10, a11) = (b + (a10 << 2), b + (a11 << 2));
            b = Vector256.Create(bias[2]);
            (a20, a21) = (b + (a20 << 2), b + (a21 << 2));
            b = Vector256.Create(bias[3]);
            (a30, a31) = (b + (a30 << 2), b + (a31 << 2));
            b = Vector256.Create(bias[4]);
            (a40, a41) = (b + (a40 << 2), b + (a41 << 2));
            b = Vector256.Create(bias[5]);
            (a50, a51) = (b + (a50 << 2), b + (a51 << 2));
        }
        else
        {
            var fours = Vector256.Create((short)4);
            a00 = a01 = Vector256.Create(bias[0]);
            a10 = a11 = Vector256.Create(bias[1]);
            a20 = a21 = Vector256.Create(bias[2]);
            a30 = a31 = Vector256.Create(bias[3]);
            a40 = a41 = Vector256.Create(bias[4]);
            a50 = a51 = Vector256.Create(bias[5]);
            for (int j = 0; j < quads; j += 2)
            {
                var c0 = Vector256.LoadUnsafe(ref panel).AsByte();
                var c1 = Vector256.LoadUnsafe(ref panel, 8).AsByte();
                var n0 = Vector256.LoadUnsafe(ref panel, GemmTilePixels).AsByte();
                var n1 = Vector256.LoadUnsafe(ref panel, GemmTilePixels + 8).AsByte();
                ref int wn = ref Unsafe.Add(ref weights, GemmTileRows);
                MixPair256(ref a00, ref a01, c0, c1, n0, n1, Vector256.Create(weights).AsSByte(), Vector256.Create(wn).AsSByte(), fours);
                MixPair256(ref a10, ref a11, c0, c1, n0, n1, Vector256.Create(Unsafe.Add(ref weights, 1)).AsSByte(), Vector256.Create(Unsafe.Add(ref wn, 1)).AsSByte(), fours);
                MixPair256(ref a20, ref a21, c0, c1, n0, n1, Vector256.Create(Unsafe.Add(ref weights, 2)).AsSByte(), Vector256.Create(Unsafe.Add(ref wn, 2)).AsSByte(), fours);
                MixPair256(ref a30, ref a31, c0, c1, n0, n1, Vector256.Create(Unsafe.Add(ref weights, 3)).AsSByte(), Vector256.Create(Unsafe.Add(ref wn, 3)).AsSByte(), fours);
                MixPair256(ref a40, ref a41, c0, c1, n0, n1, Vector256.Create(Unsafe.Add(ref weights, 4)).AsSByte(), Vector256.Create(Unsafe.Add(ref wn, 4)).AsSByte(), fours);
                MixPair256(ref a50, ref a51, c0, c1, n0, n1, Vector256.Create(Unsafe.Add(ref weights, 5)).AsSByte(), Vector256.Create(Unsafe.Add(ref wn, 5)).AsSByte(), fours);
                panel = ref Unsafe.Add(ref panel, 2 * GemmTilePixels);
                weights = ref Unsafe.Add(ref weights, 2 * GemmTileRows);
            }
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

    /// <summary>Two quads of one row into two 8-pixel accumulators: (c·w + n·wn) in int16, then ×4 pairwise into int32 (the dynamic GEMM's <see cref="Mix256"/> on each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MixPair256(ref Vector256<int> a0, ref Vector256<int> a1, Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> n0, Vector256<byte> n1, Vector256<sbyte> w, Vector256<sbyte> wn, Vector256<short> fours)
    {
        a0 = Mix256(a0, c0, w, n0, wn, fours);
        a1 = Mix256(a1, c1, w, n1, wn, fours);
    }

    /// <summary>
    /// Two panels' 6 × 16 tiles (<paramref name="panelLength"/> ints apart) in twelve 512-bit accumulators: per two quads, four
    /// 64-byte loads, twelve broadcasts, and per row and panel two <c>vpmaddubsw</c>, <c>vpaddw</c>, <c>vpmaddwd</c> by 4 and
    /// <c>vpaddd</c>: 128 MACs per five instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmTileU8S7Mix512x32(ref int panel, int panelLength, ref int weights, ReadOnlySpan<int> bias, int quads, ref int t, nuint stride)
    {
        var fours = Vector512.Create((short)4);
        var a00 = Vector512.Create(bias[0]);
        var a10 = Vector512.Create(bias[1]);
        var a20 = Vector512.Create(bias[2]);
        var a30 = Vector512.Create(bias[3]);
        var a40 = Vector512.Create(bias[4]);
        var a50 = Vector512.Create(bias[5]);
        var (a01, a11, a21, a31, a41, a51) = (a00, a10, a20, a30, a40, a50);
        ref int second = ref Unsafe.Add(ref panel, panelLength);
        for (int j = 0; j < quads; j += 2)
        {
            var c0 = Vector512.LoadUnsafe(ref panel).AsByte();
            var n0 = Vector512.LoadUnsafe(ref panel, GemmTilePixels).AsByte();
            var c1 = Vector512.LoadUnsafe(ref second).AsByte();
            var n1 = Vector512.LoadUnsafe(ref second, GemmTilePixels).AsByte();
            ref int wn = ref Unsafe.Add(ref weights, GemmTileRows);
            MixPair512(ref a00, ref a01, c0, c1, n0, n1, Vector512.Create(weights).AsSByte(), Vector512.Create(wn).AsSByte(), fours);
            MixPair512(ref a10, ref a11, c0, c1, n0, n1, Vector512.Create(Unsafe.Add(ref weights, 1)).AsSByte(), Vector512.Create(Unsafe.Add(ref wn, 1)).AsSByte(), fours);
            MixPair512(ref a20, ref a21, c0, c1, n0, n1, Vector512.Create(Unsafe.Add(ref weights, 2)).AsSByte(), Vector512.Create(Unsafe.Add(ref wn, 2)).AsSByte(), fours);
            MixPair512(ref a30, ref a31, c0, c1, n0, n1, Vector512.Create(Unsafe.Add(ref weights, 3)).AsSByte(), Vector512.Create(Unsafe.Add(ref wn, 3)).AsSByte(), fours);
            MixPair512(ref a40, ref a41, c0, c1, n0, n1, Vector512.Create(Unsafe.Add(ref weights, 4)).AsSByte(), Vector512.Create(Unsafe.Add(ref wn, 4)).AsSByte(), fours);
            MixPair512(ref a50, ref a51, c0, c1, n0, n1, Vector512.Create(Unsafe.Add(ref weights, 5)).AsSByte(), Vector512.Create(Unsafe.Add(ref wn, 5)).AsSByte(), fours);
            panel = ref Unsafe.Add(ref panel, 2 * GemmTilePixels);
            second = ref Unsafe.Add(ref second, 2 * GemmTilePixels);
            weights = ref Unsafe.Add(ref weights, 2 * GemmTileRows);
        }

        a00.StoreUnsafe(ref t, 0);
        a01.StoreUnsafe(ref t, 16);
        a10.StoreUnsafe(ref t, stride);
        a11.StoreUnsafe(ref t, stride + 16);
        a20.StoreUnsafe(ref t, 2 * stride);
        a21.StoreUnsafe(ref t, (2 * stride) + 16);
        a30.StoreUnsafe(ref t, 3 * stride);
        a31.StoreUnsafe(ref t, (3 * stride) + 16);
        a40.StoreUnsafe(ref t, 4 * stride);
        a41.StoreUnsafe(ref t, (4 * stride) + 16);
        a50.StoreUnsafe(ref t, 5 * stride);
        a51.StoreUnsafe(ref t, (5 * stride) + 16);
    }

    /// <summary>One panel's 6 × 16 tile in six 512-bit accumulators (the odd full panel of a block): per two quads two loads, twelve broadcasts, the mix per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmTileU8S7Mix512x16(ref int panel, ref int weights, ReadOnlySpan<int> bias, int quads, ref int t, nuint stride)
    {
        var fours = Vector512.Create((short)4);
        var a0 = Vector512.Create(bias[0]);
        var a1 = Vector512.Create(bias[1]);
        var a2 = Vector512.Create(bias[2]);
        var a3 = Vector512.Create(bias[3]);
        var a4 = Vector512.Create(bias[4]);
        var a5 = Vector512.Create(bias[5]);
        for (int j = 0; j < quads; j += 2)
        {
            var c = Vector512.LoadUnsafe(ref panel).AsByte();
            var n = Vector512.LoadUnsafe(ref panel, GemmTilePixels).AsByte();
            ref int wn = ref Unsafe.Add(ref weights, GemmTileRows);
            a0 = Mix512(a0, c, Vector512.Create(weights).AsSByte(), n, Vector512.Create(wn).AsSByte(), fours);
            a1 = Mix512(a1, c, Vector512.Create(Unsafe.Add(ref weights, 1)).AsSByte(), n, Vector512.Create(Unsafe.Add(ref wn, 1)).AsSByte(), fours);
            a2 = Mix512(a2, c, Vector512.Create(Unsafe.Add(ref weights, 2)).AsSByte(), n, Vector512.Create(Unsafe.Add(ref wn, 2)).AsSByte(), fours);
            a3 = Mix512(a3, c, Vector512.Create(Unsafe.Add(ref weights, 3)).AsSByte(), n, Vector512.Create(Unsafe.Add(ref wn, 3)).AsSByte(), fours);
            a4 = Mix512(a4, c, Vector512.Create(Unsafe.Add(ref weights, 4)).AsSByte(), n, Vector512.Create(Unsafe.Add(ref wn, 4)).AsSByte(), fours);
            a5 = Mix512(a5, c, Vector512.Create(Unsafe.Add(ref weights, 5)).AsSByte(), n, Vector512.Create(Unsafe.Add(ref wn, 5)).AsSByte(), fours);
            panel = ref Unsafe.Add(ref panel, 2 * GemmTilePixels);
            weights = ref Unsafe.Add(ref weights, 2 * GemmTileRows);
        }

        a0.StoreUnsafe(ref t, 0);
        a1.StoreUnsafe(ref t, stride);
        a2.StoreUnsafe(ref t, 2 * stride);
        a3.StoreUnsafe(ref t, 3 * stride);
        a4.StoreUnsafe(ref t, 4 * stride);
        a5.StoreUnsafe(ref t, 5 * stride);
    }

    /// <summary>Two quads of one row into two 16-pixel accumulators: the dynamic GEMM's <see cref="Mix512(Vector512{int}, Vector512{byte}, Vector512{sbyte}, Vector512{byte}, Vector512{sbyte}, Vector512{short})"/> on each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MixPair512(ref Vector512<int> a0, ref Vector512<int> a1, Vector512<byte> c0, Vector512<byte> c1, Vector512<byte> n0, Vector512<byte> n1, Vector512<sbyte> w, Vector512<sbyte> wn, Vector512<short> fours)
    {
        a0 = Mix512(a0, c0, w, n0, wn, fours);
        a1 = Mix512(a1, c1, w, n1, wn, fours);
    }
}
