using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Expand (the input broadcast to a constant shape, numpy rules) and Tile (the input repeated a constant number of times
/// along each dim): an <see cref="ExpandLayer"/> or a <see cref="TileLayer"/>, or on constants the repeated tensor.
/// </summary>
internal static class Tiling
{
    public static SymbolicValue LowerExpand(NodeLowering n)
    {
        var target = n.Constant(1, "shape").Int64s ?? throw n.Bad("has a non-integer shape");
        int x = n.Runtime(0);
        var dims = ExpandedDims(n.Path, n.Node, n.Context.Shape(x), target);
        return n.Add(new ExpandLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(dims) });
    }

    public static SymbolicValue LowerTile(NodeLowering n)
    {
        var repeats = n.Constant(1, "repeats").Int64s ?? throw n.Bad("has non-integer repeats");
        int x = n.Runtime(0);
        var dims = TiledDims(n.Path, n.Node, n.Context.Shape(x), repeats);
        return n.Add(new TileLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(dims), Repeats = repeats.Select(r => (int)r).ToArray() });
    }

    public static Tensor FoldExpand(NodeFolding f)
    {
        var x = f.Input(0);
        var dims = ExpandedDims(f.Path, f.Node, x.Dims, f.Input(1).Int64s ?? throw f.Bad("has a non-integer shape"));
        int count = Shapes.Product(dims);
        f.Charge(count, !x.IsFloat);
        return ConstantFolding.Pick(x, f.OutputName, dims, count, Shapes.BroadcastOffsets(x.Dims, dims));
    }

    public static Tensor FoldTile(NodeFolding f)
    {
        var x = f.Input(0);
        var dims = TiledDims(f.Path, f.Node, x.Dims, f.Input(1).Int64s ?? throw f.Bad("has non-integer repeats"));
        int count = Shapes.Product(dims);
        f.Charge(count, !x.IsFloat);
        var strides = Shapes.Strides(x.Dims);
        var offsets = Enumerable.Range(0, count).Select(at =>
        {
            int offset = 0;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                offset += at % dims[d] % x.Dims[d] * strides[d]; // output index d, wrapped around the input's dim
                at /= dims[d];
            }

            return offset;
        });
        return ConstantFolding.Pick(x, f.OutputName, dims, count, offsets);
    }

    /// <summary>numpy broadcast of <paramref name="dims"/> and the target shape (either may have the lower rank).</summary>
    private static int[] ExpandedDims(string path, Node node, int[] dims, long[] target)
    {
        if (target.Any(d => d < 0))
        {
            throw Shapes.Bad(path, node, $"expands to [{string.Join(",", target)}]");
        }

        Shapes.ElementCount(path, node, target); // a target beyond the budget is BOPT1004 before any dim is cast to int

        var shape = Shapes.Broadcast(dims, target.Select(d => (int)d).ToArray())
            ?? throw Shapes.Bad(path, node, $"cannot expand [{string.Join(",", dims)}] to [{string.Join(",", target)}]");
        Shapes.ElementCount(path, node, shape);
        return shape;
    }

    private static int[] TiledDims(string path, Node node, int[] dims, long[] repeats)
    {
        if (repeats.Length != dims.Length || repeats.Any(r => r < 0))
        {
            throw Shapes.Bad(path, node, $"repeats [{string.Join(",", dims)}] by [{string.Join(",", repeats)}]");
        }

        var tiled = dims.Select((d, i) => d * repeats[i]).ToArray();
        Shapes.ElementCount(path, node, tiled);
        return tiled.Select(d => (int)d).ToArray();
    }
}
