namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>Largest rank <see cref="TransposeF32"/> and <see cref="PadF32"/> accept.</summary>
    internal const int MaxLayoutRank = 6;

    /// <summary>
    /// ONNX Transpose: <c>y[i_0, …, i_(r−1)] = x[j]</c> with <c>j[perm[k]] = i_k</c>, i.e. output dim k is input dim perm[k];
    /// x has shape <paramref name="dims"/>, rank at most <see cref="MaxLayoutRank"/>.
    /// </summary>
    /// <remarks>
    /// Output order, after dropping size-1 dims and merging output dims that are also adjacent and in order in the input;
    /// a run whose input is contiguous is one block copy.
    /// </remarks>
    internal static void TransposeF32(ReadOnlySpan<float> x, ReadOnlySpan<int> dims, ReadOnlySpan<int> perm, Span<float> y)
        => Transpose(x, dims, perm, y);

    /// <summary><see cref="TransposeF32"/> on codes.</summary>
    internal static void TransposeU8(ReadOnlySpan<byte> x, ReadOnlySpan<int> dims, ReadOnlySpan<int> perm, Span<byte> y)
        => Transpose(x, dims, perm, y);

    private static void Transpose<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> dims, ReadOnlySpan<int> perm, Span<T> y)
    {
        int rank = dims.Length;
        if (rank > MaxLayoutRank || perm.Length != rank)
        {
            ThrowShape($"Transpose needs rank ≤ {MaxLayoutRank} and one perm entry per dim; got {rank} dims and {perm.Length} entries.");
        }

        Span<int> inputStride = stackalloc int[MaxLayoutRank];
        Span<bool> seen = stackalloc bool[MaxLayoutRank];
        long length = 1;
        for (int k = rank - 1; k >= 0; k--)
        {
            if (dims[k] < 0)
            {
                ThrowShape("Transpose dims must be non-negative.");
            }

            inputStride[k] = (int)length;
            length *= dims[k];
            if ((uint)perm[k] >= (uint)rank || seen[perm[k]])
            {
                ThrowShape("Transpose perm must be a permutation of the dims.");
            }

            seen[perm[k]] = true;
        }

        if (x.Length != length || y.Length != length)
        {
            ThrowShape($"Transpose of {length} elements got input {x.Length} and output {y.Length}.");
        }

        if (length == 0)
        {
            return;
        }

        // Innermost-first output dims with their input strides; merge an output dim into its inner neighbour when the
        // input steps through both contiguously.
        Span<int> size = stackalloc int[MaxLayoutRank];
        Span<int> stride = stackalloc int[MaxLayoutRank];
        int r = 0;
        for (int k = rank - 1; k >= 0; k--)
        {
            int d = dims[perm[k]];
            if (d == 1)
            {
                continue;
            }

            int s = inputStride[perm[k]];
            if (r > 0 && s == stride[r - 1] * size[r - 1])
            {
                size[r - 1] *= d;
                continue;
            }

            size[r] = d;
            stride[r] = s;
            r++;
        }

        if (r <= 1)
        {
            x.CopyTo(y);
            return;
        }

        int inner = size[0], innerStride = stride[0];
        Span<int> index = stackalloc int[MaxLayoutRank];
        index.Clear();
        int offset = 0;
        for (int at = 0; at < y.Length; at += inner)
        {
            var dst = y.Slice(at, inner);
            if (innerStride == 1)
            {
                x.Slice(offset, inner).CopyTo(dst);
            }
            else
            {
                for (int i = 0, from = offset; i < inner; i++, from += innerStride)
                {
                    dst[i] = x[from];
                }
            }

            for (int k = 1; k < r; k++)
            {
                offset += stride[k];
                if (++index[k] < size[k])
                {
                    break;
                }

                offset -= stride[k] * size[k];
                index[k] = 0;
            }
        }
    }
}
