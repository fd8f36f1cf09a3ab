using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// A single-input-channel, stride-1 convolution of at most 10 taps followed by its fused 2 × 2 MaxPool (a CNN's stem:
// FashionCnn's 3 × 3, 1 → 16 on 28 × 28), directly in AVX-512BW (at Vector256, its AVX2 twin in
// ConvMaxPoolU8S8StemAvx2.cs), without packed panels or a plane of accumulators.
//
// x is copied once into a plane padded with the input zero point (the GEMM path's padded image, one channel). A step takes
// the two conv rows of one row of pool windows over 32 conv columns: each pair of taps (k, k + 1) becomes, per row and per
// 16 columns, one zmm of int32 lanes holding x at tap k in the low 16 bits and x at tap k + 1 in the high (vpmovzxbd, a
// shift and an or): 20 zmm for the five pairs of 3 × 3 (a shorter patch pads with zero weights), built once per step and
// used by every output channel. Per channel, per pair, one broadcast weight pair (w[k], w[k+1]) and four vpmaddwd add both
// products exactly (|255 · 128| < 2^15) into four accumulators; then, in registers, the rows' max (min for a negative
// multiplier: see ConvMaxPoolU8S8.cs), one vpermt2d each for the even and the odd columns, their max, the folded
// requantization and vpmovdb: 16 pooled codes per channel and step. Every accumulator is the GEMM's sum in another order,
// exact in int32, and the requantization is RowRequantizerAvx512's, so the codes are the GEMM path's bit for bit (the
// tests compare it with the scalar twin, the GEMM path at SimdLevel.Scalar). Against the GEMM (six channels by 32 wide
// pixels a tile, 18 rows for 16 channels, rows of 30 for 28 outputs, the tiles' accumulators written out and pooled from
// memory) the stem of FashionCnn takes about two thirds of the time.
public static partial class Kernels
{
    /// <summary>Conv columns per step: two zmm of 16 pixels, 16 pooled outputs.</summary>
    private const int StemColumns = 32;

    /// <summary>Tap pairs of the direct stem: 3 × 3 and any patch of at most 10 taps (fewer pad with zero weights).</summary>
    private const int StemPairs = 5;

    /// <summary>Ints of a channel's parameters: <see cref="StemChannelInts"/>, then its <see cref="StemPairs"/> weight pairs.</summary>
    private const int StemChannelLength = StemChannelInts + StemPairs;

    /// <summary>The direct stem's padded plane: rows and width (the last step's taps read 16 bytes from column 16 + kw · dw of its 32).</summary>
    private static (int Rows, int Width) StemPlane(in ConvGeometry g)
    {
        int steps = ((g.OW / 2) + 15) / 16;
        int rows = Math.Max(g.PadTop + g.H, (2 * (g.OH / 2)) + ((g.KH - 1) * g.DilationH));
        int width = Math.Max(g.PadLeft + g.W, (steps * StemColumns) + ((g.KW - 1) * g.DilationW));
        return (rows, width);
    }

    /// <summary>Scratch bytes of the direct stem: each channel's parameters and weight pairs, and the plane.</summary>
    private static long StemScratchLength(in ConvGeometry g)
    {
        var (rows, width) = StemPlane(g);
        return (4L * g.M * StemChannelLength) + ((long)rows * width);
    }

    /// <summary>Whether the direct stem runs <paramref name="g"/> pooled at <paramref name="level"/> (see the file header).</summary>
    private static bool UsesPooledStem(in ConvGeometry g, SimdLevel level, int scratchLength)
        => level >= SimdLevel.Vector256 && Avx2.IsSupported && g.Group == 1 && g.C == 1 && g.StrideH == 1 && g.StrideW == 1
            && g.KH * g.KW <= 2 * StemPairs && g.OH >= 2 && g.OW >= 2 && StemScratchLength(g) <= scratchLength;

    /// <summary>
    /// The pooled convolution of <see cref="ConvU8S8MaxPool2x2Core"/> by the direct stem when it fits (see
    /// <see cref="UsesPooledStem"/>) and every channel's requantization folds (<see cref="RowRequantizerAvx512.TryFold"/>);
    /// false, having written nothing, otherwise.
    /// </summary>
    private static bool TryConvU8S8MaxPool2x2Stem(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<byte> y, SimdLevel level)
    {
        if (!UsesPooledStem(g, level, scratch.Length))
        {
            return false;
        }

        int channels = g.M;
        int taps = g.KH * g.KW;
        var (planeRows, width) = StemPlane(g);
        int pooledRows = g.OH / 2;
        int pooledColumns = g.OW / 2;
        int pooled = pooledRows * pooledColumns;
        if (x.Length != g.H * g.W || weights.Length != channels * taps || bias.Length != channels || multiplier.Length != channels
            || shift.Length != channels || y.Length != channels * pooled)
        {
            ThrowShape($"The direct stem of {g} got mismatched operands.");
        }

        // Per channel: its bias, multiplier, folded offset and shift − 32 (the requantizer's, RowRequantizerAvx512), then its
        // weight pairs, zero past the patch.
        var parameters = MemoryMarshal.Cast<byte, int>(scratch[..(4 * channels * StemChannelLength)]);
        var plane = scratch.Slice(4 * channels * StemChannelLength, planeRows * width);
        for (int m = 0; m < channels; m++)
        {
            if (!RowRequantizerAvx512.TryFold(shift[m], outputZeroPoint, out int offset))
            {
                return false;
            }

            var p = parameters.Slice(m * StemChannelLength, StemChannelLength);
            (p[0], p[1], p[2], p[3]) = (bias[m], multiplier[m], offset, shift[m] - 32);
            for (int j = 0; j < StemPairs; j++)
            {
                int k = 2 * j;
                int low = k < taps ? weights[(m * taps) + k] : 0;
                int high = k + 1 < taps ? weights[(m * taps) + k + 1] : 0;
                p[StemChannelInts + j] = (ushort)(short)low | (high << 16);
            }
        }

        plane.Fill(zeroPoint);
        ref byte planeRef = ref MemoryMarshal.GetReference(plane);
        ref byte xRef = ref MemoryMarshal.GetReference(x);
        for (int r = 0; r < g.H; r++)
        {
            CopySmall(ref Unsafe.Add(ref xRef, r * g.W), ref Unsafe.Add(ref planeRef, ((r + g.PadTop) * width) + g.PadLeft), g.W);
        }

        // Taps past the patch read tap 0 again, against zero weights.
        Span<int> offsets = stackalloc int[2 * StemPairs];
        for (int k = 0; k < taps; k++)
        {
            offsets[k] = ((k / g.KW) * g.DilationH * width) + ((k % g.KW) * g.DilationW);
        }

        if (level < SimdLevel.Vector512 || !Avx512BW.IsSupported)
        {
            ConvU8S8MaxPool2x2StemAvx2(ref MemoryMarshal.GetReference(plane), width, offsets, ref MemoryMarshal.GetReference(parameters), channels, pooledRows, pooledColumns, clampMin, clampMax, ref MemoryMarshal.GetReference(y));
            return true;
        }

        var (o0, o1, o2, o3, o4, o5, o6, o7, o8, o9) = (offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6], offsets[7], offsets[8], offsets[9]);
        Vector128<byte> codes = default;
        ref int parameterRef = ref MemoryMarshal.GetReference(parameters);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var oddIndex = evenIndex + Vector512<int>.One;
        var min = Vector512.Create((int)clampMin);
        var max = Vector512.Create((int)clampMax);
        for (int ph = 0; ph < pooledRows; ph++)
        {
            for (int pw = 0; pw < pooledColumns; pw += 16)
            {
                // The two conv rows of the windows (a, b), 32 columns each as two halves (0, 1), five tap pairs (0–4).
                ref byte a = ref Unsafe.Add(ref planeRef, (2 * ph * width) + (2 * pw));
                ref byte b = ref Unsafe.Add(ref a, width);
                var (a00, a01, b00, b01) = (StemPair(ref a, o0, o1, 0), StemPair(ref a, o0, o1, 16), StemPair(ref b, o0, o1, 0), StemPair(ref b, o0, o1, 16));
                var (a10, a11, b10, b11) = (StemPair(ref a, o2, o3, 0), StemPair(ref a, o2, o3, 16), StemPair(ref b, o2, o3, 0), StemPair(ref b, o2, o3, 16));
                var (a20, a21, b20, b21) = (StemPair(ref a, o4, o5, 0), StemPair(ref a, o4, o5, 16), StemPair(ref b, o4, o5, 0), StemPair(ref b, o4, o5, 16));
                var (a30, a31, b30, b31) = (StemPair(ref a, o6, o7, 0), StemPair(ref a, o6, o7, 16), StemPair(ref b, o6, o7, 0), StemPair(ref b, o6, o7, 16));
                var (a40, a41, b40, b41) = (StemPair(ref a, o8, o9, 0), StemPair(ref a, o8, o9, 16), StemPair(ref b, o8, o9, 0), StemPair(ref b, o8, o9, 16));
                int count = Math.Min(16, pooledColumns - pw);
                for (int m = 0; m < channels; m++)
                {
                    ref int p = ref Unsafe.Add(ref parameterRef, m * StemChannelLength);
                    var start = Vector512.Create(p);
                    var w = Vector512.Create(Unsafe.Add(ref p, StemChannelInts)).AsInt16();
                    var al = start + Avx512BW.MultiplyAddAdjacent(a00, w);
                    var ah = start + Avx512BW.MultiplyAddAdjacent(a01, w);
                    var bl = start + Avx512BW.MultiplyAddAdjacent(b00, w);
                    var bh = start + Avx512BW.MultiplyAddAdjacent(b01, w);
                    w = Vector512.Create(Unsafe.Add(ref p, StemChannelInts + 1)).AsInt16();
                    al += Avx512BW.MultiplyAddAdjacent(a10, w);
                    ah += Avx512BW.MultiplyAddAdjacent(a11, w);
                    bl += Avx512BW.MultiplyAddAdjacent(b10, w);
                    bh += Avx512BW.MultiplyAddAdjacent(b11, w);
                    w = Vector512.Create(Unsafe.Add(ref p, StemChannelInts + 2)).AsInt16();
                    al += Avx512BW.MultiplyAddAdjacent(a20, w);
                    ah += Avx512BW.MultiplyAddAdjacent(a21, w);
                    bl += Avx512BW.MultiplyAddAdjacent(b20, w);
                    bh += Avx512BW.MultiplyAddAdjacent(b21, w);
                    w = Vector512.Create(Unsafe.Add(ref p, StemChannelInts + 3)).AsInt16();
                    al += Avx512BW.MultiplyAddAdjacent(a30, w);
                    ah += Avx512BW.MultiplyAddAdjacent(a31, w);
                    bl += Avx512BW.MultiplyAddAdjacent(b30, w);
                    bh += Avx512BW.MultiplyAddAdjacent(b31, w);
                    w = Vector512.Create(Unsafe.Add(ref p, StemChannelInts + 4)).AsInt16();
                    al += Avx512BW.MultiplyAddAdjacent(a40, w);
                    ah += Avx512BW.MultiplyAddAdjacent(a41, w);
                    bl += Avx512BW.MultiplyAddAdjacent(b40, w);
                    bh += Avx512BW.MultiplyAddAdjacent(b41, w);

                    // The rows' max (min for a negative multiplier), then the even and the odd columns'.
                    Vector512<int> window;
                    if (Unsafe.Add(ref p, 1) >= 0)
                    {
                        var lo = Avx512F.Max(al, bl);
                        var hi = Avx512F.Max(ah, bh);
                        window = Avx512F.Max(Avx512F.PermuteVar16x32x2(lo, evenIndex, hi), Avx512F.PermuteVar16x32x2(lo, oddIndex, hi));
                    }
                    else
                    {
                        var lo = Avx512F.Min(al, bl);
                        var hi = Avx512F.Min(ah, bh);
                        window = Avx512F.Min(Avx512F.PermuteVar16x32x2(lo, evenIndex, hi), Avx512F.PermuteVar16x32x2(lo, oddIndex, hi));
                    }

                    var result = RowRequantizerAvx512.ApplyFolded(
                        window, Vector512.Create(Unsafe.Add(ref p, 1)), Vector512.Create(Unsafe.Add(ref p, 2)), Vector128.CreateScalar(Unsafe.Add(ref p, 3)), min, max);
                    ref byte o = ref Unsafe.Add(ref yRef, (m * pooled) + (ph * pooledColumns) + pw);
                    if (count == 16)
                    {
                        result.StoreUnsafe(ref o);
                    }
                    else
                    {
                        codes = result;
                        CopySmall(ref Unsafe.As<Vector128<byte>, byte>(ref codes), ref o, count);
                    }
                }
            }
        }

        return true;
    }

    /// <summary>
    /// 16 columns of a tap pair from <paramref name="row"/> (the plane at the first column's window corner) and
    /// <paramref name="half"/> columns on: x at the first tap in each int32's low 16 bits, at the second in the high.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> StemPair(ref byte row, int first, int second, nuint half)
        => (Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, (nuint)first + half))
            | Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref row, (nuint)second + half)), 16)).AsInt16();

    /// <summary>Ints of a channel's parameters before its weight pairs: bias, multiplier, folded offset, shift − 32.</summary>
    private const int StemChannelInts = 4;
}
