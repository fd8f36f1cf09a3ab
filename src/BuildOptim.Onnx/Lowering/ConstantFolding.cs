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

    public static Tensor Fold(string path, Node node, Tensor?[] inputs, long opset)
    {
        string name = node.Outputs[0];
        Tensor In(int i) => i < inputs.Length && inputs[i] is { } t ? t : throw Fail(path, node, $"misses input {i}");
        switch (node.OpType)
        {
            case "Identity":
            case "Dropout":
                return Rename(In(0), name);
            case "Cast":
            {
                var x = In(0);
                long to = node.GetInt("to", 1);
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
                return x.IsFloat ? new Tensor(name, x.Dims, x.Floats!.Select(v => -v).ToArray()) : new Tensor(name, x.Dims, x.Int64s!.Select(v => -v).ToArray(), x.Type);
            }

            case "Sqrt":
            {
                var x = In(0);
                return new Tensor(name, x.Dims, (x.IsFloat ? x.Floats! : x.Int64s!.Select(v => (float)v).ToArray()).Select(MathF.Sqrt).ToArray());
            }

            case "Gather":
                return Gather(path, node, In(0), In(1));
            case "Unsqueeze":
            {
                var x = In(0);
                long[] axes = Axes(path, node, inputs, 1, opset >= 13) ?? throw Fail(path, node, "has no axes");
                int rank = x.Dims.Length + axes.Length;
                var dims = new List<int>(x.Dims);
                foreach (long a in axes.Select(a => a < 0 ? a + rank : a).OrderBy(a => a))
                {
                    dims.Insert((int)a, 1);
                }

                return Reshaped(x, name, [.. dims]);
            }

            case "Squeeze":
            {
                var x = In(0);
                return Reshaped(x, name, Shapes.Squeeze(x.Dims, Axes(path, node, inputs, 1, opset >= 13)));
            }

            case "Flatten":
            {
                var x = In(0);
                return Reshaped(x, name, Shapes.Flatten(x.Dims, (int)node.GetInt("axis", 1)));
            }

            case "Reshape":
            {
                var x = In(0);
                var target = In(1).Int64s ?? throw Fail(path, node, "has a non-integer shape");
                return Reshaped(x, name, Shapes.Reshape(path, node, x.Dims, target, node.GetInt("allowzero", 0) != 0));
            }

            case "Concat":
                return Concat(path, node, inputs.Select((t, i) => t ?? throw Fail(path, node, $"misses input {i}")).ToArray());
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                return Arithmetic(path, node, In(0), In(1));
            case "ConstantOfShape":
            {
                var shape = In(0).Int64s ?? throw Fail(path, node, "has a non-integer shape");
                int[] dims = shape.Select(d => checked((int)d)).ToArray();
                int count = dims.Aggregate(1, (p, d) => checked(p * d));
                var value = node.Attributes.TryGetValue("value", out var a) && a.T is { } t ? t : new Tensor("v", [1], [0f]);
                return value.IsFloat
                    ? new Tensor(name, dims, Enumerable.Repeat(value.Floats![0], count).ToArray())
                    : new Tensor(name, dims, Enumerable.Repeat(value.Int64s![0], count).ToArray(), value.Type);
            }

            case "Slice":
                return Slice(path, node, inputs, opset);
            case "Transpose":
            {
                var x = In(0);
                var perm = node.GetInts("perm")?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, x.Dims.Length).Reverse().ToArray();
                return Transpose(x, name, perm);
            }

            case "Range":
            {
                var start = In(0);
                var limit = In(1);
                var delta = In(2);
                if (start.IsFloat)
                {
                    float s = start.Floats![0], l = limit.Floats![0], d = delta.Floats![0];
                    int n = Math.Max(0, (int)Math.Ceiling((l - s) / d));
                    return new Tensor(name, [n], Enumerable.Range(0, n).Select(i => s + i * d).ToArray());
                }
                else
                {
                    long s = start.Int64s![0], l = limit.Int64s![0], d = delta.Int64s![0];
                    int n = (int)Math.Max(0, (long)Math.Ceiling((l - s) / (double)d));
                    return new Tensor(name, [n], Enumerable.Range(0, n).Select(i => s + i * d).ToArray(), start.Type);
                }
            }

            default:
                throw Fail(path, node, "cannot be folded");
        }
    }

    public static Tensor Rename(Tensor t, string name) => t.IsFloat ? new Tensor(name, t.Dims, t.Floats!) : new Tensor(name, t.Dims, t.Int64s!, t.Type);

    public static Tensor Reshaped(Tensor t, string name, int[] dims) => t.IsFloat ? new Tensor(name, dims, t.Floats!) : new Tensor(name, dims, t.Int64s!, t.Type);

    public static long[]? Axes(string path, Node node, Tensor?[] inputs, int inputIndex, bool fromInput)
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

    private static Tensor Gather(string path, Node node, Tensor data, Tensor indices)
    {
        int rank = data.Dims.Length;
        int axis = (int)node.GetInt("axis", 0);
        if (axis < 0)
        {
            axis += rank;
        }

        if (indices.Int64s is null || axis < 0 || axis >= rank)
        {
            throw Fail(path, node, "has invalid indices or axis");
        }

        int outer = data.Dims.Take(axis).Aggregate(1, (p, d) => p * d);
        int axisSize = data.Dims[axis];
        int inner = data.Dims.Skip(axis + 1).Aggregate(1, (p, d) => p * d);
        var picks = indices.Int64s.Select(ix => (int)(ix < 0 ? ix + axisSize : ix)).ToArray();
        if (picks.Any(ix => ix < 0 || ix >= axisSize))
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Gather '{node.DisplayName}' in '{path}' has an index out of range [0, {axisSize}).");
        }

        int[] dims = [.. data.Dims.Take(axis), .. indices.Dims, .. data.Dims.Skip(axis + 1)];
        var order = new List<int>();
        for (int o = 0; o < outer; o++)
        {
            foreach (int p in picks)
            {
                for (int i = 0; i < inner; i++)
                {
                    order.Add((o * axisSize + p) * inner + i);
                }
            }
        }

        return data.IsFloat
            ? new Tensor(node.Outputs[0], dims, order.Select(i => data.Floats![i]).ToArray())
            : new Tensor(node.Outputs[0], dims, order.Select(i => data.Int64s![i]).ToArray(), data.Type);
    }

    private static Tensor Concat(string path, Node node, Tensor[] tensors)
    {
        int rank = tensors[0].Dims.Length;
        int axis = (int)node.GetInt("axis", 0);
        if (axis < 0)
        {
            axis += rank;
        }

        if (tensors.Any(t => t.Dims.Length != rank) || axis < 0 || axis >= rank)
        {
            throw Fail(path, node, "concatenates tensors of different ranks");
        }

        int outer = tensors[0].Dims.Take(axis).Aggregate(1, (p, d) => p * d);
        int[] dims = (int[])tensors[0].Dims.Clone();
        dims[axis] = tensors.Sum(t => t.Dims[axis]);
        bool isFloat = tensors.All(t => t.IsFloat);
        var floats = new List<float>();
        var ints = new List<long>();
        for (int o = 0; o < outer; o++)
        {
            foreach (var t in tensors)
            {
                int block = t.ElementCount / Math.Max(outer, 1);
                if (isFloat)
                {
                    floats.AddRange(t.Floats!.Skip(o * block).Take(block));
                }
                else
                {
                    ints.AddRange(t.IsFloat ? t.Floats!.Skip(o * block).Take(block).Select(v => (long)v) : t.Int64s!.Skip(o * block).Take(block));
                }
            }
        }

        return isFloat ? new Tensor(node.Outputs[0], dims, floats.ToArray()) : new Tensor(node.Outputs[0], dims, ints.ToArray());
    }

    private static Tensor Arithmetic(string path, Node node, Tensor a, Tensor b)
    {
        var dims = Shapes.Broadcast(a.Dims, b.Dims) ?? throw Fail(path, node, $"broadcasts [{string.Join(",", a.Dims)}] with [{string.Join(",", b.Dims)}]");
        int count = dims.Aggregate(1, (p, d) => p * d);
        var ia = Shapes.BroadcastIndices(a.Dims, dims);
        var ib = Shapes.BroadcastIndices(b.Dims, dims);
        if (a.IsFloat || b.IsFloat)
        {
            float[] fa = a.Floats ?? a.Int64s!.Select(v => (float)v).ToArray();
            float[] fb = b.Floats ?? b.Int64s!.Select(v => (float)v).ToArray();
            var r = new float[count];
            for (int i = 0; i < count; i++)
            {
                float x = fa[ia[i]], y = fb[ib[i]];
                r[i] = node.OpType switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => x / y };
            }

            return new Tensor(node.Outputs[0], dims, r);
        }

        var result = new long[count];
        for (int i = 0; i < count; i++)
        {
            long x = a.Int64s![ia[i]], y = b.Int64s![ib[i]];
            result[i] = node.OpType switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => y == 0 ? 0 : x / y };
        }

        return new Tensor(node.Outputs[0], dims, result, a.Type);
    }

    private static Tensor Slice(string path, Node node, Tensor?[] inputs, long opset)
    {
        var data = inputs[0] ?? throw Fail(path, node, "misses data");
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

        int rank = data.Dims.Length;
        var begin = new int[rank];
        var step = Enumerable.Repeat(1, rank).ToArray();
        var count = (int[])data.Dims.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = (int)(axes is null ? i : axes[i] < 0 ? axes[i] + rank : axes[i]);
            int dim = data.Dims[axis];
            long st = steps is null ? 1 : steps[i];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (st > 0)
            {
                s = Math.Clamp(s, 0, dim);
                e = Math.Clamp(e, 0, dim);
                count[axis] = (int)Math.Max(0, (e - s + st - 1) / st);
            }
            else
            {
                s = Math.Clamp(s, 0, dim - 1);
                e = Math.Clamp(e, -1, dim - 1);
                count[axis] = (int)Math.Max(0, (s - e - st - 1) / -st);
            }

            begin[axis] = (int)s;
            step[axis] = (int)st;
        }

        var strides = Shapes.Strides(data.Dims);
        int total = count.Aggregate(1, (p, d) => p * d);
        var source = new int[total];
        var index = new int[rank];
        for (int n = 0; n < total; n++)
        {
            int offset = 0;
            for (int d = 0; d < rank; d++)
            {
                offset += (begin[d] + index[d] * step[d]) * strides[d];
            }

            source[n] = offset;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < count[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return data.IsFloat
            ? new Tensor(node.Outputs[0], count, source.Select(i => data.Floats![i]).ToArray())
            : new Tensor(node.Outputs[0], count, source.Select(i => data.Int64s![i]).ToArray(), data.Type);
    }

    public static Tensor Transpose(Tensor x, string name, int[] perm)
    {
        int rank = x.Dims.Length;
        var dims = perm.Select(p => x.Dims[p]).ToArray();
        var strides = Shapes.Strides(x.Dims);
        int total = x.ElementCount;
        var source = new int[total];
        var index = new int[rank];
        for (int n = 0; n < total; n++)
        {
            int offset = 0;
            for (int d = 0; d < rank; d++)
            {
                offset += index[d] * strides[perm[d]];
            }

            source[n] = offset;
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < dims[d])
                {
                    break;
                }

                index[d] = 0;
            }
        }

        return x.IsFloat
            ? new Tensor(name, dims, source.Select(i => x.Floats![i]).ToArray())
            : new Tensor(name, dims, source.Select(i => x.Int64s![i]).ToArray(), x.Type);
    }

    private static OnnxModelException Fail(string path, Node node, string problem)
        => new(OnnxDiagnostics.UnsupportedModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' {problem}; BuildOptim cannot fold it.");
}
