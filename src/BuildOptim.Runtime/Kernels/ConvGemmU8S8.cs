using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The u8 × s8 convolution's matrix product. Both operands are packed in pairs along the patch dimension k, two 16-bit
// values per int32: columns[j, p] = col[2j, p] | col[2j+1, p] << 16 (codes) and weights[i, j] = (ushort)w[i, 2j] |
// w[i, 2j+1] << 16, so one vpmaddwd forms col[2j, p]·w[i, 2j] + col[2j+1, p]·w[i, 2j+1] exactly (|255 · 128| < 2^15) for
// eight pixels at once. An odd patch pads the last pair with zeros.
public static partial class Kernels
{
    /// <summary>Int32 pairs packing a patch of <paramref name="patch"/> values.</summary>
    private static int PatchPairs(int patch) => (patch + 1) / 2;

    /// <summary>
    /// Scratch layout of a non-depthwise u8 × s8 convolution, in bytes: packed columns [pairs, OH·OW] and packed weights
    /// [M/G, pairs] (int32 each), then two im2col rows of OH·OW codes.
    /// </summary>
    private static int ConvGemmU8S8ScratchLength(in ConvGeometry g)
        => (4 * PatchPairs(g.PatchLength) * ((g.OH * g.OW) + g.GroupOutputChannels)) + (2 * g.OH * g.OW);

    /// <summary>
    /// <c>acc[i, p] = bias[i] + Σ_k w[i, k] · col[k, p]</c> for one group (col its im2col matrix, padding read as the zero
    /// point), exact in int32 for any summation order, so every vector path equals the scalar one.
    /// </summary>
    private static void ConvGemmU8S8Accumulate(ReadOnlySpan<byte> xg, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<byte> scratch, Span<int> acc, SimdLevel level)
    {
        int pixels = g.OH * g.OW;
        int rows = g.GroupOutputChannels;
        int patch = g.PatchLength;
        int pairs = PatchPairs(patch);
        var columns = MemoryMarshal.Cast<byte, int>(scratch[..(4 * pairs * pixels)]);
        var weightPairs = MemoryMarshal.Cast<byte, int>(scratch.Slice(4 * pairs * pixels, 4 * pairs * rows));
        var rowBytes = scratch.Slice(4 * pairs * (pixels + rows), 2 * pixels);
        var even = rowBytes[..pixels];
        var odd = rowBytes[pixels..];
        bool pointwise = IsPointwise(g);
        for (int j = 0; j < pairs; j++)
        {
            int k = 2 * j;
            ReadOnlySpan<byte> first = pointwise ? xg.Slice(k * pixels, pixels) : even;
            ReadOnlySpan<byte> second = pointwise && k + 1 < patch ? xg.Slice((k + 1) * pixels, pixels) : odd;
            if (!pointwise)
            {
                Im2ColRow(xg, g, k, zeroPoint, even);
            }

            if (k + 1 == patch)
            {
                odd.Clear();
                second = odd;
            }
            else if (!pointwise)
            {
                Im2ColRow(xg, g, k + 1, zeroPoint, odd);
            }

            var packed = columns.Slice(j * pixels, pixels);
            for (int p = 0; p < pixels; p++)
            {
                packed[p] = first[p] | (second[p] << 16);
            }
        }

        for (int i = 0; i < rows; i++)
        {
            var w = weights.Slice(i * patch, patch);
            var packed = weightPairs.Slice(i * pairs, pairs);
            for (int j = 0; j < pairs; j++)
            {
                int high = (2 * j) + 1 < patch ? w[(2 * j) + 1] : 0;
                packed[j] = (ushort)(short)w[2 * j] | (high << 16);
            }
        }

        GemmU8S8S32Packed(weightPairs, columns, bias, rows, pairs, pixels, acc, level);
    }

    /// <summary>
    /// <c>acc[i, p] = bias[i] + Σ_j (lo(columns[j, p]) · lo(weights[i, j]) + hi(columns[j, p]) · hi(weights[i, j]))</c> over
    /// the pair-packed operands (lo/hi the signed 16-bit halves).
    /// </summary>
    private static void GemmU8S8S32Packed(ReadOnlySpan<int> weights, ReadOnlySpan<int> columns, ReadOnlySpan<int> bias, int rows, int pairs, int pixels, Span<int> acc, SimdLevel level)
    {
        weights = weights[..(rows * pairs)];
        columns = columns[..(pairs * pixels)];
        bias = bias[..rows];
        acc = acc[..(rows * pixels)];
        int p = 0;
        if (level >= SimdLevel.Vector256 && Avx2.IsSupported)
        {
            for (; p <= pixels - 16; p += 16)
            {
                GemmU8S8S32StripAvx2(weights, columns, bias, rows, pairs, pixels, p, acc);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            for (; p <= pixels - 4; p += 4)
            {
                GemmU8S8S32Strip128(weights, columns, bias, rows, pairs, pixels, p, acc);
            }
        }

        for (; p < pixels; p++)
        {
            for (int i = 0; i < rows; i++)
            {
                int sum = bias[i];
                for (int j = 0; j < pairs; j++)
                {
                    int c = columns[(j * pixels) + p];
                    int w = weights[(i * pairs) + j];
                    sum += ((c & 0xFFFF) * (short)w) + ((c >>> 16) * (w >> 16));
                }

                acc[(i * pixels) + p] = sum;
            }
        }
    }

    /// <summary>Pixels [p, p + 16) of every row: 4 rows × 2 vectors of 8 pixels per step, one <c>vpmaddwd</c> per pair.</summary>
    private static void GemmU8S8S32StripAvx2(ReadOnlySpan<int> weights, ReadOnlySpan<int> columns, ReadOnlySpan<int> bias, int rows, int pairs, int pixels, int p, Span<int> acc)
    {
        ref int wr = ref MemoryMarshal.GetReference(weights);
        ref int cp = ref Unsafe.Add(ref MemoryMarshal.GetReference(columns), p);
        ref int ar = ref MemoryMarshal.GetReference(acc);
        int i = 0;
        for (; i <= rows - 4; i += 4)
        {
            ref int w0 = ref Unsafe.Add(ref wr, i * pairs);
            ref int w1 = ref Unsafe.Add(ref w0, pairs);
            ref int w2 = ref Unsafe.Add(ref w1, pairs);
            ref int w3 = ref Unsafe.Add(ref w2, pairs);
            var a00 = Vector256.Create(bias[i]);
            var a10 = Vector256.Create(bias[i + 1]);
            var a20 = Vector256.Create(bias[i + 2]);
            var a30 = Vector256.Create(bias[i + 3]);
            var (a01, a11, a21, a31) = (a00, a10, a20, a30);
            for (int j = 0; j < pairs; j++)
            {
                nuint row = (nuint)j * (nuint)pixels;
                var c0 = Vector256.LoadUnsafe(ref cp, row).AsInt16();
                var c1 = Vector256.LoadUnsafe(ref cp, row + 8).AsInt16();
                var w = Vector256.Create(Unsafe.Add(ref w0, j)).AsInt16();
                a00 += Avx2.MultiplyAddAdjacent(c0, w);
                a01 += Avx2.MultiplyAddAdjacent(c1, w);
                w = Vector256.Create(Unsafe.Add(ref w1, j)).AsInt16();
                a10 += Avx2.MultiplyAddAdjacent(c0, w);
                a11 += Avx2.MultiplyAddAdjacent(c1, w);
                w = Vector256.Create(Unsafe.Add(ref w2, j)).AsInt16();
                a20 += Avx2.MultiplyAddAdjacent(c0, w);
                a21 += Avx2.MultiplyAddAdjacent(c1, w);
                w = Vector256.Create(Unsafe.Add(ref w3, j)).AsInt16();
                a30 += Avx2.MultiplyAddAdjacent(c0, w);
                a31 += Avx2.MultiplyAddAdjacent(c1, w);
            }

            nuint at = ((nuint)i * (nuint)pixels) + (nuint)p;
            a00.StoreUnsafe(ref ar, at);
            a01.StoreUnsafe(ref ar, at + 8);
            at += (nuint)pixels;
            a10.StoreUnsafe(ref ar, at);
            a11.StoreUnsafe(ref ar, at + 8);
            at += (nuint)pixels;
            a20.StoreUnsafe(ref ar, at);
            a21.StoreUnsafe(ref ar, at + 8);
            at += (nuint)pixels;
            a30.StoreUnsafe(ref ar, at);
            a31.StoreUnsafe(ref ar, at + 8);
        }

        for (; i < rows; i++)
        {
            ref int w0 = ref Unsafe.Add(ref wr, i * pairs);
            var a0 = Vector256.Create(bias[i]);
            var a1 = a0;
            for (int j = 0; j < pairs; j++)
            {
                nuint row = (nuint)j * (nuint)pixels;
                var w = Vector256.Create(Unsafe.Add(ref w0, j)).AsInt16();
                a0 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref cp, row).AsInt16(), w);
                a1 += Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref cp, row + 8).AsInt16(), w);
            }

            nuint at = ((nuint)i * (nuint)pixels) + (nuint)p;
            a0.StoreUnsafe(ref ar, at);
            a1.StoreUnsafe(ref ar, at + 8);
        }
    }

    /// <summary>Pixels [p, p + 4) of every row, portable: the 16-bit halves split by mask and shift, multiplied in int32.</summary>
    private static void GemmU8S8S32Strip128(ReadOnlySpan<int> weights, ReadOnlySpan<int> columns, ReadOnlySpan<int> bias, int rows, int pairs, int pixels, int p, Span<int> acc)
    {
        ref int wr = ref MemoryMarshal.GetReference(weights);
        ref int cp = ref Unsafe.Add(ref MemoryMarshal.GetReference(columns), p);
        ref int ar = ref MemoryMarshal.GetReference(acc);
        var mask = Vector128.Create(0xFFFF);
        for (int i = 0; i < rows; i++)
        {
            ref int w0 = ref Unsafe.Add(ref wr, i * pairs);
            var a = Vector128.Create(bias[i]);
            for (int j = 0; j < pairs; j++)
            {
                var c = Vector128.LoadUnsafe(ref cp, (nuint)j * (nuint)pixels);
                int w = Unsafe.Add(ref w0, j);
                a += ((c & mask) * Vector128.Create((int)(short)w)) + (Vector128.ShiftRightLogical(c, 16) * Vector128.Create(w >> 16));
            }

            a.StoreUnsafe(ref ar, ((nuint)i * (nuint)pixels) + (nuint)p);
        }
    }
}
