using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The depthwise u8 × s8 convolution of small planes (input and output at most 64 pixels: the late stages of MobileNet-style
// networks, 4 × 4 to 8 × 8), in AVX-512 VBMI/BW (in AVX2 without it: ConvDepthwiseU8S8SmallAvx2.cs), for any kernel up to
// 32 taps, stride, dilation and padding.
//
// A channel's whole input plane fits one zmm. For 16 outputs and 4 taps, one vpermi2b gathers the 64 codes those taps
// read — from the plane, or from a vector of the zero point where a tap falls in the padding — laid out as two halves of
// 16 (tap 4j, tap 4j+1) pairs and 16 (tap 4j+2, tap 4j+3) pairs. Each half is zero-extended to 16-bit pairs and one
// vpmaddwd against the broadcast weight pair adds both products into the 16 outputs' int32 lanes (exact: |255 · 128| < 2^15).
// The gather indices depend on the geometry only: they are built once per call, for every chunk of 16 outputs and group
// of 4 taps. Taps past the kernel's end have weight 0.
//
// The channel loop is the hot loop: no padded plane is written, no shuffle depends on the channel, and sixteen channels'
// accumulators are requantized in one block. The same sums as the tap-by-tap twin, so the same codes.
public static partial class Kernels
{
    /// <summary>Channels whose accumulators the small-plane depthwise path hands to its output in one block.</summary>
    private const int SmallDepthwiseBlock = 16;

    /// <summary>Whether <paramref name="g"/>'s planes are small enough for the small-plane depthwise path (any machine: this sizes scratch).</summary>
    private static bool IsSmallDepthwise(in ConvGeometry g)
        => g.IsDepthwise && g.H * g.W <= 64 && g.OH * g.OW <= 64 && g.KH * g.KW <= 32;

    /// <summary>
    /// Whether the small-plane depthwise path runs <paramref name="g"/> at <paramref name="level"/>: in AVX2 only past 3 × 3
    /// stride 1, whose 16-bit plane paths are faster there (MobileNetV3's 7 × 7 planes, 3.0 against 4.5 µs).
    /// </summary>
    private static bool UsesSmallDepthwise(in ConvGeometry g, SimdLevel level)
        => IsSmallDepthwise(g) && (UsesSmallDepthwiseVbmi(level) || (level >= SimdLevel.Vector256 && Avx2.IsSupported && !DepthwisePlane.UsesWidePlane(g)));

    /// <summary>Whether the small-plane path runs in AVX-512 VBMI/BW at <paramref name="level"/> (else in AVX2, ConvDepthwiseU8S8SmallAvx2.cs).</summary>
    private static bool UsesSmallDepthwiseVbmi(SimdLevel level)
        => level >= SimdLevel.Vector512 && Avx512BW.IsSupported && Avx512Vbmi.IsSupported;

    /// <summary>Accumulator ints of the small-plane path: a block of channels, each a whole number of 16-output chunks.</summary>
    private static int SmallDepthwiseAccumulatorLength(in ConvGeometry g)
        => SmallDepthwiseBlock * SmallDepthwiseChunks(g) * DepthwiseChunk;

    private static int SmallDepthwiseChunks(in ConvGeometry g) => ((g.OH * g.OW) + DepthwiseChunk - 1) / DepthwiseChunk;

    /// <summary>Every channel's accumulators <c>bias[c] + Σ_k w[c, k] · x[c, tap k]</c>, handed to <paramref name="output"/> sixteen channels at a time.</summary>
    /// <remarks><paramref name="indices"/> are <see cref="SmallDepthwiseIndices(in ConvGeometry)"/> (a prepared layout's), or empty to build them here.</remarks>
    private static void ConvDepthwiseU8S8Small<TOutput>(ReadOnlySpan<byte> x, in ConvGeometry g, byte zeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> bias, Span<int> accScratch, ReadOnlySpan<byte> indices, ref TOutput output, SimdLevel level)
        where TOutput : IConvGemmOutput, allows ref struct
    {
        int taps = g.KH * g.KW;
        int groups = (taps + 3) / 4;
        int chunks = SmallDepthwiseChunks(g);
        int pixels = g.OH * g.OW;
        int plane = g.H * g.W;
        int stride = chunks * DepthwiseChunk;
        Span<byte> built = stackalloc byte[indices.IsEmpty ? chunks * groups * 64 : 0];
        if (indices.IsEmpty)
        {
            SmallDepthwiseIndices(g, built);
        }

        ReadOnlySpan<byte> gather = indices.IsEmpty ? built : indices;
        if (!UsesSmallDepthwiseVbmi(level))
        {
            ConvDepthwiseU8S8SmallAvx2(x, g, zeroPoint, weights, bias, accScratch, gather, ref output, level);
            return;
        }

        var acc = accScratch[..(SmallDepthwiseBlock * stride)];
        ref int accRef = ref MemoryMarshal.GetReference(acc);
        ref byte indexRef = ref MemoryMarshal.GetReference(gather);
        ref byte xRef = ref MemoryMarshal.GetReference(x);
        ref sbyte wRef = ref MemoryMarshal.GetReference(weights);
        var zero = Vector512.Create(zeroPoint);
        var tapMask = Vector512.LessThan(Vector512<short>.Indices, Vector512.Create((short)taps));
        Span<byte> lastPlane = stackalloc byte[64];
        Span<sbyte> lastWeights = stackalloc sbyte[32];
        for (int c0 = 0; c0 < g.C; c0 += SmallDepthwiseBlock)
        {
            int rows = Math.Min(SmallDepthwiseBlock, g.C - c0);
            for (int r = 0; r < rows; r++)
            {
                int c = c0 + r;
                Vector512<byte> source;
                if ((c * plane) + 64 <= x.Length)
                {
                    source = Vector512.LoadUnsafe(ref xRef, (nuint)(c * plane));
                }
                else
                {
                    x.Slice(c * plane, plane).CopyTo(lastPlane);
                    source = Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(lastPlane));
                }

                // The channel's taps as 16-bit values: int32 lane j is the pair (w[2j], w[2j+1]), zero past the last tap.
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

                var pairs = (Avx512BW.ConvertToVector512Int16(tapCodes) & tapMask).AsInt32();
                var start = Vector512.Create(bias[c]);
                ref int channelAcc = ref Unsafe.Add(ref accRef, r * stride);
                for (int chunk = 0; chunk < chunks; chunk++)
                {
                    var sum = start;
                    ref byte chunkIndices = ref Unsafe.Add(ref indexRef, chunk * groups * 64);
                    for (int j = 0; j < groups; j++)
                    {
                        var codes = Avx512Vbmi.PermuteVar64x8x2(source, Vector512.LoadUnsafe(ref chunkIndices, (nuint)(j * 64)), zero);
                        var first = Avx512F.PermuteVar16x32(pairs, Vector512.Create(2 * j)).AsInt16();
                        var second = Avx512F.PermuteVar16x32(pairs, Vector512.Create((2 * j) + 1)).AsInt16();
                        sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(codes.GetLower()), first);
                        sum += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(codes.GetUpper()), second);
                    }

                    sum.StoreUnsafe(ref channelAcc, (nuint)(chunk * DepthwiseChunk));
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

    /// <summary><see cref="SmallDepthwiseIndices(in ConvGeometry, Span{byte})"/> into a new array.</summary>
    private static byte[] SmallDepthwiseIndices(in ConvGeometry g)
    {
        var indices = new byte[SmallDepthwiseChunks(g) * ((g.KH * g.KW) + 3) / 4 * 64];
        SmallDepthwiseIndices(g, indices);
        return indices;
    }

    /// <summary>
    /// The vpermi2b indices of every chunk of 16 outputs and group of 4 taps: byte <c>2·o + t</c> of the first half reads tap
    /// <c>4j + t</c> of output o, byte <c>32 + 2·o + t</c> tap <c>4j + 2 + t</c>; an index of 64 reads the zero point
    /// (padding, taps past the kernel, outputs past the plane).
    /// </summary>
    private static void SmallDepthwiseIndices(in ConvGeometry g, Span<byte> indices)
    {
        int taps = g.KH * g.KW;
        int groups = (taps + 3) / 4;
        int chunks = SmallDepthwiseChunks(g);
        int pixels = g.OH * g.OW;
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            for (int j = 0; j < groups; j++)
            {
                var block = indices.Slice(((chunk * groups) + j) * 64, 64);
                for (int lane = 0; lane < 64; lane++)
                {
                    int o = (chunk * DepthwiseChunk) + ((lane & 31) >> 1);
                    int k = (4 * j) + (lane >= 32 ? 2 : 0) + (lane & 1);
                    block[lane] = 64;
                    if (o >= pixels || k >= taps)
                    {
                        continue;
                    }

                    int ih = ((o / g.OW) * g.StrideH) - g.PadTop + ((k / g.KW) * g.DilationH);
                    int iw = ((o % g.OW) * g.StrideW) - g.PadLeft + ((k % g.KW) * g.DilationW);
                    if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W)
                    {
                        block[lane] = (byte)((ih * g.W) + iw);
                    }
                }
            }
        }
    }
}
