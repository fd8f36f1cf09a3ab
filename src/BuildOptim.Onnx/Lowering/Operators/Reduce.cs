using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceSumSquare and ReduceL2: axes from the attribute before the opset that
/// made them an input (13 for ReduceSum, 18 for the others), then from a constant input; negative axes count from the end;
/// no axes reduce every axis, or nothing with <c>noop_with_empty_axes</c>. Each run of adjacent reduced axes is one
/// <see cref="ReduceLayer"/>, innermost first; over several runs ReduceL2 sums squares, then sums, then takes one square root.
/// </summary>
internal static class Reduce
{
    public static SymbolicValue LowerSum(NodeLowering n) => Lower(n, ReduceKind.Sum, axesInputSince: 13);

    public static SymbolicValue LowerMean(NodeLowering n) => Lower(n, ReduceKind.Mean, axesInputSince: 18);

    public static SymbolicValue LowerMax(NodeLowering n) => Lower(n, ReduceKind.Max, axesInputSince: 18);

    public static SymbolicValue LowerMin(NodeLowering n) => Lower(n, ReduceKind.Min, axesInputSince: 18);

    public static SymbolicValue LowerSumSquare(NodeLowering n) => Lower(n, ReduceKind.SumSquare, axesInputSince: 18);

    public static SymbolicValue LowerL2(NodeLowering n) => Lower(n, ReduceKind.L2, axesInputSince: 18);

    private static SymbolicValue Lower(NodeLowering n, ReduceKind kind, long axesInputSince)
    {
        var c = n.Context;
        int x = n.Runtime(0);
        var shape = c.Shape(x);
        long[] axes = c.Graph.OpsetVersion >= axesInputSince
            ? n.Input(1) is null ? [] : n.Constant(1, "axes").Int64s ?? throw n.Bad("has float axes")
            : n.Node.GetInts("axes") ?? [];
        if (axes.Length == 0 && n.Node.GetInt("noop_with_empty_axes", 0) != 0)
        {
            return n.Add(new ReshapeLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(shape) });
        }

        var reduced = new bool[shape.Length];
        foreach (long a in axes)
        {
            int axis = Shapes.Axis(n.Path, n.Node, a, shape.Length);
            reduced[axis] = !reduced[axis] ? true : throw n.Bad($"reduces axis {a} twice");
        }

        if (axes.Length == 0)
        {
            Array.Fill(reduced, true);
        }

        bool keepDims = n.Node.GetInt("keepdims", 1) != 0;
        var runs = Runs(reduced);
        if (runs.Count == 0)
        {
            return n.Add(new ReshapeLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(shape) });
        }

        var dropped = shape.Where((_, d) => !reduced[d]).ToArray();
        var ones = shape.Select((d, i) => reduced[i] ? 1 : d).ToArray();
        if (runs.Count == 1)
        {
            return n.Add(new ReduceLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(keepDims ? ones : dropped), Kind = kind, Axes = runs[0], KeepDims = keepDims });
        }

        // Innermost run first, each keeping its axes as 1 so that the axes of the runs still to come stay where they are.
        int value = x;
        var partial = shape.ToArray();
        for (int i = 0; i < runs.Count; i++)
        {
            foreach (int axis in runs[i])
            {
                partial[axis] = 1;
            }

            var step = kind switch
            {
                ReduceKind.L2 or ReduceKind.SumSquare => i == 0 ? ReduceKind.SumSquare : ReduceKind.Sum,
                _ => kind,
            };
            int output = c.NewValue($"{n.Node.Outputs[0]}#{i}", partial.ToArray());
            value = c.AddLayer(new ReduceLayer { Name = n.Name, Inputs = [value], Output = output, Kind = step, Axes = runs[i], KeepDims = true });
        }

        if (kind == ReduceKind.L2)
        {
            int root = keepDims ? n.NewOutput(ones) : c.NewValue($"{n.Node.Outputs[0]}#root", ones);
            value = c.AddLayer(new ActivationLayer { Name = n.Name, Inputs = [value], Output = root, Kind = ActivationKind.Sqrt });
            if (keepDims)
            {
                return new RuntimeValue(value);
            }
        }

        return n.Add(new ReshapeLayer { Name = n.Name, Inputs = [value], Output = n.NewOutput(keepDims ? ones : dropped) });
    }

    /// <summary>The runs of adjacent reduced axes, innermost first, each ascending.</summary>
    private static List<int[]> Runs(bool[] reduced)
    {
        var runs = new List<int[]>();
        for (int end = reduced.Length - 1; end >= 0; end--)
        {
            if (!reduced[end])
            {
                continue;
            }

            int start = end;
            while (start > 0 && reduced[start - 1])
            {
                start--;
            }

            runs.Add(Enumerable.Range(start, end - start + 1).ToArray());
            end = start;
        }

        return runs;
    }
}
