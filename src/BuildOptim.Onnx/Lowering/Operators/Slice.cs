namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Slice on constants only: starts, ends, axes and steps as attributes before opset 10, as inputs from it on;
/// bounds clamped as numpy does, negative steps walk backwards.
/// </summary>
internal static class Slice
{
    public static Tensor Fold(NodeFolding f)
    {
        var node = f.Node;
        string path = f.Path;
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

        if (ends.Length != starts.Length || (axes is not null && axes.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
        {
            throw f.Bad($"has {starts.Length} starts, {ends.Length} ends, {axes?.Length ?? starts.Length} axes and {steps?.Length ?? starts.Length} steps");
        }

        int rank = data.Dims.Length;
        var begin = new int[rank];
        var step = Enumerable.Repeat(1, rank).ToArray();
        var count = (int[])data.Dims.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = Shapes.Axis(path, node, axes is null ? i : axes[i], rank);
            long dim = data.Dims[axis];
            long st = steps is null ? 1 : steps[i];
            if (st == 0)
            {
                throw f.Bad($"has step 0 on axis {axis}");
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
            begin[axis] = (int)s;
            step[axis] = n > 1 ? (int)st : 1; // two or more elements: |step| < dim
        }

        var strides = Shapes.Strides(data.Dims);
        int total = Shapes.Product(count);
        f.Charge(total, !data.IsFloat);
        int first = Enumerable.Range(0, rank).Sum(d => begin[d] * strides[d]);
        var offsets = Shapes.StridedOffsets(first, count, Enumerable.Range(0, rank).Select(d => step[d] * strides[d]).ToArray());
        return ConstantFolding.Pick(data, f.OutputName, count, total, offsets);
    }
}
