using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The u8 × s8 convolution's explicit column matrix for small outputs (see ConvGemmU8S8.cs): each tap's row of codes built
// once per call, so that panels of 16 outputs never straddle output rows.
public static partial class Kernels
{
    /// <summary>
    /// The explicit column matrix: <c>dense[k · row + oh · OW + ow] = padded[tapOffsets[k] + sw · (oh · Wq + ow)]</c>. Rows of
    /// fewer than 16 outputs are copied as 16 codes; the excess lands on the next output row, the next tap's row or the slack,
    /// all written later or never read for a kept pixel. <paramref name="last"/> is the largest tap offset.
    /// </summary>
    private static void BuildDenseColumns(ReadOnlySpan<byte> padded, ReadOnlySpan<int> tapOffsets, int last, in ConvGeometry g, ConvGemmImage image, Span<byte> dense, SimdLevel level)
    {
        int row = DenseColumnsRow(g);
        int stride = g.StrideW;
        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte dst = ref MemoryMarshal.GetReference(dense[..((tapOffsets.Length * row) + GemmTilePixels)]);
        if ((long)last + (stride * (((g.OH - 1) * image.Wq) + Math.Max(g.OW - GemmTilePixels, 0) + GemmTilePixels)) > padded.Length)
        {
            ThrowShape("The padded image is too short for the column copies.");
        }

        if ((level >= SimdLevel.Vector512 && Avx512Vbmi.IsSupported && BuildDenseColumnsVbmi(padded, tapOffsets, last, g, image, dense))
            || BuildDenseColumnsShuffled(padded, tapOffsets, g, image, dense))
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
    /// <see cref="BuildDenseColumns"/> several output rows per instruction (AVX-512 VBMI): the image rows a tap reads for R
    /// consecutive output rows lie in one 64-byte window, so one load and one <c>vpermb</c> give the tap's R · OW codes in
    /// the column matrix's order, stored as one 32- or 64-byte run (FashionCnn's stride-2 layer: 4 rows of 7 from a window of
    /// 64, two steps per tap instead of seven). The same index vector serves every tap. A store's bytes past the R rows
    /// land on this tap's later rows or its row's padding, or on the next tap's row (written later): never on a code read
    /// for a kept pixel, and never past <paramref name="dense"/> (<paramref name="last"/>: the largest tap offset). Returns
    /// false where it does not apply (nothing written).
    /// </summary>
    private static bool BuildDenseColumnsVbmi(ReadOnlySpan<byte> padded, ReadOnlySpan<int> tapOffsets, int last, in ConvGeometry g, ConvGemmImage image, Span<byte> dense)
    {
        int row = DenseColumnsRow(g);
        int ow = g.OW;
        int sw = g.StrideW;
        int rowStep = sw * image.Wq;
        int span = (sw * (ow - 1)) + 1;
        if (ow > 64 || span > 64)
        {
            return false;
        }

        int rows = Math.Min(g.OH, Math.Min(64 / ow, ((64 - span) / rowStep) + 1));
        int store = rows * ow <= 32 ? 32 : 64;
        int steps = (g.OH + rows - 1) / rows;
        int taps = tapOffsets.Length;
        if (rows < 2 || (long)last + ((long)rowStep * (steps - 1) * rows) + 64 > padded.Length
            || ((long)(taps - 1) * row) + ((steps - 1) * rows * ow) + store > dense.Length)
        {
            return false;
        }

        Span<byte> indices = stackalloc byte[64];
        indices.Clear();
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < ow; j++)
            {
                indices[(i * ow) + j] = (byte)((i * rowStep) + (sw * j));
            }
        }

        var index = Vector512.Create<byte>(indices);
        ref byte src = ref MemoryMarshal.GetReference(padded);
        ref byte dst = ref MemoryMarshal.GetReference(dense);
        for (int k = 0; k < taps; k++)
        {
            ref byte s = ref Unsafe.Add(ref src, tapOffsets[k]);
            ref byte d = ref Unsafe.Add(ref dst, k * row);
            for (int step = 0; step < steps; step++)
            {
                var codes = Avx512Vbmi.PermuteVar64x8(Vector512.LoadUnsafe(ref s, (nuint)(step * rows * rowStep)), index);
                if (store == 32)
                {
                    codes.GetLower().StoreUnsafe(ref d, (nuint)(step * rows * ow));
                }
                else
                {
                    codes.StoreUnsafe(ref d, (nuint)(step * rows * ow));
                }
            }
        }

        return true;
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
}
