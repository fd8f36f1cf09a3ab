using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The last pixel of a convolution's matrix product when a block leaves exactly one past whole 16-pixel panels (a 7 × 7
// output: 49 = 3 · 16 + 1), for all output channels in one pass: its column of codes is gathered from the source the panels
// are packed from and multiplied by the plan's int8 weights as they are with the dense GEMV (GemvU8S8S32: AVX-VNNI
// vpdpbusd, eight channels a step), instead of one column tile per 6-channel row block (GemmTileU8S8Avx2Columns: one
// 6-lane vpmaddwd per pair and block). Two to four pixels stay with the column tiles, which multiply each weight load
// with every pixel (measured: FashionCnn's 1 × 1 layer on 14 × 14, four pixels, took 1.02 µs through the GEMV against
// 0.80 µs through the tiles). Every sum is exact in int32, so the accumulators are the tiles' bit for bit, at every SIMD
// level. A 7-bit layer (ConvGemmU8S7.cs) halves the gathered codes and takes four times the sum, as its tiles do.
public static partial class Kernels
{
    /// <summary>Bytes of one group's int8 weights at most for which <see cref="ConvGemmGemvTail"/> takes the last pixels (they stay in L1/L2).</summary>
    private const int GemvTailMaxWeights = 32 * 1024;

    /// <summary>Patch length at most of <see cref="ConvGemmGemvTail"/> (its column lives on the stack).</summary>
    private const int GemvTailMaxPatch = 1024;

    /// <summary>
    /// How many of a block's <paramref name="count"/> pixels <see cref="ConvGemmGemvTail"/> computes: the one past its whole
    /// panels when the group's weights are small, else 0 (the tiles take them).
    /// </summary>
    private static int ConvGemmGemvTailPixels(int count, int rows, int patch)
    {
        int tail = count % GemmTilePixels;
        return tail == 1 && patch <= GemvTailMaxPatch && (long)rows * patch <= GemvTailMaxWeights ? tail : 0;
    }

    /// <summary>
    /// <c>tailAcc[t · M + i] = bias[i] + Σ_k w[i, k] · source[taps[k] + stride · (firstPixel + t)]</c> for t &lt;
    /// <paramref name="pixels"/> and every channel i &lt; M = bias.Length: the accumulators the tiles would give those pixels
    /// (<paramref name="lastOffset"/>: the largest tap offset; <paramref name="column"/>: scratch of at least the patch length);
    /// for a 7-bit layer (<paramref name="sevenBit"/>) <c>bias[i] + 4 · Σ_k w[i, k] · (source[…] &gt;&gt; 1)</c>, as its tiles give.
    /// </summary>
    private static unsafe void ConvGemmGemvTail(ReadOnlySpan<byte> source, ReadOnlySpan<int> taps, int lastOffset, int stride, int firstPixel, int pixels, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<byte> column, Span<int> tailAcc, SimdLevel level, bool sevenBit = false)
    {
        int rows = bias.Length;
        int patch = taps.Length;
        var codes = column[..patch];
        if ((long)lastOffset + ((long)stride * (firstPixel + pixels - 1)) >= source.Length || tailAcc.Length < pixels * rows)
        {
            ThrowShape("The last pixels' taps lie outside their source.");
        }

        ref byte s = ref MemoryMarshal.GetReference(source);
        ref int o = ref MemoryMarshal.GetReference(taps);
        ref byte c = ref MemoryMarshal.GetReference(codes);
        for (int t = 0; t < pixels; t++)
        {
            int pixel = stride * (firstPixel + t);
            int k = 0;
            if (level >= SimdLevel.Vector512 && Avx512F.VL.IsSupported && (long)lastOffset + pixel + 4 <= source.Length)
            {
                // Eight taps per vpgatherdd (four bytes read at each, all inside the source; the low one kept by vpmovdb),
                // the last few one at a time.
                fixed (byte* sourceStart = source)
                {
                    for (; k + 8 <= patch; k += 8)
                    {
                        var index = Vector256.LoadUnsafe(ref o, (nuint)k) + Vector256.Create(pixel);
                        var gathered = Avx512F.VL.ConvertToVector128Byte(Avx2.GatherVector256((int*)sourceStart, index, 1));
                        Unsafe.WriteUnaligned(ref Unsafe.Add(ref c, k), gathered.AsUInt64().ToScalar());
                    }
                }
            }

            ref byte at = ref Unsafe.Add(ref s, pixel);
            for (; k < patch; k++)
            {
                Unsafe.Add(ref c, k) = Unsafe.Add(ref at, Unsafe.Add(ref o, k));
            }

            var acc = tailAcc.Slice(t * rows, rows);
            if (sevenBit)
            {
                for (k = 0; k < patch; k++)
                {
                    Unsafe.Add(ref c, k) >>= 1;
                }
            }

            GemvU8S8S32(codes, weights, bias, acc, level);
            if (sevenBit)
            {
                // acc = bias + S, and the tiles give bias + 4 · S = 4 · acc − 3 · bias (exact in int32).
                for (int i = 0; i < rows; i++)
                {
                    acc[i] = (4 * acc[i]) - (3 * bias[i]);
                }
            }
        }
    }
}
