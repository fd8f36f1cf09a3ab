namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>One contiguous run of outputs: <c>y[offsetY + i] = f(a[offsetA + i·strideA], b[offsetB + i·strideB])</c> for i in [0, count).</summary>
    private interface IBroadcastRun
    {
        void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count);
    }

    /// <summary>
    /// Walks a <see cref="BroadcastShape"/> as runs along its innermost dimension, after dropping size-1 dimensions and
    /// merging neighbours that are contiguous for both operands, so a same-shape operation is one run of the whole tensor
    /// and a per-channel operand over [C, H, W] is C runs of H·W with stride 0.
    /// </summary>
    private static void ForEachBroadcastRun<TRun>(BroadcastShape shape, int lengthA, int lengthB, int lengthY, ref TRun run)
        where TRun : IBroadcastRun, allows ref struct
    {
        ValidateBroadcast(shape, lengthA, lengthB, lengthY);
        ForEachBroadcastRunCore(shape, ref run);
    }

    /// <summary>The operands' lengths fit <paramref name="shape"/>: rank at most 6, dims and strides not negative, the extents of a and b.</summary>
    private static void ValidateBroadcast(BroadcastShape shape, int lengthA, int lengthB, int lengthY)
    {
        int rank = shape.OutputDims.Length;
        if (rank > BroadcastShape.MaxRank || shape.StridesA.Length != rank || shape.StridesB.Length != rank)
        {
            ThrowShape($"Broadcast shapes have rank at most {BroadcastShape.MaxRank}, with one stride per dimension.");
        }

        if (lengthY != shape.Length)
        {
            ThrowShape($"Broadcast output has {shape.Length} elements; got {lengthY}.");
        }

        long spanA = 1, spanB = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = shape.OutputDims[i];
            if (d < 0 || shape.StridesA[i] < 0 || shape.StridesB[i] < 0)
            {
                ThrowShape("Broadcast dims and strides must be non-negative.");
            }

            spanA += (long)Math.Max(d - 1, 0) * shape.StridesA[i];
            spanB += (long)Math.Max(d - 1, 0) * shape.StridesB[i];
        }

        if (shape.Length != 0 && (lengthA != spanA || lengthB != spanB))
        {
            ThrowShape($"Broadcast operands need {spanA} and {spanB} elements; got {lengthA} and {lengthB}.");
        }
    }

    /// <summary><see cref="ForEachBroadcastRun"/> with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    private static void ForEachBroadcastRunCore<TRun>(BroadcastShape shape, ref TRun run)
        where TRun : IBroadcastRun, allows ref struct
    {
        if (shape.Length == 0)
        {
            return;
        }

        int lengthY = shape.Length;
        Span<int> dims = stackalloc int[BroadcastShape.MaxRank];
        Span<int> stridesA = stackalloc int[BroadcastShape.MaxRank];
        Span<int> stridesB = stackalloc int[BroadcastShape.MaxRank];
        int r = CollapseBroadcast(shape, dims, stridesA, stridesB);

        if (r == 0)
        {
            run.Invoke(0, 0, 0, 0, 0, 1);
            return;
        }

        int inner = dims[0];
        Span<int> index = stackalloc int[BroadcastShape.MaxRank];
        index.Clear();
        int offsetA = 0, offsetB = 0;
        for (int offsetY = 0; offsetY < lengthY; offsetY += inner)
        {
            run.Invoke(offsetA, stridesA[0], offsetB, stridesB[0], offsetY, inner);
            for (int k = 1; k < r; k++)
            {
                offsetA += stridesA[k];
                offsetB += stridesB[k];
                if (++index[k] < dims[k])
                {
                    break;
                }

                offsetA -= stridesA[k] * dims[k];
                offsetB -= stridesB[k] * dims[k];
                index[k] = 0;
            }
        }
    }

    /// <summary>
    /// The dims and strides of <paramref name="shape"/> innermost first, size-1 dims dropped and each dim folded into its
    /// inner neighbour when both operands step through them contiguously; returns how many remain.
    /// </summary>
    private static int CollapseBroadcast(BroadcastShape shape, Span<int> dims, Span<int> stridesA, Span<int> stridesB)
    {
        int r = 0;
        for (int i = shape.OutputDims.Length - 1; i >= 0; i--)
        {
            int d = shape.OutputDims[i];
            if (d == 1)
            {
                continue;
            }

            int sa = shape.StridesA[i], sb = shape.StridesB[i];
            if (r > 0 && sa == stridesA[r - 1] * dims[r - 1] && sb == stridesB[r - 1] * dims[r - 1])
            {
                dims[r - 1] *= d;
                continue;
            }

            dims[r] = d;
            stridesA[r] = sa;
            stridesB[r] = sb;
            r++;
        }

        return r;
    }

    /// <summary>
    /// Whether <paramref name="shape"/> is <paramref name="rows"/> contiguous rows of <paramref name="length"/> codes of one
    /// operand, each row with one code of the other (a per-channel operand over [C, H, W]): a walks the rows when
    /// <paramref name="rowsInA"/>, else b does.
    /// </summary>
    private static bool IsRowScale(BroadcastShape shape, out int rows, out int length, out bool rowsInA)
    {
        Span<int> dims = stackalloc int[BroadcastShape.MaxRank];
        Span<int> stridesA = stackalloc int[BroadcastShape.MaxRank];
        Span<int> stridesB = stackalloc int[BroadcastShape.MaxRank];
        int r = shape.Length == 0 ? 0 : CollapseBroadcast(shape, dims, stridesA, stridesB);
        rows = r == 2 ? dims[1] : 0;
        length = r == 2 ? dims[0] : 0;
        rowsInA = r == 2 && stridesA[0] == 1 && stridesA[1] == length && stridesB[0] == 0 && stridesB[1] == 1;
        bool rowsInB = r == 2 && stridesB[0] == 1 && stridesB[1] == length && stridesA[0] == 0 && stridesA[1] == 1;
        return rowsInA || rowsInB;
    }
}
