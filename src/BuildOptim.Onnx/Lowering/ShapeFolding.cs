namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Constant folding for the shape arithmetic exporters emit. Int64 tensors may hold
/// <see cref="ShapeVector.Batch"/>, the symbolic batch size, which folds through data movement
/// (Gather, Unsqueeze, Squeeze, Concat, Cast) but not through arithmetic.
/// </summary>
internal static class ShapeFolding
{
    public static SymbolicValue Gather(string path, Node node, SymbolicValue data, SymbolicValue indices)
    {
        var d = Constant(path, node, data);
        var i = Constant(path, node, indices);
        long axis = node.GetInt("axis", 0);
        if (axis < 0)
        {
            axis += d.Dims.Length;
        }

        if (axis != 0 || d.Dims.Length == 0 || i.Int64s is null)
        {
            throw ModelLowering.Unsupported(path, $"Gather '{node.DisplayName}' in '{path}' is only supported on constant data along axis 0.");
        }

        int rows = d.Dims[0];
        int rowLength = d.Dims.Skip(1).Aggregate(1, (p, x) => p * x);
        int[] dims = [.. i.Dims, .. d.Dims.Skip(1)];
        var picks = i.Int64s.Select(ix => ix < 0 ? ix + rows : ix).ToArray();
        if (picks.Any(ix => ix < 0 || ix >= rows))
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Gather '{node.DisplayName}' in '{path}' has an index out of range [0, {rows}).");
        }

        string name = node.Outputs[0];
        if (d.IsFloat)
        {
            var result = picks.SelectMany(ix => d.Floats!.Skip((int)ix * rowLength).Take(rowLength)).ToArray();
            return new ConstantValue(new Tensor(name, dims, result));
        }

        var ints = picks.SelectMany(ix => d.Int64s!.Skip((int)ix * rowLength).Take(rowLength)).ToArray();
        return new ConstantValue(new Tensor(name, dims, ints, d.Type));
    }

    public static SymbolicValue Unsqueeze(string path, Node node, SymbolicValue data, SymbolicValue? axesInput)
    {
        var d = Constant(path, node, data);
        long[] axes = Axes(path, node, axesInput);
        int rank = d.Dims.Length + axes.Length;
        var normalized = axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a).ToArray();
        var dims = new List<int>(d.Dims);
        foreach (long a in normalized)
        {
            dims.Insert((int)a, 1);
        }

        return new ConstantValue(Reshaped(d, node.Outputs[0], [.. dims]));
    }

    public static SymbolicValue Squeeze(string path, Node node, SymbolicValue data, SymbolicValue? axesInput)
    {
        var d = Constant(path, node, data);
        long[] axes = node.Attributes.ContainsKey("axes") || axesInput is not null ? Axes(path, node, axesInput) : [];
        var drop = axes.Length == 0
            ? Enumerable.Range(0, d.Dims.Length).Where(i => d.Dims[i] == 1).ToHashSet()
            : axes.Select(a => (int)(a < 0 ? a + d.Dims.Length : a)).ToHashSet();
        int[] dims = d.Dims.Where((_, i) => !drop.Contains(i)).ToArray();
        return new ConstantValue(Reshaped(d, node.Outputs[0], dims));
    }

    public static SymbolicValue Concat(string path, Node node, SymbolicValue[] inputs)
    {
        var tensors = inputs.Select(v => Constant(path, node, v)).ToArray();
        if (tensors.Any(t => t.Dims.Length != 1))
        {
            throw ModelLowering.Unsupported(path, $"Concat '{node.DisplayName}' in '{path}' of constant tensors is only supported for 1-D shape vectors.");
        }

        string name = node.Outputs[0];
        if (tensors.All(t => t.IsFloat))
        {
            var floats = tensors.SelectMany(t => t.Floats!).ToArray();
            return new ConstantValue(new Tensor(name, [floats.Length], floats));
        }

        if (tensors.Any(t => t.IsFloat))
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Concat '{node.DisplayName}' in '{path}' mixes element types.");
        }

        var ints = tensors.SelectMany(t => t.Int64s!).ToArray();
        return new ConstantValue(new Tensor(name, [ints.Length], ints));
    }

    public static SymbolicValue Cast(string path, Node node, SymbolicValue data)
    {
        var d = Constant(path, node, data);
        long to = node.GetInt("to", 1);
        string name = node.Outputs[0];
        if (to == 1 || to == 11)
        {
            if (!d.IsFloat && d.Int64s!.Contains(ShapeVector.Batch))
            {
                throw ModelLowering.Unsupported(path, $"Cast '{node.DisplayName}' in '{path}' turns the batch size into a float, which BuildOptim cannot fold.");
            }

            return new ConstantValue(new Tensor(name, d.Dims, d.IsFloat ? d.Floats! : d.Int64s!.Select(v => (float)v).ToArray()));
        }

        if (to is 6 or 7)
        {
            return new ConstantValue(new Tensor(name, d.Dims, d.IsFloat ? d.Floats!.Select(v => (long)v).ToArray() : d.Int64s!, to == 6 ? ElementType.Int32 : ElementType.Int64));
        }

        throw ModelLowering.Unsupported(path, $"Cast '{node.DisplayName}' in '{path}' to type {to} is not supported.");
    }

    public static SymbolicValue Arithmetic(string path, Node node, Tensor a, Tensor b)
    {
        if (a.ElementCount != b.ElementCount && a.ElementCount != 1 && b.ElementCount != 1)
        {
            throw ModelLowering.Unsupported(path, $"{node.OpType} '{node.DisplayName}' in '{path}' on constants of shapes [{string.Join(",", a.Dims)}] and [{string.Join(",", b.Dims)}] is not supported.");
        }

        var dims = a.ElementCount >= b.ElementCount ? a.Dims : b.Dims;
        int n = Math.Max(a.ElementCount, b.ElementCount);
        if (a.IsFloat && b.IsFloat)
        {
            var r = new float[n];
            for (int i = 0; i < n; i++)
            {
                r[i] = a.Floats![a.ElementCount == 1 ? 0 : i] + b.Floats![b.ElementCount == 1 ? 0 : i];
            }

            return new ConstantValue(new Tensor(node.Outputs[0], dims, r));
        }

        if (!a.IsFloat && !b.IsFloat && !a.Int64s!.Contains(ShapeVector.Batch) && !b.Int64s!.Contains(ShapeVector.Batch))
        {
            var r = new long[n];
            for (int i = 0; i < n; i++)
            {
                r[i] = a.Int64s![a.ElementCount == 1 ? 0 : i] + b.Int64s![b.ElementCount == 1 ? 0 : i];
            }

            return new ConstantValue(new Tensor(node.Outputs[0], dims, r));
        }

        throw ModelLowering.Unsupported(path, $"{node.OpType} '{node.DisplayName}' in '{path}' on these constants cannot be folded.");
    }

    public static SymbolicValue ReshapeConstant(string path, Node node, Tensor data, long[] target)
    {
        if (target.Contains(ShapeVector.Batch))
        {
            throw ModelLowering.Unsupported(path, $"Reshape '{node.DisplayName}' in '{path}' reshapes a constant by the batch size.");
        }

        int count = data.ElementCount;
        var dims = target.Select((t, i) => t == 0 ? data.Dims[i] : (int)t).ToArray();
        int known = dims.Where(d => d != -1).Aggregate(1, (p, d) => p * d);
        dims = dims.Select(d => d == -1 ? count / Math.Max(known, 1) : d).ToArray();
        return new ConstantValue(Reshaped(data, node.Outputs[0], dims));
    }

    private static Tensor Reshaped(Tensor t, string name, int[] dims)
        => t.IsFloat ? new Tensor(name, dims, t.Floats!) : new Tensor(name, dims, t.Int64s!, t.Type);

    private static long[] Axes(string path, Node node, SymbolicValue? axesInput)
    {
        if (node.GetInts("axes") is { } attr)
        {
            return attr;
        }

        if (axesInput is ConstantValue { Tensor.Int64s: { } ints })
        {
            return ints;
        }

        throw ModelLowering.Unsupported(path, $"{node.OpType} '{node.DisplayName}' in '{path}' has no constant axes.");
    }

    private static Tensor Constant(string path, Node node, SymbolicValue value)
        => value is ConstantValue c
            ? c.Tensor
            : throw ModelLowering.Unsupported(path, $"{node.OpType} '{node.DisplayName}' in '{path}' operates on the model's data tensor; BuildOptim only folds it on shapes and constants.");
}
