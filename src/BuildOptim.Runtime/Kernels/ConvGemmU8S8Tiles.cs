using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The u8 × s8 convolution's micro-kernels (see ConvGemmU8S8.cs): a tile of 6 output channels × 16 (or fewer) pixels over
// the whole patch, in AVX2, Vector128 and scalar code that agree bit for bit.
public static partial class Kernels
{
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
    /// With AVX-512BW (<paramref name="level"/> <see cref="SimdLevel.Vector512"/>), full panels go two at a time through
    /// <see cref="GemmTileU8S8Avx512x32"/> (a pair's 16 pixels are one 64-byte load).
    /// </summary>
    private static void GemmRowBlockU8S8Avx2(ReadOnlySpan<int> panels, int panelLength, ReadOnlySpan<int> weightBlock, ReadOnlySpan<int> bias, int pairs, int count, Span<int> blockAcc, int stride, SimdLevel level)
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
            int q = 0;
            if (level >= SimdLevel.Vector512 && Avx512BW.IsSupported)
            {
                for (; q + 2 <= full; q += 2)
                {
                    GemmTileU8S8Avx512x32(ref Unsafe.Add(ref panel, q * panelLength), panelLength, ref weights, bias, pairs, ref Unsafe.Add(ref acc, q * GemmTilePixels), (nuint)stride);
                }

                if (q < full)
                {
                    GemmTileU8S8Avx512x16(ref Unsafe.Add(ref panel, q * panelLength), ref weights, bias, pairs, ref Unsafe.Add(ref acc, q * GemmTilePixels), (nuint)stride);
                    q++;
                }
            }

            for (; q < full; q++)
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

    /// <summary>
    /// Two panels' 6 × 16 tiles (<paramref name="panelLength"/> ints apart) in twelve 512-bit accumulators: per pair one 64-byte
    /// load from each panel, six broadcasts, twelve <c>vpmaddwd</c> of 32 products each (full-width on Zen 5, twice the AVX2
    /// tile's multiplies per instruction).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmTileU8S8Avx512x32(ref int panel, int panelLength, ref int weights, ReadOnlySpan<int> bias, int pairs, ref int t, nuint stride)
    {
        var a00 = Vector512.Create(bias[0]);
        var a10 = Vector512.Create(bias[1]);
        var a20 = Vector512.Create(bias[2]);
        var a30 = Vector512.Create(bias[3]);
        var a40 = Vector512.Create(bias[4]);
        var a50 = Vector512.Create(bias[5]);
        var (a01, a11, a21, a31, a41, a51) = (a00, a10, a20, a30, a40, a50);
        ref int second = ref Unsafe.Add(ref panel, panelLength);
        for (int j = 0; j < pairs; j++)
        {
            var c0 = Vector512.LoadUnsafe(ref panel).AsInt16();
            var c1 = Vector512.LoadUnsafe(ref second).AsInt16();
            var w = Vector512.Create(weights).AsInt16();
            a00 = Avx512F.Add(a00, Avx512BW.MultiplyAddAdjacent(c0, w));
            a01 = Avx512F.Add(a01, Avx512BW.MultiplyAddAdjacent(c1, w));
            w = Vector512.Create(Unsafe.Add(ref weights, 1)).AsInt16();
            a10 = Avx512F.Add(a10, Avx512BW.MultiplyAddAdjacent(c0, w));
            a11 = Avx512F.Add(a11, Avx512BW.MultiplyAddAdjacent(c1, w));
            w = Vector512.Create(Unsafe.Add(ref weights, 2)).AsInt16();
            a20 = Avx512F.Add(a20, Avx512BW.MultiplyAddAdjacent(c0, w));
            a21 = Avx512F.Add(a21, Avx512BW.MultiplyAddAdjacent(c1, w));
            w = Vector512.Create(Unsafe.Add(ref weights, 3)).AsInt16();
            a30 = Avx512F.Add(a30, Avx512BW.MultiplyAddAdjacent(c0, w));
            a31 = Avx512F.Add(a31, Avx512BW.MultiplyAddAdjacent(c1, w));
            w = Vector512.Create(Unsafe.Add(ref weights, 4)).AsInt16();
            a40 = Avx512F.Add(a40, Avx512BW.MultiplyAddAdjacent(c0, w));
            a41 = Avx512F.Add(a41, Avx512BW.MultiplyAddAdjacent(c1, w));
            w = Vector512.Create(Unsafe.Add(ref weights, 5)).AsInt16();
            a50 = Avx512F.Add(a50, Avx512BW.MultiplyAddAdjacent(c0, w));
            a51 = Avx512F.Add(a51, Avx512BW.MultiplyAddAdjacent(c1, w));
            panel = ref Unsafe.Add(ref panel, GemmTilePixels);
            second = ref Unsafe.Add(ref second, GemmTilePixels);
            weights = ref Unsafe.Add(ref weights, GemmTileRows);
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

    /// <summary>One panel's 6 × 16 tile in six 512-bit accumulators (the odd full panel of a block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GemmTileU8S8Avx512x16(ref int panel, ref int weights, ReadOnlySpan<int> bias, int pairs, ref int t, nuint stride)
    {
        var a0 = Vector512.Create(bias[0]);
        var a1 = Vector512.Create(bias[1]);
        var a2 = Vector512.Create(bias[2]);
        var a3 = Vector512.Create(bias[3]);
        var a4 = Vector512.Create(bias[4]);
        var a5 = Vector512.Create(bias[5]);
        for (int j = 0; j < pairs; j++)
        {
            var c = Vector512.LoadUnsafe(ref panel).AsInt16();
            a0 = Avx512F.Add(a0, Avx512BW.MultiplyAddAdjacent(c, Vector512.Create(weights).AsInt16()));
            a1 = Avx512F.Add(a1, Avx512BW.MultiplyAddAdjacent(c, Vector512.Create(Unsafe.Add(ref weights, 1)).AsInt16()));
            a2 = Avx512F.Add(a2, Avx512BW.MultiplyAddAdjacent(c, Vector512.Create(Unsafe.Add(ref weights, 2)).AsInt16()));
            a3 = Avx512F.Add(a3, Avx512BW.MultiplyAddAdjacent(c, Vector512.Create(Unsafe.Add(ref weights, 3)).AsInt16()));
            a4 = Avx512F.Add(a4, Avx512BW.MultiplyAddAdjacent(c, Vector512.Create(Unsafe.Add(ref weights, 4)).AsInt16()));
            a5 = Avx512F.Add(a5, Avx512BW.MultiplyAddAdjacent(c, Vector512.Create(Unsafe.Add(ref weights, 5)).AsInt16()));
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
