using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Slice: starts, ends, axes and steps as attributes before opset 10, as constant inputs from it on; bounds clamped as
/// numpy does, negative steps walk backwards. A <see cref="SliceLayer"/> on runtime data, the sliced tensor on constants.
/// </summary>
internal static class Slice
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var node = n.Node;
        bool legacy = n.Context.Graph.OpsetVersion < 10;
        long[] starts, ends;
        long[]? axes, steps;
        if (legacy)
        {
            starts = node.GetInts("starts") ?? throw n.Bad("misses starts");
            ends = node.GetInts("ends") ?? throw n.Bad("misses ends");
            axes = node.GetInts("axes");
            steps = null;
        }
        else
        {
            starts = Integers(n, 1, "starts") ?? throw n.Missing(1);
            ends = Integers(n, 2, "ends") ?? throw n.Missing(2);
            axes = Integers(n, 3, "axes");
            steps = Integers(n, 4, "steps");
        }

        int x = n.Runtime(0);
        var (begin, count, step) = Resolve(n.Path, node, n.Context.Shape(x), starts, ends, axes, steps);
        return n.Add(new SliceLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(count), Begin = begin, Step = step });
    }

    public static Tensor Fold(NodeFolding f)
    {
        var node = f.Node;
        var data = f.Optional(0) ?? throw f.Fail("misses data");
        long[] starts, ends;
        long[]? axes, steps;
        if (f.Opset < 10)
        {
            starts = node.GetInts("starts") ?? throw f.Fail("misses starts");
            ends = node.GetInts("ends") ?? throw f.Fail("misses ends");
            axes = node.GetInts("axes");
            steps = null;
        }
        else
        {
            starts = f.Optional(1)?.Int64s ?? throw f.Fail("misses starts");
            ends = f.Optional(2)?.Int64s ?? throw f.Fail("misses ends");
            axes = f.Optional(3)?.Int64s;
            steps = f.Optional(4)?.Int64s;
        }

        var (begin, count, step) = Resolve(f.Path, node, data.Dims, starts, ends, axes, steps);
        int total = Shapes.Product(count);
        f.Charge(total, !data.IsFloat);
        return ConstantFolding.Pick(data, f.OutputName, count, total, Offsets(data.Dims, begin, count, step));
    }

    /// <summary>The offsets, in a tensor of <paramref name="dims"/>, of the elements a resolved slice picks, in order.</summary>
    public static IEnumerable<int> Offsets(int[] dims, int[] begin, int[] count, int[] step)
    {
        var strides = Shapes.Strides(dims);
        int first = Enumerable.Range(0, dims.Length).Sum(d => begin[d] * strides[d]);
        return Shapes.StridedOffsets(first, count, Enumerable.Range(0, dims.Length).Select(d => step[d] * strides[d]).ToArray());
    }

    /// <summary>
    /// Per dim of <paramref name="dims"/>: the first index taken, how many and the step between them (1 on dims not sliced,
    /// and wherever fewer than two elements are taken), after ONNX's clamping.
    /// </summary>
    private static (int[] Begin, int[] Count, int[] Step) Resolve(string path, Node node, int[] dims, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        if (ends.Length != starts.Length || (axes is not null && axes.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
        {
            throw Shapes.Bad(path, node, $"has {starts.Length} starts, {ends.Length} ends, {axes?.Length ?? starts.Length} axes and {steps?.Length ?? starts.Length} steps");
        }

        int rank = dims.Length;
        var begin = new int[rank];
        var step = Enumerable.Repeat(1, rank).ToArray();
        var count = (int[])dims.Clone();
        var seen = new bool[rank];
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Shapes.Axis(path, node, axes is null ? i : axes[i], rank);
            if (seen[axis])
            {
                throw Shapes.Bad(path, node, $"slices axis {axis} twice");
            }

            seen[axis] = true;
            long dim = dims[axis];
            long st = steps is null ? 1 : steps[i];
            if (st == 0)
            {
                throw Shapes.Bad(path, node, $"has step 0 on axis {axis}");
            }

            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            long n;
            if (dim == 0)
            {
                s = 0;
                n = 0;
            }
            else if (st > 0)
            {
                s = Math.Clamp(s, 0, dim);
                e = Math.Clamp(e, 0, dim);
                n = e > s ? (e - s - 1) / st + 1 : 0;
            }
            else
            {
                s = Math.Clamp(s, 0, dim - 1);
                e = Math.Clamp(e, -1, dim - 1);
                n = s > e ? (s - e - 1) / (st == long.MinValue ? long.MaxValue : -st) + 1 : 0;
            }

            count[axis] = (int)n;
            begin[axis] = n == 0 ? 0 : (int)s;
            step[axis] = n > 1 ? (int)st : 1; // two or more elements: |step| < dim
        }

        return (begin, count, step);
    }

    /// <summary>Constant integer input <paramref name="i"/> (starts, ends, axes, steps), or null when it is omitted.</summary>
    private static long[]? Integers(NodeLowering n, int i, string role)
        => n.Input(i) is null ? null : n.Constant(i, role).Int64s ?? throw n.Bad($"has non-integer {role}");
}
