namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[i_0, …, i_(r−1)] = x[start + Σ i_k · strides[k]]</c> over <paramref name="dims"/> in row-major order; strides may
    /// be negative (a slice walking backwards) or 0 (a dim repeated: Expand, Tile).
    /// </summary>
    /// <remarks>
    /// Walked as runs along the innermost dim: a run of stride 1 is one block copy, of stride 0 one fill, of any other stride
    /// element by element. The scalar twin copies every element by itself; both only move floats, so they agree bit for bit.
    /// </remarks>
    internal static void StridedCopyF32(ReadOnlySpan<float> x, int start, ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, Span<float> y)
        => StridedCopyF32(x, start, dims, strides, y, SimdLevel.Vector512);

    /// <summary><see cref="StridedCopyF32(ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void StridedCopyF32(ReadOnlySpan<float> x, int start, ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, Span<float> y, SimdLevel maxLevel)
    {
        if (dims.Length != strides.Length || dims.Length > Ops.StridedCopyF32Parameters.MaxRank)
        {
            ThrowShape($"A strided copy has one stride per dim and rank at most {Ops.StridedCopyF32Parameters.MaxRank}.");
        }

        long length = 1, low = start, high = start;
        for (int k = 0; k < dims.Length; k++)
        {
            if (dims[k] < 0)
            {
                ThrowShape("Strided copy dims must be non-negative.");
            }

            length *= dims[k];
            long reach = Math.Max(dims[k] - 1L, 0) * strides[k];
            (low, high) = reach < 0 ? (low + reach, high) : (low, high + reach);
        }

        if (y.Length != length || (length > 0 && (low < 0 || high >= x.Length)))
        {
            ThrowShape($"A strided copy of [{string.Join(",", dims.ToArray())}] reads x[{low}..{high}] of {x.Length} into {y.Length} elements.");
        }

        StridedCopyF32Core(x, start, dims, strides, y, maxLevel);
    }

    /// <summary><see cref="StridedCopyF32(ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/> with its operands checked by the caller (<see cref="PlanRunner"/>, at load).</summary>
    internal static void StridedCopyF32Core(ReadOnlySpan<float> x, int start, ReadOnlySpan<int> dims, ReadOnlySpan<int> strides, Span<float> y, SimdLevel maxLevel)
    {
        int length = y.Length;
        if (length == 0)
        {
            return;
        }

        int rank = dims.Length;
        int inner = rank == 0 ? 1 : dims[rank - 1];
        int step = rank == 0 ? 0 : strides[rank - 1];
        Span<int> index = stackalloc int[Ops.StridedCopyF32Parameters.MaxRank];
        index.Clear();
        int offset = start;
        for (int at = 0; at < length; at += inner)
        {
            var run = y.Slice(at, inner);
            if (maxLevel > SimdLevel.Scalar && step == 1)
            {
                x.Slice(offset, inner).CopyTo(run);
            }
            else if (maxLevel > SimdLevel.Scalar && step == 0)
            {
                run.Fill(x[offset]);
            }
            else
            {
                for (int i = 0, from = offset; i < inner; i++, from += step)
                {
                    run[i] = x[from];
                }
            }

            for (int k = rank - 2; k >= 0; k--)
            {
                offset += strides[k];
                if (++index[k] < dims[k])
                {
                    break;
                }

                offset -= strides[k] * dims[k];
                index[k] = 0;
            }
        }
    }
}
