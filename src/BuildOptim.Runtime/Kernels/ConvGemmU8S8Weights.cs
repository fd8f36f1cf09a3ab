namespace BuildOptim.Runtime;

// The u8 × s8 convolution's packed weights (see ConvGemmU8S8.cs): blocks of 6 output channels, pairs of taps per int32.
public static partial class Kernels
{
    /// <summary>
    /// Ints of the pre-packed weights <see cref="PackConvU8S8Weights"/> returns for <paramref name="g"/>
    /// (0 for a depthwise convolution, which reads its weights directly).
    /// </summary>
    internal static int ConvU8S8PackedWeightsLength(in ConvGeometry g)
        => g.IsDepthwise ? 0 : g.Group * ConvGemmU8S8GroupWeightsLength(g);

    /// <summary>
    /// The weights [M, C/G·KH·KW] of a u8 × s8 convolution in the micro-kernel's layout, for the <c>packedWeights</c>
    /// overloads of <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>:
    /// per group, blocks of 6 output channels, each <c>[⌈P/2⌉][6]</c> int32 holding <c>(ushort)w[i, 2j] | w[i, 2j+1] &lt;&lt; 16</c>
    /// (zero past the patch and past the last channel). Packing once saves each call the rearrangement.
    /// </summary>
    internal static int[] PackConvU8S8Weights(ReadOnlySpan<sbyte> weights, in ConvGeometry g)
    {
        ValidateConvGeometry(g);
        if (weights.Length != g.M * g.PatchLength)
        {
            ThrowShape($"Conv {g} needs {g.M * g.PatchLength} weights; got {weights.Length}.");
        }

        var packed = new int[ConvU8S8PackedWeightsLength(g)];
        if (packed.Length == 0)
        {
            return packed;
        }

        int groupWeights = g.GroupOutputChannels * g.PatchLength;
        int groupPacked = ConvGemmU8S8GroupWeightsLength(g);
        for (int group = 0; group < g.Group; group++)
        {
            PackConvGemmU8S8GroupWeights(weights.Slice(group * groupWeights, groupWeights), g, packed.AsSpan(group * groupPacked, groupPacked));
        }

        return packed;
    }

    private static void PackConvGemmU8S8GroupWeights(ReadOnlySpan<sbyte> weights, in ConvGeometry g, Span<int> packed)
    {
        int rows = g.GroupOutputChannels;
        int patch = g.PatchLength;
        int pairs = PatchPairs(patch);
        packed.Clear();
        for (int i = 0; i < rows; i++)
        {
            var w = weights.Slice(i * patch, patch);
            var block = packed.Slice(i / GemmTileRows * pairs * GemmTileRows, pairs * GemmTileRows);
            int r = i % GemmTileRows;
            for (int j = 0; j < pairs; j++)
            {
                int high = (2 * j) + 1 < patch ? w[(2 * j) + 1] : 0;
                block[(j * GemmTileRows) + r] = (ushort)(short)w[2 * j] | (high << 16);
            }
        }
    }
}
