using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// An embedding lookup in an int8 table of <paramref name="rows"/> rows of <paramref name="inner"/> codes, each row with its
    /// own symmetric scale: <c>y[k, i] = (float)table[j, i] · scale[j]</c> with <c>j = indices[k]</c> (+ rows when negative).
    /// An index outside [−rows, rows) (or NaN) is an <see cref="ArgumentOutOfRangeException"/>, checked on every call.
    /// </summary>
    internal static void GatherRowsS8F32Core(ReadOnlySpan<sbyte> table, ReadOnlySpan<float> scales, ReadOnlySpan<float> indices, int rows, int inner, Span<float> y)
    {
        int count = indices.Length;
        for (int k = 0; k < count; k++)
        {
            float index = indices[k];
            if (!(index >= -rows && index < rows))
            {
                ThrowIndex(index, rows);
            }
        }

        for (int k = 0; k < count; k++)
        {
            int j = (int)indices[k];
            j = j < 0 ? j + rows : j;
            DequantizeRowS8(table.Slice(j * inner, inner), scales[j], y.Slice(k * inner, inner));
        }
    }

    /// <summary><c>y[i] = (float)q[i] · scale</c>: one exact conversion and one IEEE multiply per element at every width.</summary>
    private static void DequantizeRowS8(ReadOnlySpan<sbyte> q, float scale, Span<float> y)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(scale);
            ref sbyte qr = ref MemoryMarshal.GetReference(q);
            ref float yr = ref MemoryMarshal.GetReference(y);
            for (; i <= q.Length - 16; i += 16)
            {
                var v = Vector128.LoadUnsafe(ref qr, (nuint)i);
                var lo = Vector128.WidenLower(v);
                var hi = Vector128.WidenUpper(v);
                (Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(lo), Vector128.WidenUpper(lo))) * s).StoreUnsafe(ref yr, (nuint)i);
                (Vector256.ConvertToSingle(Vector256.Create(Vector128.WidenLower(hi), Vector128.WidenUpper(hi))) * s).StoreUnsafe(ref yr, (nuint)(i + 8));
            }
        }

        for (; i < q.Length; i++)
        {
            y[i] = q[i] * scale;
        }
    }
}
