namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// numpy matmul with every batch dim broadcast: <c>y[t, i, j] = Σ_p a[t_a, i, p] · b[t_b, p, j]</c> for each batch index
    /// t over <c>batch.OutputDims</c>, where the matrix t_a of a is <c>Σ t_d · batch.StridesA[d]</c> (0 along a dim a
    /// broadcasts) and likewise t_b; matrices are row-major [m, k], [k, n] and [m, n]. Attention's Q·Kᵀ and P·V when the
    /// heads and the batch broadcast differently.
    /// </summary>
    /// <remarks>Each product is <see cref="GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, SimdLevel)"/>: every width gives the scalar result bit for bit.</remarks>
    internal static void MatMulBroadcastF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, BroadcastShape batch, Span<float> y)
        => MatMulBroadcastF32(a, b, m, k, n, batch, y, SimdLevel.Vector512);

    /// <summary><see cref="MatMulBroadcastF32(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, BroadcastShape, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void MatMulBroadcastF32(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, BroadcastShape batch, Span<float> y, SimdLevel maxLevel)
    {
        if (m < 0 || k < 0 || n < 0)
        {
            ThrowShape("MatMul dimensions must be non-negative.");
        }

        // The broadcast checks the batch extents; the matrices multiply them.
        long aBlock = (long)m * k, bBlock = (long)k * n, yBlock = (long)m * n;
        long batchA = MatrixCount(batch.OutputDims, batch.StridesA), batchB = MatrixCount(batch.OutputDims, batch.StridesB);
        if (y.Length != batch.Length * yBlock || (y.Length > 0 && (a.Length != batchA * aBlock || b.Length != batchB * bBlock)))
        {
            ThrowShape($"MatMul of [{string.Join(",", batch.OutputDims)}] batches of [{m}, {k}] × [{k}, {n}] got {a.Length}, {b.Length} and {y.Length} elements.");
        }

        ValidateBroadcast(batch, (int)batchA, (int)batchB, batch.Length);
        if (y.Length > 0)
        {
            MatMulBroadcastF32Core(a, b, m, k, n, batch, y, maxLevel);
        }
    }

    /// <summary><see cref="MatMulBroadcastF32(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, BroadcastShape, Span{float})"/> with its operands checked by the caller (<see cref="PlanRunner"/>, at load).</summary>
    internal static void MatMulBroadcastF32Core(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int k, int n, BroadcastShape batch, Span<float> y, SimdLevel maxLevel)
    {
        int aBlock = m * k, bBlock = k * n, yBlock = m * n;
        var dims = batch.OutputDims;
        int rank = dims.Length;
        Span<int> index = stackalloc int[BroadcastShape.MaxRank];
        index.Clear();
        int ta = 0, tb = 0;
        for (int t = 0; t < batch.Length; t++)
        {
            GemmF32(a.Slice(ta * aBlock, aBlock), b.Slice(tb * bBlock, bBlock), default, m, k, n, float.NegativeInfinity, float.PositiveInfinity, y.Slice(t * yBlock, yBlock), maxLevel);
            for (int d = rank - 1; d >= 0; d--)
            {
                ta += batch.StridesA[d];
                tb += batch.StridesB[d];
                if (++index[d] < dims[d])
                {
                    break;
                }

                ta -= batch.StridesA[d] * dims[d];
                tb -= batch.StridesB[d] * dims[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>Matrices an operand spans under a batch broadcast: 1 + Σ (d − 1) · stride, 0 when a batch dim is 0.</summary>
    internal static long MatrixCount(int[] dims, int[] strides)
    {
        long count = 1;
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] == 0)
            {
                return 0;
            }

            count += (dims[d] - 1L) * strides[d];
        }

        return count;
    }
}
