namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>ConstantOfShape and Range: tensors made from scalars and a shape, on constants only.</summary>
internal static class Generators
{
    /// <summary>A tensor of the given int64 shape filled with the one-element <c>value</c> attribute (default float 0).</summary>
    public static Tensor FoldConstantOfShape(NodeFolding f)
    {
        var node = f.Node;
        string path = f.Path;
        string name = f.OutputName;
        var shape = f.Input(0).Int64s ?? throw f.Fail("has a non-integer shape");
        int count = Shapes.ElementCount(path, node, shape);
        var value = node.Attributes.TryGetValue("value", out var a) && a.T is { } t ? t : new Tensor("v", [1], [0f]);
        if (value.ElementCount != 1)
        {
            throw f.Bad($"has a value of {value.ElementCount} elements; it must hold one");
        }

        f.Charge(count, !value.IsFloat);
        int[] dims = shape.Select(d => (int)d).ToArray();
        return value.IsFloat
            ? new Tensor(name, dims, Enumerable.Repeat(value.Floats![0], count).ToArray())
            : new Tensor(name, dims, Enumerable.Repeat(value.Int64s![0], count).ToArray(), value.Type);
    }

    /// <summary>
    /// <c>start + i·delta</c> for i in [0, ceil((limit − start) / delta)): scalars of one type, delta non-zero and,
    /// for floats, every input finite; the count is checked before the output is allocated.
    /// </summary>
    public static Tensor FoldRange(NodeFolding f)
    {
        var (start, limit, delta) = (f.Input(0), f.Input(1), f.Input(2));
        var node = f.Node;
        string path = f.Path;
        if (start.ElementCount != 1 || limit.ElementCount != 1 || delta.ElementCount != 1 || start.IsFloat != limit.IsFloat || start.IsFloat != delta.IsFloat)
        {
            throw f.Bad("needs start, limit and delta as scalars of one type");
        }

        if (start.IsFloat)
        {
            float s = start.Floats![0], l = limit.Floats![0], d = delta.Floats![0];
            if (!float.IsFinite(s) || !float.IsFinite(l) || !float.IsFinite(d) || d == 0)
            {
                throw f.Bad($"has start {s}, limit {l} and delta {d}; they must be finite and delta non-zero");
            }

            double steps = Math.Max(0, Math.Ceiling((l - s) / d));
            int n = Shapes.ElementCount(path, node, [double.IsFinite(steps) && steps < long.MaxValue ? (long)steps : long.MaxValue]);
            f.Charge(n);
            return new Tensor(f.OutputName, [n], Enumerable.Range(0, n).Select(i => s + i * d).ToArray());
        }
        else
        {
            long s = start.Int64s![0], l = limit.Int64s![0], d = delta.Int64s![0];
            if (d == 0)
            {
                throw f.Bad($"has delta 0 (start {s}, limit {l})");
            }

            Int128 span = (Int128)l - s;
            Int128 steps = d > 0 ? (span > 0 ? (span + d - 1) / d : 0) : (span < 0 ? (span + d + 1) / d : 0);
            int n = Shapes.ElementCount(path, node, [steps > long.MaxValue ? long.MaxValue : (long)steps]);
            f.Charge(n, integers: true);
            return new Tensor(f.OutputName, [n], Enumerable.Range(0, n).Select(i => s + i * d).ToArray(), start.Type);
        }
    }
}
