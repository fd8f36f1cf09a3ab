using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Split along one axis into consecutive parts: sizes from the <c>split</c> attribute (before opset 13) or constant input
/// (from 13), else equal parts, one per output — from opset 18 <c>num_outputs</c> of ⌈dim / n⌉ with a smaller last part.
/// Each output is a <see cref="SliceLayer"/> of runtime data, or a constant of constant data.
/// </summary>
internal static class Split
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var node = n.Node;
        var dims = n.DimsOf(n.Inputs[0]!);
        int axis = Shapes.Axis(n.Path, node, node.GetInt("axis", 0), dims.Length);
        var sizes = Sizes(n, dims[axis]);
        SymbolicValue? first = null;
        for (int i = 0, offset = 0; i < sizes.Length; offset += sizes[i], i++)
        {
            var begin = new int[dims.Length];
            begin[axis] = sizes[i] == 0 ? 0 : offset;
            var count = (int[])dims.Clone();
            count[axis] = sizes[i];
            var part = Part(n, i, begin, count);
            if (i == 0)
            {
                first = part;
            }
            else if (node.Outputs[i].Length > 0)
            {
                n.SetOutput(i, part);
            }
        }

        return first!;
    }

    /// <summary>Output <paramref name="i"/>: a slice of ones steps, on runtime data a layer, on constant data the picked constant.</summary>
    private static SymbolicValue Part(NodeLowering n, int i, int[] begin, int[] count)
    {
        var step = Enumerable.Repeat(1, begin.Length).ToArray();
        if (n.Inputs[0] is ConstantValue { Tensor: var t })
        {
            int total = Shapes.Product(count);
            n.Context.Charge(n.Node, total, !t.IsFloat);
            return new ConstantValue(ConstantFolding.Pick(t, n.Node.Outputs[i], count, total, Slice.Offsets(t.Dims, begin, count, step)));
        }

        int x = n.Runtime(0);
        var layer = new SliceLayer { Name = i == 0 ? n.Name : $"{n.Name}#{i}", Inputs = [x], Output = n.NewOutput(i, count), Begin = begin, Step = step };
        return new RuntimeValue(n.Context.AddLayer(layer));
    }

    /// <summary>The size of each part, checked to add up to the axis.</summary>
    private static int[] Sizes(NodeLowering n, int dim)
    {
        var node = n.Node;
        int outputs = node.Outputs.Count;
        long[]? split = node.GetInts("split") ?? (n.Input(1) is null ? null : n.Constant(1, "split").Int64s ?? throw n.Bad("has a non-integer split"));
        if (split is not null)
        {
            if (split.Length != outputs || split.Any(s => s < 0) || split.Sum() != dim)
            {
                throw n.Bad($"splits an axis of {dim} into [{string.Join(",", split)}] for {outputs} outputs");
            }

            return split.Select(s => (int)s).ToArray();
        }

        long parts = node.GetInt("num_outputs", outputs);
        if (parts != outputs || parts < 1)
        {
            throw n.Bad($"has num_outputs {parts} and {outputs} outputs");
        }

        if (node.Attributes.ContainsKey("num_outputs"))
        {
            int chunk = (int)((dim + parts - 1) / parts);
            return Enumerable.Range(0, outputs).Select(i => Math.Clamp(dim - (i * chunk), 0, chunk)).ToArray();
        }

        if (dim % outputs != 0)
        {
            throw n.Bad($"splits an axis of {dim} into {outputs} equal parts");
        }

        return Enumerable.Repeat(dim / outputs, outputs).ToArray();
    }
}
