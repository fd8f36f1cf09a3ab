namespace BuildOptim.Onnx.Lowering;

/// <summary>Shape arithmetic shared by folding and lowering.</summary>
internal static class Shapes
{
    public static int Product(IEnumerable<int> dims) => dims.Aggregate(1, (p, d) => checked(p * d));

    public static int[] Strides(int[] dims)
    {
        var strides = new int[dims.Length];
        int s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= dims[i];
        }

        return strides;
    }

    public static int[]? Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            dims[i] = da == 1 ? db : da;
        }

        return dims;
    }

    /// <summary>For each element of <paramref name="target"/>, the index in a tensor of <paramref name="dims"/> broadcast to it.</summary>
    public static int[] BroadcastIndices(int[] dims, int[] target)
    {
        int rank = target.Length;
        var padded = Enumerable.Repeat(1, rank - dims.Length).Concat(dims).ToArray();
        var strides = Strides(padded);
        int total = Product(target);
        var result = new int[total];
        var index = new int[rank];
        for (int n = 0; n < total; n++)
        {
            int offset = 0;
            for (int d = 0; d < rank; d++)
            {
                offset += padded[d] == 1 ? 0 : index[d] * strides[d];
            }

            result[n] = offset;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < target[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return result;
    }

    public static int[] Squeeze(int[] dims, long[]? axes)
    {
        var drop = axes is null || axes.Length == 0
            ? Enumerable.Range(0, dims.Length).Where(i => dims[i] == 1).ToHashSet()
            : axes.Select(a => (int)(a < 0 ? a + dims.Length : a)).ToHashSet();
        return dims.Where((_, i) => !drop.Contains(i)).ToArray();
    }

    public static int[] Unsqueeze(int[] dims, long[] axes)
    {
        int rank = dims.Length + axes.Length;
        var result = new List<int>(dims);
        foreach (long a in axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a))
        {
            result.Insert((int)a, 1);
        }

        return [.. result];
    }

    public static int[] Flatten(int[] dims, int axis)
    {
        if (axis < 0)
        {
            axis += dims.Length;
        }

        return [Product(dims.Take(axis)), Product(dims.Skip(axis))];
    }

    public static int[] Reshape(string path, Node node, int[] dims, long[] target, bool allowZero)
    {
        int total = Product(dims);
        var result = new int[target.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long t = target[i];
            if (t == 0 && !allowZero)
            {
                t = i < dims.Length ? dims[i] : throw Bad(path, node, "copies a dimension that does not exist");
            }

            if (t == -1)
            {
                if (infer >= 0)
                {
                    throw Bad(path, node, "has two inferred dimensions");
                }

                infer = i;
                continue;
            }

            if (t < 0)
            {
                throw Bad(path, node, $"has an invalid dimension {t}");
            }

            result[i] = checked((int)t);
            known *= t;
        }

        if (infer >= 0)
        {
            if (known == 0 || total % known != 0)
            {
                throw Bad(path, node, $"cannot infer a dimension of {total} elements from [{string.Join(",", target)}]");
            }

            result[infer] = (int)(total / known);
            known = total;
        }

        if (known != total)
        {
            throw Bad(path, node, $"maps {total} elements to [{string.Join(",", target)}]");
        }

        return result;
    }

    private static OnnxModelException Bad(string path, Node node, string problem)
        => new(OnnxDiagnostics.InvalidModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' {problem}.");
}
