using BuildOptim.Compression.Planning;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Sharing;

/// <summary>
/// A shared layer in the int8 plan: 4-bit indices packed two per byte (<see cref="Kernels.PackU4"/>), int8 codebooks
/// (one per row, or one for the layer), and the int8 weights and scales they decode to (for bias folding and requantization).
/// </summary>
internal sealed record PackedSharedWeights(byte[] Indices, sbyte[] Codebooks, sbyte[] Q, double[] Scales)
{
    public int CodebookCount => Codebooks.Length / Kernels.SharedCodebookLength;

    /// <summary>Bytes of indices and codebooks (what replaces the int8 weights).</summary>
    public long Bytes => Indices.Length + (long)Codebooks.Length;
}

/// <summary>
/// Turns a shared layer's codebook, indices and row scales into its int8 plan form: the indices packed two per byte and
/// int8 codebooks, plus the int8 weights and per-row scales they stand for (bias folding and requantization use them
/// exactly as for plain int8 weights).
/// </summary>
/// <remarks>
/// <para>
/// Rows of at least <see cref="RowCodebookMinLength"/> weights get their own codebook: <see cref="WeightQuantizer.QuantizeRows"/>
/// of the shared float weights, i.e. <c>Scale[n] = max |centroid used in row n| / 127</c> and
/// <c>codebook[n][c] = round_half_even(centroid_c / Scale[n])</c> with <c>centroid_c</c> the row's scaled centroid, so the
/// packed layer computes bit for bit what the plain int8 layer would. A table costs 128 / K bits per weight, at most 0.5 there.
/// </para>
/// <para>
/// Shorter rows (small Dense layers, convolutions) share one table, which keeps them near 4 bits per weight:
/// with <c>C = max |Codebook[c]|</c> over the centroids the layer uses, <c>table[c] = round_half_even(Codebook[c] / (C / 127))</c>
/// and <c>Scale[n] = RowScales[n] · C / 127</c>. Every row holds its largest weight at an end centroid (its normalized value
/// is ±1), so <c>C</c> is the row's own maximum or close to it, and each weight is rounded by at most <c>Scale[n] / 2</c>,
/// as in plain int8.
/// </para>
/// </remarks>
internal static class SharedWeightPacking
{
    /// <summary>Shortest row that gets its own int8 codebook.</summary>
    public const int RowCodebookMinLength = 256;

    /// <summary>
    /// The packed form of a layer's <paramref name="rows"/> × <paramref name="rowLength"/> weights, or null when 4-bit
    /// packing does not apply (more than 16 clusters: 8-bit indices would be as large as int8 weights) or does not pay.
    /// </summary>
    /// <exception cref="InvalidOperationException">The weights are not the ones <paramref name="shared"/> stands for.</exception>
    public static PackedSharedWeights? Pack(string layerName, float[] weights, SharedWeights shared, int rowLength, int rows)
    {
        Validate(layerName, weights, shared, rowLength, rows);
        if (shared.Clusters > Kernels.SharedCodebookLength || rowLength == 0 || rows == 0)
        {
            return null;
        }

        bool rowCodebooks = rowLength >= RowCodebookMinLength;
        var (q, scales) = rowCodebooks ? WeightQuantizer.QuantizeRows(weights, rowLength, rows) : QuantizeWithLayerTable(shared);
        var codebooks = new sbyte[(rowCodebooks ? rows : 1) * Kernels.SharedCodebookLength];
        for (int i = 0; i < weights.Length; i++)
        {
            // Every weight of a cluster in a row quantizes to the same code, so it writes the same entry.
            int table = rowCodebooks ? i / rowLength : 0;
            codebooks[(table * Kernels.SharedCodebookLength) + shared.Indices[i]] = q[i];
        }

        var indices = new byte[rows * Kernels.PackedU4RowLength(rowLength)];
        Kernels.PackU4(shared.Indices, rows, rowLength, indices);
        var packed = new PackedSharedWeights(indices, codebooks, q, scales);
        return packed.Bytes < weights.Length ? packed : null;
    }

    /// <summary>The int8 weights and row scales of one table for the whole layer (see the remarks).</summary>
    private static (sbyte[] Q, double[] Scales) QuantizeWithLayerTable(SharedWeights shared)
    {
        double largest = 0;
        var used = new bool[shared.Clusters];
        foreach (byte index in shared.Indices)
        {
            used[index] = true;
        }

        for (int c = 0; c < shared.Clusters; c++)
        {
            largest = used[c] ? Math.Max(largest, Math.Abs((double)shared.Codebook[c])) : largest;
        }

        double step = largest > 0 ? largest / 127.0 : 1.0;
        var table = new sbyte[shared.Clusters];
        for (int c = 0; c < shared.Clusters; c++)
        {
            table[c] = (sbyte)Math.Clamp(Math.Round(shared.Codebook[c] / step, MidpointRounding.ToEven), -127, 127);
        }

        var q = Array.ConvertAll(shared.Indices, i => table[i]);
        var scales = Array.ConvertAll(shared.RowScales, s => s > 0 ? s * step : 1.0);
        return (q, scales);
    }

    private static void Validate(string layerName, float[] weights, SharedWeights shared, int rowLength, int rows)
    {
        bool matches = weights.Length == (long)rowLength * rows && shared.Indices.Length == weights.Length && shared.RowScales.Length == rows;
        for (int i = 0; matches && i < weights.Length; i++)
        {
            matches = shared.Indices[i] < shared.Codebook.Length && shared.Weight(i).Equals(weights[i]);
        }

        if (!matches)
        {
            throw new InvalidOperationException(
                $"Layer '{layerName}': its weights are not the shared weights passed to the compiler; compile the Network that WeightSharing.Apply returned with its Layers.");
        }
    }
}
