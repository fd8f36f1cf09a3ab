namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Evaluates ops whose inputs are all constants: the shape arithmetic exporters emit
/// (Shape → Gather → Unsqueeze → Concat → Reshape), ConstantOfShape, and constant weight transforms.
/// With the batch bound to a concrete size, every shape is a constant.
/// </summary>
internal static class ConstantFolding
{
    public static readonly IReadOnlySet<string> Foldable = new HashSet<string>(StringComparer.Ordinal)
    {
        "Identity", "Cast", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape", "Flatten", "Add", "Sub", "Mul", "Div",
        "ConstantOfShape", "Slice", "Transpose", "Dropout", "Neg", "Sqrt", "Range",
    };

    public static Tensor Fold(LoweringContext c, Node node, Tensor?[] inputs)
    {
        string path = c.Path;
        string name = node.Outputs[0];
        Tensor In(int i) => i < inputs.Length && inputs[i] is { } t ? t : throw Fail(path, node, $"misses input {i}");
        var result = FoldNode(c, node, inputs, In, name);
        if (result.ElementCount != Shapes.Product(result.Dims))
        {
            throw new InvalidOperationException($"Folding {Shapes.Subject(path, node)} made [{string.Join(",", result.Dims)}] with {result.ElementCount} elements.");
        }

        return result;
    }

    private static Tensor FoldNode(LoweringContext c, Node node, Tensor?[] inputs, Func<int, Tensor> In, string name)
    {
        string path = c.Path;
        long opset = c.Graph.OpsetVersion;
        switch (node.OpType)
        {
            case "Identity":
            case "Dropout":
                return Rename(In(0), name);
            case "Cast":
            {
                var x = In(0);
                long to = node.GetInt("to", 1);
                c.Charge(node, x.ElementCount, integers: to is not (1 or 10 or 11));
                if (to is 1 or 10 or 11)
                {
                    return new Tensor(name, x.Dims, x.IsFloat ? x.Floats! : x.Int64s!.Select(v => (float)v).ToArray());
                }

                var ints = x.IsFloat ? x.Floats!.Select(v => (long)v).ToArray() : x.Int64s!;
                return new Tensor(name, x.Dims, ints, to == 6 ? ElementType.Int32 : to == 9 ? ElementType.Bool : ElementType.Int64);
            }

            case "Neg":
            {
                var x = In(0);
                c.Charge(node, x.ElementCount, !x.IsFloat);
                return x.IsFloat ? new Tensor(name, x.Dims, x.Floats!.Select(v => -v).ToArray()) : new Tensor(name, x.Dims, x.Int64s!.Select(v => -v).ToArray(), x.Type);
            }

            case "Sqrt":
            {
                var x = In(0);
                c.Charge(node, x.ElementCount);
                return new Tensor(name, x.Dims, x.IsFloat ? x.Floats!.Select(MathF.Sqrt).ToArray() : x.Int64s!.Select(v => MathF.Sqrt(v)).ToArray());
            }

            case "Gather":
                return Gather(c, node, In(0), In(1));
            case "Unsqueeze":
            {
                var x = In(0);
                return Reshaped(x, name, Shapes.Unsqueeze(path, node, x.Dims, Axes(node, inputs, 1)));
            }

            case "Squeeze":
            {
                var x = In(0);
                return Reshaped(x, name, Shapes.Squeeze(path, node, x.Dims, Axes(node, inputs, 1)));
            }

            case "Flatten":
            {
                var x = In(0);
                return Reshaped(x, name, Shapes.Flatten(path, node, x.Dims));
            }

            case "Reshape":
            {
                var x = In(0);
                var target = In(1).Int64s ?? throw Fail(path, node, "has a non-integer shape");
                return Reshaped(x, name, Shapes.Reshape(path, node, x.Dims, target, node.GetInt("allowzero", 0) != 0));
            }

            case "Concat":
                return Concat(c, node, inputs.Select((t, i) => t ?? throw Fail(path, node, $"misses input {i}")).ToArray());
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                return Arithmetic(c, node, In(0), In(1));
            case "ConstantOfShape":
            {
                var shape = In(0).Int64s ?? throw Fail(path, node, "has a non-integer shape");
                int count = Shapes.ElementCount(path, node, shape);
                var value = node.Attributes.TryGetValue("value", out var a) && a.T is { } t ? t : new Tensor("v", [1], [0f]);
                if (value.ElementCount != 1)
                {
                    throw Shapes.Bad(path, node, $"has a value of {value.ElementCount} elements; it must hold one");
                }

                c.Charge(node, count, !value.IsFloat);
                int[] dims = shape.Select(d => (int)d).ToArray();
                return value.IsFloat
                    ? new Tensor(name, dims, Enumerable.Repeat(value.Floats![0], count).ToArray())
                    : new Tensor(name, dims, Enumerable.Repeat(value.Int64s![0], count).ToArray(), value.Type);
            }

            case "Slice":
                return Slice(c, node, inputs, opset);
            case "Transpose":
            {
                var x = In(0);
                c.Charge(node, x.ElementCount, !x.IsFloat);
                return Transpose(x, name, Shapes.Permutation(path, node, x.Dims.Length));
            }

            case "Range":
                return Range(c, node, In(0), In(1), In(2));
            default:
                throw Fail(path, node, "cannot be folded");
        }
    }

    public static Tensor Rename(Tensor t, string name) => t.IsFloat ? new Tensor(name, t.Dims, t.Floats!) : new Tensor(name, t.Dims, t.Int64s!, t.Type);

    public static Tensor Reshaped(Tensor t, string name, int[] dims) => t.IsFloat ? new Tensor(name, dims, t.Floats!) : new Tensor(name, dims, t.Int64s!, t.Type);

    /// <summary>The <c>axes</c> attribute, or (opset 13 on) the integer tensor in input <paramref name="inputIndex"/>.</summary>
    public static long[]? Axes(Node node, Tensor?[] inputs, int inputIndex)
    {
        if (node.GetInts("axes") is { } attr)
        {
            return attr;
        }

        if (inputIndex < inputs.Length && inputs[inputIndex] is { Int64s: { } ints })
        {
            return ints;
        }

        return null;
    }

    private static Tensor Gather(LoweringContext c, Node node, Tensor data, Tensor indices)
    {
        string path = c.Path;
        int axis = Shapes.Axis(path, node, node.GetInt("axis", 0), data.Dims.Length);
        if (indices.Int64s is null)
        {
            throw Fail(path, node, "has non-integer indices");
        }

        int axisSize = data.Dims[axis];
        var picks = new int[indices.ElementCount];
        for (int i = 0; i < picks.Length; i++)
        {
            long ix = indices.Int64s[i];
            if (ix < -axisSize || ix >= axisSize)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Gather '{node.DisplayName}' in '{path}' has an index {ix} out of range [0, {axisSize}).");
            }

            picks[i] = (int)(ix < 0 ? ix + axisSize : ix);
        }

        int[] dims = [.. data.Dims.Take(axis), .. indices.Dims, .. data.Dims.Skip(axis + 1)];
        int count = Shapes.ElementCount(path, node, dims);
        c.Charge(node, count, !data.IsFloat);
        int outer = Shapes.Product(data.Dims.Take(axis));
        int inner = Shapes.Product(data.Dims.Skip(axis + 1));
        return Pick(data, node.Outputs[0], dims, count, GatherOffsets(outer, axisSize, picks, inner));
    }

    private static IEnumerable<int> GatherOffsets(int outer, int axisSize, int[] picks, int inner)
    {
        for (int o = 0; o < outer; o++)
        {
            foreach (int p in picks)
            {
                for (int i = 0; i < inner; i++)
                {
                    yield return (o * axisSize + p) * inner + i;
                }
            }
        }
    }

    private static Tensor Concat(LoweringContext c, Node node, Tensor[] tensors)
    {
        string path = c.Path;
        if (tensors.Length == 0)
        {
            throw Shapes.Bad(path, node, "has no inputs");
        }

        int rank = tensors[0].Dims.Length;
        int axis = Shapes.Axis(path, node, node.GetInt("axis", 0), rank);
        var dims = tensors[0].Dims.Select(d => (long)d).ToArray();
        dims[axis] = 0;
        foreach (var t in tensors)
        {
            if (t.Dims.Length != rank || Enumerable.Range(0, rank).Any(d => d != axis && t.Dims[d] != dims[d]))
            {
                throw Shapes.Bad(path, node, $"concatenates [{string.Join(",", tensors[0].Dims)}] with [{string.Join(",", t.Dims)}] along axis {axis}");
            }

            dims[axis] += t.Dims[axis];
        }

        int count = Shapes.ElementCount(path, node, dims);
        bool isFloat = tensors.All(t => t.IsFloat);
        c.Charge(node, count, !isFloat);
        int outer = Shapes.Product(tensors[0].Dims.Take(axis));
        int inner = Shapes.Product(tensors[0].Dims.Skip(axis + 1));
        var floats = isFloat ? new float[count] : null;
        var ints = isFloat ? null : new long[count];
        int n = 0;
        for (int o = 0; o < outer; o++)
        {
            foreach (var t in tensors)
            {
                int block = t.Dims[axis] * inner;
                for (int i = o * block; i < (o + 1) * block; i++, n++)
                {
                    if (floats is not null)
                    {
                        floats[n] = t.Floats![i];
                    }
                    else
                    {
                        ints![n] = t.IsFloat ? (long)t.Floats![i] : t.Int64s![i];
                    }
                }
            }
        }

        int[] shape = dims.Select(d => (int)d).ToArray();
        return isFloat ? new Tensor(node.Outputs[0], shape, floats!) : new Tensor(node.Outputs[0], shape, ints!);
    }

    private static Tensor Arithmetic(LoweringContext c, Node node, Tensor a, Tensor b)
    {
        string path = c.Path;
        var dims = Shapes.Broadcast(a.Dims, b.Dims) ?? throw Fail(path, node, $"broadcasts [{string.Join(",", a.Dims)}] with [{string.Join(",", b.Dims)}]");
        int count = Shapes.ElementCount(path, node, dims);
        bool isFloat = a.IsFloat || b.IsFloat;
        c.Charge(node, count, !isFloat);
        var offsets = Shapes.BroadcastOffsets(a.Dims, dims).Zip(Shapes.BroadcastOffsets(b.Dims, dims));
        int n = 0;
        if (isFloat)
        {
            var r = new float[count];
            foreach (var (i, j) in offsets)
            {
                float x = a.IsFloat ? a.Floats![i] : a.Int64s![i], y = b.IsFloat ? b.Floats![j] : b.Int64s![j];
                r[n++] = node.OpType switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => x / y };
            }

            return new Tensor(node.Outputs[0], dims, r);
        }

        var result = new long[count];
        foreach (var (i, j) in offsets)
        {
            long x = a.Int64s![i], y = b.Int64s![j];
            result[n++] = node.OpType switch
            {
                "Add" => unchecked(x + y),
                "Sub" => unchecked(x - y),
                "Mul" => unchecked(x * y),
                _ => y == 0 ? 0 : y == -1 ? unchecked(-x) : x / y, // long.MinValue / -1 would throw
            };
        }

        return new Tensor(node.Outputs[0], dims, result, a.Type);
    }

    private static Tensor Slice(LoweringContext c, Node node, Tensor?[] inputs, long opset)
    {
        string path = c.Path;
        var data = inputs.ElementAtOrDefault(0) ?? throw Fail(path, node, "misses data");
        long[] starts, ends;
        long[]? axes, steps;
        if (opset < 10)
        {
            starts = node.GetInts("starts") ?? throw Fail(path, node, "misses starts");
            ends = node.GetInts("ends") ?? throw Fail(path, node, "misses ends");
            axes = node.GetInts("axes");
            steps = null;
        }
        else
        {
            starts = inputs.ElementAtOrDefault(1)?.Int64s ?? throw Fail(path, node, "misses starts");
            ends = inputs.ElementAtOrDefault(2)?.Int64s ?? throw Fail(path, node, "misses ends");
            axes = inputs.ElementAtOrDefault(3)?.Int64s;
            steps = inputs.ElementAtOrDefault(4)?.Int64s;
        }

        if (ends.Length != starts.Length || (axes is not null && axes.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
        {
            throw Shapes.Bad(path, node, $"has {starts.Length} starts, {ends.Length} ends, {axes?.Length ?? starts.Length} axes and {steps?.Length ?? starts.Length} steps");
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
            begin[axis] = (int)s;
            step[axis] = n > 1 ? (int)st : 1; // two or more elements: |step| < dim
        }

        var strides = Shapes.Strides(data.Dims);
        int total = Shapes.Product(count);
        c.Charge(node, total, !data.IsFloat);
        int first = Enumerable.Range(0, rank).Sum(d => begin[d] * strides[d]);
        var offsets = Shapes.StridedOffsets(first, count, Enumerable.Range(0, rank).Select(d => step[d] * strides[d]).ToArray());
        return Pick(data, node.Outputs[0], count, total, offsets);
    }

    /// <summary>
    /// <c>start + i·delta</c> for i in [0, ceil((limit − start) / delta)): scalars of one type, delta non-zero and,
    /// for floats, every input finite; the count is checked before the output is allocated.
    /// </summary>
    private static Tensor Range(LoweringContext c, Node node, Tensor start, Tensor limit, Tensor delta)
    {
        string path = c.Path;
        if (start.ElementCount != 1 || limit.ElementCount != 1 || delta.ElementCount != 1 || start.IsFloat != limit.IsFloat || start.IsFloat != delta.IsFloat)
        {
            throw Shapes.Bad(path, node, "needs start, limit and delta as scalars of one type");
        }

        if (start.IsFloat)
        {
            float s = start.Floats![0], l = limit.Floats![0], d = delta.Floats![0];
            if (!float.IsFinite(s) || !float.IsFinite(l) || !float.IsFinite(d) || d == 0)
            {
                throw Shapes.Bad(path, node, $"has start {s}, limit {l} and delta {d}; they must be finite and delta non-zero");
            }

            double steps = Math.Max(0, Math.Ceiling((l - s) / d));
            int n = Shapes.ElementCount(path, node, [double.IsFinite(steps) && steps < long.MaxValue ? (long)steps : long.MaxValue]);
            c.Charge(node, n);
            return new Tensor(node.Outputs[0], [n], Enumerable.Range(0, n).Select(i => s + i * d).ToArray());
        }
        else
        {
            long s = start.Int64s![0], l = limit.Int64s![0], d = delta.Int64s![0];
            if (d == 0)
            {
                throw Shapes.Bad(path, node, $"has delta 0 (start {s}, limit {l})");
            }

            Int128 span = (Int128)l - s;
            Int128 steps = d > 0 ? (span > 0 ? (span + d - 1) / d : 0) : (span < 0 ? (span + d + 1) / d : 0);
            int n = Shapes.ElementCount(path, node, [steps > long.MaxValue ? long.MaxValue : (long)steps]);
            c.Charge(node, n, integers: true);
            return new Tensor(node.Outputs[0], [n], Enumerable.Range(0, n).Select(i => s + i * d).ToArray(), start.Type);
        }
    }

    /// <summary>Transposes a constant; <paramref name="perm"/> is checked (<see cref="Shapes.Permutation"/>).</summary>
    public static Tensor Transpose(Tensor x, string name, int[] perm)
    {
        var dims = perm.Select(p => x.Dims[p]).ToArray();
        var strides = Shapes.Strides(x.Dims);
        return Pick(x, name, dims, x.ElementCount, Shapes.StridedOffsets(0, dims, perm.Select(p => strides[p]).ToArray()));
    }

    /// <summary>A tensor of <paramref name="dims"/> whose elements are <paramref name="source"/>'s at <paramref name="offsets"/>.</summary>
    private static Tensor Pick(Tensor source, string name, int[] dims, int count, IEnumerable<int> offsets)
    {
        int n = 0;
        if (source.IsFloat)
        {
            var floats = new float[count];
            foreach (int offset in offsets)
            {
                floats[n++] = source.Floats![offset];
            }

            return new Tensor(name, dims, floats);
        }

        var ints = new long[count];
        foreach (int offset in offsets)
        {
            ints[n++] = source.Int64s![offset];
        }

        return new Tensor(name, dims, ints, source.Type);
    }

    private static OnnxModelException Fail(string path, Node node, string problem)
        => new(OnnxDiagnostics.UnsupportedModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' {problem}; BuildOptim cannot fold it.");
}
