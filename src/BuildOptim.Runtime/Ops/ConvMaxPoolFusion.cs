namespace BuildOptim.Runtime.Ops;

/// <summary>
/// Runs a 2 × 2, stride-2 MaxPool inside the int8 convolution before it when the pool is the only reader of the
/// convolution's output and the fused kernel fits (<see cref="Kernels.ConvU8S8MaxPool2x2Fits"/>): the convolution then
/// writes the pooled codes itself, bit for bit the same (see quantization.md), and the pool op is skipped. The plan is
/// unchanged.
/// </summary>
internal static class ConvMaxPoolFusion
{
    /// <summary>
    /// Fuses every such pair of <paramref name="executors"/> (<paramref name="parallel"/>: the ops split across threads).
    /// Returns, per op, the index of the pool fused into it (−1 for none) and whether it is a pool fused away.
    /// </summary>
    public static (int[] PooledBy, bool[] FusedAway) Apply(OpExecutor[] executors, ModelPlan plan, bool[] parallel)
    {
        var pooledBy = new int[executors.Length];
        var fusedAway = new bool[executors.Length];
        pooledBy.AsSpan().Fill(-1);
        for (int i = 0; i + 1 < executors.Length; i++)
        {
            if (executors[i] is ConvU8S8ToU8Op conv && executors[i + 1] is PoolU8Op pool && Fits(conv, pool, parallel[i])
                && DeadAfter(executors, i + 2, conv.Op.Outputs[0], plan))
            {
                conv.FusePool(pool.Output);
                pooledBy[i] = i + 1;
                fusedAway[i + 1] = true;
            }
        }

        return (pooledBy, fusedAway);
    }

    private static bool Fits(ConvU8S8ToU8Op conv, PoolU8Op pool, bool parallel)
    {
        var g = conv.Geometry;
        var (pg, average, _, _) = pool.Parameters;
        bool shapes = !average && Kernels.IsPool2x2Stride2(pg) && (long)pg.C == (long)conv.Batch * g.M
            && pg.H == g.OH && pg.W == g.OW && pg.OH == g.OH / 2 && pg.OW == g.OW / 2;

        // The pool's output may reuse the convolution's input buffer only when the kernel has copied all of x before it
        // writes any output: one group, one sample, one thread, and a padded image.
        bool overwritesInput = pool.Op.Outputs[0] == conv.Op.Inputs[0]
            && !(g.Group == 1 && conv.Batch == 1 && !parallel && Kernels.ConvU8S8CopiesInputFirst(g));
        return shapes && pool.Op.Inputs[0] == conv.Op.Outputs[0] && !overwritesInput && Kernels.ConvU8S8MaxPool2x2Fits(g);
    }

    /// <summary>Whether no op from <paramref name="from"/> on reads <paramref name="buffer"/> before one overwrites it, and it is not an output.</summary>
    private static bool DeadAfter(OpExecutor[] executors, int from, int buffer, ModelPlan plan)
    {
        foreach (var (outputBuffer, _) in plan.Outputs)
        {
            if (outputBuffer == buffer)
            {
                return false;
            }
        }

        for (int j = from; j < executors.Length; j++)
        {
            if (executors[j].Op.Inputs.Contains(buffer))
            {
                return false;
            }

            if (executors[j].Op.Outputs.Contains(buffer))
            {
                return true;
            }
        }

        return true;
    }
}
