using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <remarks>
/// Shared weights (weight sharing, 16 clusters or fewer) are stored as 4-bit codebook indices, two per byte, row by
/// row: weight k of row n is the nibble <c>(indices[n·⌈K/2⌉ + ⌊k/2⌋] &gt;&gt; 4·(k mod 2)) &amp; 15</c> (even k in the
/// low nibble; an odd K leaves the last high nibble 0). Each index selects one of the 16 int8 entries of a
/// codebook: the row's own (<c>codebooks[16·n ..]</c>) when <c>codebooks</c> holds one table per row, or the single
/// table <c>codebooks[0..16]</c> shared by every row.
/// </remarks>
public static partial class Kernels
{
    /// <summary>Entries of one int8 codebook of 4-bit shared weights.</summary>
    internal const int SharedCodebookLength = 16;

    /// <summary>Bytes of one row of <paramref name="k"/> packed 4-bit indices: <c>⌈k / 2⌉</c>.</summary>
    internal static int PackedU4RowLength(int k) => (k + 1) >> 1;

    /// <summary>
    /// Packs <paramref name="rows"/> rows of <paramref name="k"/> indices in [0, 16) two per byte:
    /// <c>packed[n·⌈K/2⌉ + j] = indices[n·K + 2j] | indices[n·K + 2j + 1] &lt;&lt; 4</c>.
    /// </summary>
    internal static void PackU4(ReadOnlySpan<byte> indices, int rows, int k, Span<byte> packed)
    {
        int rowBytes = PackedU4RowLength(k);
        if (rows < 0 || k < 0 || indices.Length != (long)rows * k || packed.Length != (long)rows * rowBytes)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < rows; row++)
        {
            var source = indices.Slice(row * k, k);
            var target = packed.Slice(row * rowBytes, rowBytes);
            target.Clear();
            for (int i = 0; i < k; i++)
            {
                if (source[i] >= SharedCodebookLength)
                {
                    throw new ArgumentOutOfRangeException(nameof(indices), $"Index {source[i]} at row {row}, column {i} does not fit in 4 bits.");
                }

                target[i >> 1] |= (byte)(source[i] << ((i & 1) << 2));
            }
        }
    }

    /// <summary>
    /// Expands packed 4-bit indices to int8 weights: <c>weights[n·K + k] = table_n[idx(n, k)]</c> (layout in the
    /// remarks of this class). Convolutions over shared weights decode into scratch once per call, since every weight
    /// is then reused at every output pixel.
    /// </summary>
    internal static void DecodeU4S8(ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, int rows, int k, Span<sbyte> weights)
        => DecodeU4S8(indices, codebooks, rows, k, weights, SimdLevel.Vector512);

    /// <summary><see cref="DecodeU4S8(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, int, int, Span{sbyte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void DecodeU4S8(ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, int rows, int k, Span<sbyte> weights, SimdLevel maxLevel)
    {
        int codebookStride = ValidateSharedU4(indices, codebooks, rows, k);
        if (weights.Length != (long)rows * k)
        {
            ThrowLengthMismatch();
        }

        int rowBytes = PackedU4RowLength(k);
        bool vector = maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated;
        int k32 = vector ? k & ~31 : 0;
        for (int row = 0; row < rows; row++)
        {
            var table = codebooks.Slice(row * codebookStride, SharedCodebookLength);
            var rowIndices = indices.Slice(row * rowBytes, rowBytes);
            var rowWeights = weights.Slice(row * k, k);
            if (k32 > 0)
            {
                DecodeRowU4S8Vector128(rowIndices, table, k32, rowWeights);
            }

            for (int i = k32; i < k; i++)
            {
                rowWeights[i] = table[(rowIndices[i >> 1] >> ((i & 1) << 2)) & 15];
            }
        }
    }

    /// <summary>Scalar twin of <see cref="DecodeU4S8(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, int, int, Span{sbyte})"/>.</summary>
    internal static void DecodeU4S8Scalar(ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, int rows, int k, Span<sbyte> weights)
    {
        int codebookStride = ValidateSharedU4(indices, codebooks, rows, k);
        if (weights.Length != (long)rows * k)
        {
            ThrowLengthMismatch();
        }

        int rowBytes = PackedU4RowLength(k);
        for (int row = 0; row < rows; row++)
        {
            for (int i = 0; i < k; i++)
            {
                int index = (indices[(row * rowBytes) + (i >> 1)] >> ((i & 1) << 2)) & 15;
                weights[(row * k) + i] = codebooks[(row * codebookStride) + index];
            }
        }
    }

    /// <summary>
    /// 32 weights per step in natural order: each packed byte is widened to 16 bits and its high nibble moved to the
    /// upper byte, so the bytes read low0, high0, low1, high1, …; a 16-byte table lookup then yields the weights.
    /// </summary>
    private static void DecodeRowU4S8Vector128(ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebook, int k32, Span<sbyte> weights)
    {
        var table = Vector128.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(codebook)));
        ref byte ir = ref MemoryMarshal.GetReference(indices);
        ref byte wr = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(weights));
        var low = Vector128.Create((ushort)0x000F);
        var high = Vector128.Create((ushort)0x00F0);
        for (int i = 0; i < k32; i += 32)
        {
            var (u0, u1) = Vector128.Widen(Vector128.LoadUnsafe(ref ir, (nuint)(i >> 1)));
            var natural0 = (u0 & low) | ((u0 & high) << 4);
            var natural1 = (u1 & low) | ((u1 & high) << 4);
            Lookup16(table, natural0.AsByte()).StoreUnsafe(ref wr, (nuint)i);
            Lookup16(table, natural1.AsByte()).StoreUnsafe(ref wr, (nuint)(i + 16));
        }
    }

    /// <summary><c>result[i] = table[index[i]]</c> for indices in [0, 16): <c>pshufb</c> on x86, <c>tbl</c> on Arm64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lookup16(Vector128<byte> table, Vector128<byte> index)
    {
        if (Ssse3.IsSupported)
        {
            return Ssse3.Shuffle(table, index);
        }

        if (AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.VectorTableLookup(table, index);
        }

        return Vector128.Shuffle(table, index);
    }

    /// <summary>Checks the operand lengths of a 4-bit shared-weight matrix; returns the codebook stride (16 per row, or 0 for one shared table).</summary>
    private static int ValidateSharedU4(ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, int rows, int k)
    {
        if (rows < 0 || k < 0 || indices.Length != (long)rows * PackedU4RowLength(k))
        {
            ThrowLengthMismatch();
        }

        if (codebooks.Length == SharedCodebookLength)
        {
            return 0;
        }

        if (codebooks.Length != (long)rows * SharedCodebookLength)
        {
            ThrowLengthMismatch();
        }

        return SharedCodebookLength;
    }
}
