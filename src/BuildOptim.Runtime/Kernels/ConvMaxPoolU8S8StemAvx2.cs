using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The direct stem of ConvMaxPoolU8S8Stem.cs in AVX2 (Vector256): the same padded plane, per-channel parameters and tap
// pairs, over 16 conv columns a step (8 pooled outputs) instead of 32. Per step, 20 ymm of tap pairs (five pairs, two rows,
// two halves of 8 columns; more than the 16 ymm registers, so the JIT keeps some in the stack frame and vpmaddwd reads
// them from there), then per channel five broadcast weight pairs and four vpmaddwd each; the rows' max (min for a negative
// multiplier), the even and odd columns by vshufps and their max, the lanes put in order by vpermq (as
// MaxPool2x2RequantizeRowAvx2), the folded requantization of RowRequantizerAvx2 (vpmuldq of the even and odd lanes, one
// blend, an add and vpsrad) and PackClampU8: 8 pooled codes per channel and step, the GEMM path's bit for bit (the same
// int32 sums in another order and the same requantization integers).
public static partial class Kernels
{
    /// <summary>Conv columns per step of the AVX2 stem: two ymm of 8 pixels, 8 pooled outputs.</summary>
    private const int StemColumnsAvx2 = 16;

    /// <summary>
    /// The pooled codes of the direct stem in AVX2, from the padded plane at <paramref name="planeRef"/> (rows of
    /// <paramref name="width"/>), the taps' plane offsets <paramref name="offsets"/> (ten; past the patch, tap 0 again) and each
    /// channel's <see cref="StemChannelLength"/> ints at <paramref name="parameterRef"/> (every requantization folded).
    /// </summary>
    /// <remarks>Compiled fully optimized at once (it runs once per inference and loops inside: tier 0 would run it for many calls).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvU8S8MaxPool2x2StemAvx2(ref byte planeRef, int width, ReadOnlySpan<int> offsets, ref int parameterRef, int channels, int pooledRows, int pooledColumns, byte clampMin, byte clampMax, ref byte yRef)
    {
        var (o0, o1, o2, o3, o4, o5, o6, o7, o8, o9) = (offsets[0], offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6], offsets[7], offsets[8], offsets[9]);
        int pooled = pooledRows * pooledColumns;
        var minCode = Vector128.Create(clampMin);
        var maxCode = Vector128.Create(clampMax);
        ulong codes = 0;
        for (int ph = 0; ph < pooledRows; ph++)
        {
            for (int pw = 0; pw < pooledColumns; pw += StemColumnsAvx2 / 2)
            {
                // The two conv rows of the windows (a, b), 16 columns each as two halves (0, 1), five tap pairs (0–4).
                ref byte a = ref Unsafe.Add(ref planeRef, (2 * ph * width) + (2 * pw));
                ref byte b = ref Unsafe.Add(ref a, width);
                var (a00, a01, b00, b01) = (StemPairAvx2(ref a, o0, o1, 0), StemPairAvx2(ref a, o0, o1, 8), StemPairAvx2(ref b, o0, o1, 0), StemPairAvx2(ref b, o0, o1, 8));
                var (a10, a11, b10, b11) = (StemPairAvx2(ref a, o2, o3, 0), StemPairAvx2(ref a, o2, o3, 8), StemPairAvx2(ref b, o2, o3, 0), StemPairAvx2(ref b, o2, o3, 8));
                var (a20, a21, b20, b21) = (StemPairAvx2(ref a, o4, o5, 0), StemPairAvx2(ref a, o4, o5, 8), StemPairAvx2(ref b, o4, o5, 0), StemPairAvx2(ref b, o4, o5, 8));
                var (a30, a31, b30, b31) = (StemPairAvx2(ref a, o6, o7, 0), StemPairAvx2(ref a, o6, o7, 8), StemPairAvx2(ref b, o6, o7, 0), StemPairAvx2(ref b, o6, o7, 8));
                var (a40, a41, b40, b41) = (StemPairAvx2(ref a, o8, o9, 0), StemPairAvx2(ref a, o8, o9, 8), StemPairAvx2(ref b, o8, o9, 0), StemPairAvx2(ref b, o8, o9, 8));
                int count = Math.Min(StemColumnsAvx2 / 2, pooledColumns - pw);
                for (int m = 0; m < channels; m++)
                {
                    ref int p = ref Unsafe.Add(ref parameterRef, m * StemChannelLength);
                    var start = Vector256.Create(p);
                    var w = Vector256.Create(Unsafe.Add(ref p, StemChannelInts)).AsInt16();
                    var al = start + Avx2.MultiplyAddAdjacent(a00, w);
                    var ah = start + Avx2.MultiplyAddAdjacent(a01, w);
                    var bl = start + Avx2.MultiplyAddAdjacent(b00, w);
                    var bh = start + Avx2.MultiplyAddAdjacent(b01, w);
                    w = Vector256.Create(Unsafe.Add(ref p, StemChannelInts + 1)).AsInt16();
                    al += Avx2.MultiplyAddAdjacent(a10, w);
                    ah += Avx2.MultiplyAddAdjacent(a11, w);
                    bl += Avx2.MultiplyAddAdjacent(b10, w);
                    bh += Avx2.MultiplyAddAdjacent(b11, w);
                    w = Vector256.Create(Unsafe.Add(ref p, StemChannelInts + 2)).AsInt16();
                    al += Avx2.MultiplyAddAdjacent(a20, w);
                    ah += Avx2.MultiplyAddAdjacent(a21, w);
                    bl += Avx2.MultiplyAddAdjacent(b20, w);
                    bh += Avx2.MultiplyAddAdjacent(b21, w);
                    w = Vector256.Create(Unsafe.Add(ref p, StemChannelInts + 3)).AsInt16();
                    al += Avx2.MultiplyAddAdjacent(a30, w);
                    ah += Avx2.MultiplyAddAdjacent(a31, w);
                    bl += Avx2.MultiplyAddAdjacent(b30, w);
                    bh += Avx2.MultiplyAddAdjacent(b31, w);
                    w = Vector256.Create(Unsafe.Add(ref p, StemChannelInts + 4)).AsInt16();
                    al += Avx2.MultiplyAddAdjacent(a40, w);
                    ah += Avx2.MultiplyAddAdjacent(a41, w);
                    bl += Avx2.MultiplyAddAdjacent(b40, w);
                    bh += Avx2.MultiplyAddAdjacent(b41, w);

                    // The rows' max (min for a negative multiplier), then the even and the odd columns' of each 128-bit
                    // lane, and the lanes put back in order (columns 0..7 of lo, 8..15 of hi → pooled 0..7).
                    bool minimum = Unsafe.Add(ref p, 1) < 0;
                    var lo = minimum ? Avx2.Min(al, bl) : Avx2.Max(al, bl);
                    var hi = minimum ? Avx2.Min(ah, bh) : Avx2.Max(ah, bh);
                    var even = Avx.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b10_00_10_00).AsInt32();
                    var odd = Avx.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b11_01_11_01).AsInt32();
                    var window = Avx2.Permute4x64((minimum ? Avx2.Min(even, odd) : Avx2.Max(even, odd)).AsInt64(), 0b11_01_10_00).AsInt32();

                    // The folded requantization (RowRequantizerAvx2): q = (hi(window · m) + c) >> (s − 32), then the packs' clamp.
                    var multiplier = Vector256.Create(Unsafe.Add(ref p, 1));
                    var productEven = Avx2.Multiply(window, multiplier);
                    var productOdd = Avx2.Multiply(Avx2.ShiftRightLogical(window.AsInt64(), 32).AsInt32(), multiplier);
                    var high = Avx2.Blend(Avx2.ShiftRightLogical(productEven, 32).AsInt32(), productOdd.AsInt32(), 0b1010_1010);
                    var q = Avx2.ShiftRightArithmetic(high + Vector256.Create(Unsafe.Add(ref p, 2)), Vector128.CreateScalar(Unsafe.Add(ref p, 3)));
                    ulong result = PackClampU8(q, minCode, maxCode);
                    ref byte o = ref Unsafe.Add(ref yRef, (m * pooled) + (ph * pooledColumns) + pw);
                    if (count == StemColumnsAvx2 / 2)
                    {
                        Unsafe.WriteUnaligned(ref o, result);
                    }
                    else
                    {
                        codes = result;
                        CopySmall(ref Unsafe.As<ulong, byte>(ref codes), ref o, count);
                    }
                }
            }
        }
    }

    /// <summary>
    /// 8 columns of a tap pair from <paramref name="row"/> and <paramref name="half"/> columns on (8 bytes read per tap):
    /// x at the first tap in each int32's low 16 bits, at the second in the high (<see cref="StemPair"/> in 256 bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> StemPairAvx2(ref byte row, int first, int second, nuint half)
        => (Avx2.ConvertToVector256Int32(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref row, (nuint)first + half))).AsByte())
            | Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref row, (nuint)second + half))).AsByte()), 16)).AsInt16();
}
