using System.Runtime.InteropServices;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Bytes of scratch the shared-weight convolutions need: the decoded int8 weights (<c>M · PatchLength</c>, rounded
    /// up to 64) followed by <see cref="ConvU8S8ScratchLength(in ConvGeometry)"/>.
    /// </summary>
    internal static int ConvSharedU8U4ScratchLength(in ConvGeometry g)
        => SharedConvDecodedLength(g) + ConvU8S8ScratchLength(g);

    /// <summary>
    /// <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>
    /// with weights <c>w[m, j] = table_m[idx(m, j)]</c> given as packed 4-bit indices and int8 codebooks (layout in
    /// SharedIndicesU4.cs), j over the <c>PatchLength</c> taps of output channel m.
    /// </summary>
    /// <remarks>
    /// Every weight is reused at all <c>OH · OW</c> output pixels, so the weights are decoded once per call into the
    /// head of <paramref name="scratch"/> (<see cref="DecodeU4S8(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, int, int, Span{sbyte})"/>,
    /// about one table lookup per 16 multiply-adds of the smallest useful convolution) and the plain kernel runs on them:
    /// the result equals <c>ConvU8S8</c> on the decoded weights by construction. <paramref name="scratch"/> needs
    /// <see cref="ConvSharedU8U4ScratchLength"/> bytes.
    /// </remarks>
    internal static void ConvSharedU8U4(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y)
    {
        var weights = DecodeSharedConvWeights(g, indices, codebooks, scratch);
        ConvU8S8(x, g, inputZeroPoint, weights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch[SharedConvDecodedLength(g)..], accScratch, y);
    }

    /// <summary><see cref="ConvU8S8ToF32(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{float}, float, float, Span{byte}, Span{int}, Span{float})"/> over shared weights, as <see cref="ConvSharedU8U4"/>.</summary>
    internal static void ConvSharedU8U4ToF32(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, ReadOnlySpan<float> scale, float clampMin, float clampMax, Span<byte> scratch, Span<int> accScratch, Span<float> y)
    {
        var weights = DecodeSharedConvWeights(g, indices, codebooks, scratch);
        ConvU8S8ToF32(x, g, inputZeroPoint, weights, bias, scale, clampMin, clampMax, scratch[SharedConvDecodedLength(g)..], accScratch, y);
    }

    private static int SharedConvDecodedLength(in ConvGeometry g) => ((g.M * g.PatchLength) + 63) & ~63;

    private static Span<sbyte> DecodeSharedConvWeights(in ConvGeometry g, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, Span<byte> scratch)
    {
        if (scratch.Length < ConvSharedU8U4ScratchLength(g))
        {
            ThrowShape($"Conv {g} over shared weights needs {ConvSharedU8U4ScratchLength(g)} bytes of scratch; got {scratch.Length}.");
        }

        var weights = MemoryMarshal.Cast<byte, sbyte>(scratch[..(g.M * g.PatchLength)]);
        DecodeU4S8(indices, codebooks, g.M, g.PatchLength, weights);
        return weights;
    }
}
