namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Shape arithmetic shared by folding and lowering. Axes, permutations and target shapes come from the
/// model and are checked here (BOPT1002 naming the node); element counts go through <see cref="ModelLimits"/>.
/// </summary>
internal static class Shapes
{
    /// <summary>The product of dims that are already checked (a tensor's or a value's own shape).</summary>
    public static int Product(IEnumerable<int> dims) => dims.Aggregate(1, (p, d) => checked(p * d));

    /// <summary>The element count of a shape computed from model data, checked before anything is allocated for it.</summary>
    public static int ElementCount(string path, Node node, ReadOnlySpan<int> dims)
        => ModelLimits.ElementCount(dims, path, Subject(path, node));

    /// <inheritdoc cref="ElementCount(string, Node, ReadOnlySpan{int})"/>
    public static int ElementCount(string path, Node node, ReadOnlySpan<long> dims)
        => ModelLimits.ElementCount(dims, path, Subject(path, node));

    /// <summary>How messages name a node: <c>Gather 'name' in 'model.onnx'</c>.</summary>
    public static string Subject(string path, Node node) => $"{node.OpType} '{node.DisplayName}' in '{path}'";

    /// <summary>An axis attribute or input in [-rank, rank) (or [-rank, rank] with <paramref name="inclusive"/>), made non-negative.</summary>
    public static int Axis(string path, Node node, long axis, int rank, bool inclusive = false)
    {
        long upper = inclusive ? rank + 1 : rank;
        long resolved = axis < 0 ? axis + rank : axis;
        if (axis < -(long)rank || resolved < 0 || resolved >= upper)
        {
            throw Bad(path, node, $"has axis {axis} for a tensor of rank {rank}");
        }

        return (int)resolved;
    }

    /// <summary>The <c>perm</c> attribute (default: reversed dims), checked to be a permutation of the axes.</summary>
    public static int[] Permutation(string path, Node node, int rank)
    {
        var perm = node.GetInts("perm");
        if (perm is null)
        {
            return Enumerable.Range(0, rank).Reverse().ToArray();
        }

        var seen = new bool[rank];
        if (perm.Length != rank || perm.Any(p => p < 0 || p >= rank || seen[p] || !(seen[p] = true)))
        {
            throw Bad(path, node, $"has perm [{string.Join(",", perm)}], which is not a permutation of {rank} axes");
        }

        return perm.Select(p => (int)p).ToArray();
    }

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

    /// <summary>For each element of <paramref name="target"/> in order, the offset in a tensor of <paramref name="dims"/> broadcast to it.</summary>
    public static IEnumerable<int> BroadcastOffsets(int[] dims, int[] target)
    {
        var padded = Enumerable.Repeat(1, target.Length - dims.Length).Concat(dims).ToArray();
        var strides = Strides(padded);
        return StridedOffsets(0, target, padded.Select((d, i) => d == 1 ? 0 : strides[i]).ToArray());
    }

    /// <summary>
    /// The offsets a strided walk visits, one per index of <paramref name="counts"/> in row-major order:
    /// <c>start + Σ index[d]·strides[d]</c>. Folding reads its source through it instead of a table of offsets.
    /// </summary>
    public static IEnumerable<int> StridedOffsets(int start, int[] counts, int[] strides)
    {
        int total = Product(counts);
        var index = new int[counts.Length];
        int offset = start;
        for (int n = 0; n < total; n++)
        {
            yield return offset;
            for (int d = counts.Length - 1; d >= 0; d--)
            {
                offset += strides[d];
                if (++index[d] < counts[d])
                {
                    break;
                }

                offset -= strides[d] * counts[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>Drops the listed axes (each of size 1), or every axis of size 1 when none are listed.</summary>
    public static int[] Squeeze(string path, Node node, int[] dims, long[]? axes)
    {
        if (axes is null || axes.Length == 0)
        {
            return dims.Where(d => d != 1).ToArray();
        }

        var drop = new bool[dims.Length];
        foreach (long a in axes)
        {
            int axis = Axis(path, node, a, dims.Length);
            if (dims[axis] != 1)
            {
                throw Bad(path, node, $"squeezes axis {a} of size {dims[axis]}");
            }

            drop[axis] = true;
        }

        return dims.Where((_, i) => !drop[i]).ToArray();
    }

    /// <summary>Inserts a dimension of 1 at each of <paramref name="axes"/> (axes of the output, distinct).</summary>
    public static int[] Unsqueeze(string path, Node node, int[] dims, long[]? axes)
    {
        if (axes is null)
        {
            throw Bad(path, node, "has no integer axes");
        }

        int rank = dims.Length + axes.Length;
        if (rank > ModelLimits.MaxRank)
        {
            throw Bad(path, node, $"makes a tensor of rank {rank}; BuildOptim accepts at most {ModelLimits.MaxRank}");
        }

        var inserted = new bool[rank];
        foreach (long a in axes)
        {
            int axis = Axis(path, node, a, rank);
            if (inserted[axis])
            {
                throw Bad(path, node, $"inserts axis {a} twice");
            }

            inserted[axis] = true;
        }

        var result = new int[rank];
        for (int i = 0, source = 0; i < rank; i++)
        {
            result[i] = inserted[i] ? 1 : dims[source++];
        }

        return result;
    }

    public static int[] Flatten(string path, Node node, int[] dims)
    {
        int axis = Axis(path, node, node.GetInt("axis", 1), dims.Length, inclusive: true);
        return [Product(dims.Take(axis)), Product(dims.Skip(axis))];
    }

    /// <summary>
    /// ONNX Reshape: 0 copies the input dimension (unless <paramref name="allowZero"/>), one -1 is inferred;
    /// any other negative value, or a shape whose element count differs from the input's, is invalid.
    /// </summary>
    public static int[] Reshape(string path, Node node, int[] dims, long[] target, bool allowZero)
    {
        int total = Product(dims);
        var resolved = new long[target.Length];
        int infer = -1;
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
                t = 1; // counted as 1 until inferred
            }
            else if (t < 0)
            {
                throw Bad(path, node, $"has an invalid dimension {t}");
            }

            resolved[i] = t;
        }

        // Checked before the division: a target like [65536,65536,65536,65536] would wrap to 0 in a long.
        int known = ElementCount(path, node, resolved);
        if (infer >= 0)
        {
            if (known == 0 || total % known != 0)
            {
                throw Bad(path, node, $"cannot infer a dimension of {total} elements from [{string.Join(",", target)}]");
            }

            resolved[infer] = total / known;
            known = total;
        }

        if (known != total)
        {
            throw Bad(path, node, $"maps {total} elements to [{string.Join(",", target)}]");
        }

        return resolved.Select(d => (int)d).ToArray();
    }

    public static OnnxModelException Bad(string path, Node node, string problem)
        => new(OnnxDiagnostics.InvalidModel, path, $"{Subject(path, node)} {problem}.");
}
