using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The small-plane depthwise convolution (ConvDepthwiseU8S8Small.cs) in AVX2, for machines without AVX-512 VBMI.
//
// The same gather indices, the same layout of 16 outputs × 4 taps per group, taken 32 bytes (16 outputs × one tap pair)
// at a time. A channel's plane of at most 64 codes is four 16-byte pieces, each broadcast to both lanes of a ymm; vpshufb
// looks a code up in every piece, and per-call selectors keep it only from the piece that holds it: selector p is
// index ^ (16·p) plus 0x70 with unsigned saturation, whose top bit is clear (vpshufb reads the low nibble) exactly when the
// index lies in piece p, and set (vpshufb gives 0) otherwise, also for index 64, which a mask fills with the zero point.
// Each 16-byte half zero-extends to 16-bit pairs and one vpmaddwd against the broadcast weight pair adds both products into
// 8 outputs' int32 lanes. The same sums as the tap-by-tap twin, so the same codes.
public static partial class Kernels
{
    /// <summary>Bytes of one tap pair's selectors: four pieces' vpshufb indices and the zero-point mask, 32 bytes each.</summary>
    private const int SmallDepthwiseSelectorBytes = 5 * 32;

    /// <summary>The AVX2 twin of <see cref="ConvDepthwiseU8S8Small"/>: the same accumulators, handed to <paramref name="output"/> the same way.</summary>
    private static void ConvDepthwiseU8S8SmallAvx2<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<int> accScratch, scoped ReadOnlySpan<byte> gather, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        int taps = g.KH * g.KW;
        int groups = (taps + 3) / 4;
        int chunks = SmallDepthwiseChunks(g);
        int pixels = g.OH * g.OW;
        int plane = g.H * g.W;
        int stride = chunks * DepthwiseChunk;

        // The selectors of every chunk, group and half (tap pair), from the vpermi2b indices: geometry only, built per call.
        Span<byte> selectors = stackalloc byte[chunks * groups * 2 * SmallDepthwiseSelectorBytes];
        ref byte selRef = ref MemoryMarshal.GetReference(selectors);
        ref byte indexRef = ref MemoryMarshal.GetReference(gather);
        var bias70 = Vector256.Create((byte)0x70);
        var padding = Vector256.Create((byte)64);
        for (int h = 0; h < chunks * groups * 2; h++)
        {
            var index = Vector256.LoadUnsafe(ref indexRef, (nuint)(h * 32));
            ref byte block = ref Unsafe.Add(ref selRef, h * SmallDepthwiseSelectorBytes);
            for (int p = 0; p < 4; p++)
            {
                Avx2.AddSaturate(index ^ Vector256.Create((byte)(16 * p)), bias70).StoreUnsafe(ref block, (nuint)(32 * p));
            }

            Vector256.Equals(index, padding).StoreUnsafe(ref block, 128);
        }

        var acc = accScratch[..(SmallDepthwiseBlock * stride)];
        ref int accRef = ref MemoryMarshal.GetReference(acc);
        ref byte xRef = ref MemoryMarshal.GetReference(x);
        ref sbyte wRef = ref MemoryMarshal.GetReference(weights);
        var zero = Vector256.Create(zeroPoint);
        var tapMaskLow = Vector256.LessThan(Vector256<short>.Indices, Vector256.Create((short)taps));
        var tapMaskHigh = Vector256.LessThan(Vector256<short>.Indices + Vector256.Create((short)16), Vector256.Create((short)taps));
        Span<byte> lastPlane = stackalloc byte[64];
        Span<sbyte> lastWeights = stackalloc sbyte[32];
        Span<short> tapWords = stackalloc short[32];
        ref byte tapRef = ref Unsafe.As<short, byte>(ref MemoryMarshal.GetReference(tapWords));
        for (int c0 = 0; c0 < g.C; c0 += SmallDepthwiseBlock)
        {
            int rows = Math.Min(SmallDepthwiseBlock, g.C - c0);
            for (int r = 0; r < rows; r++)
            {
                int c = c0 + r;
                Vector256<byte> front;
                Vector256<byte> back;
                if ((c * plane) + 64 <= x.Length)
                {
                    front = Vector256.LoadUnsafe(ref xRef, (nuint)(c * plane));
                    back = Vector256.LoadUnsafe(ref xRef, (nuint)((c * plane) + 32));
                }
                else
                {
                    x.Slice(c * plane, plane).CopyTo(lastPlane);
                    front = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(lastPlane));
                    back = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(lastPlane), 32);
                }

                var piece0 = Vector256.Create(front.GetLower());
                var piece1 = Vector256.Create(front.GetUpper());
                var piece2 = Vector256.Create(back.GetLower());
                var piece3 = Vector256.Create(back.GetUpper());

                // The channel's taps as 16-bit values, zero past the last tap: int32 word m is the pair (w[2m], w[2m+1]).
                Vector256<sbyte> tapCodes;
                if ((c * taps) + 32 <= weights.Length)
                {
                    tapCodes = Vector256.LoadUnsafe(ref wRef, (nuint)(c * taps));
                }
                else
                {
                    weights.Slice(c * taps, taps).CopyTo(lastWeights);
                    tapCodes = Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(lastWeights));
                }

                (Avx2.ConvertToVector256Int16(tapCodes.GetLower()) & tapMaskLow).StoreUnsafe(ref MemoryMarshal.GetReference(tapWords));
                (Avx2.ConvertToVector256Int16(tapCodes.GetUpper()) & tapMaskHigh).StoreUnsafe(ref MemoryMarshal.GetReference(tapWords), 16);
                var start = Vector256.Create(bias[c]);
                ref int channelAcc = ref Unsafe.Add(ref accRef, r * stride);
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    var low = start;
                    var high = start;
                    ref byte chunkSelectors = ref Unsafe.Add(ref selRef, chunk * groups * 2 * SmallDepthwiseSelectorBytes);
                    for (int m = 0; m < 2 * groups; m++)
                    {
                        ref byte s = ref Unsafe.Add(ref chunkSelectors, m * SmallDepthwiseSelectorBytes);
                        var codes = Avx2.Shuffle(piece0, Vector256.LoadUnsafe(ref s))
                            | Avx2.Shuffle(piece1, Vector256.LoadUnsafe(ref s, 32))
                            | Avx2.Shuffle(piece2, Vector256.LoadUnsafe(ref s, 64))
                            | Avx2.Shuffle(piece3, Vector256.LoadUnsafe(ref s, 96))
                            | (Vector256.LoadUnsafe(ref s, 128) & zero);
                        var pair = Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref tapRef, 4 * m))).AsInt16();
                        low += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(codes.GetLower()), pair);
                        high += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(codes.GetUpper()), pair);
                    }

                    low.StoreUnsafe(ref channelAcc, (nuint)(chunk * DepthwiseChunk));
                    high.StoreUnsafe(ref channelAcc, (nuint)((chunk * DepthwiseChunk) + 8));
                }
            }

            if (!output.WriteRows(c0, rows, 0, acc, stride, pixels, g.OW, g.OW, default, level))
            {
                for (int r = 0; r < rows; r++)
                {
                    output.Write(c0 + r, 0, acc.Slice(r * stride, pixels), level);
                }
            }
        }
    }
}
