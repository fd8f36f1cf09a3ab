using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>Where(condition, x, y) with numpy broadcasting: a <see cref="WhereLayer"/>, or on constants the selected tensor.</summary>
internal static class Where
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int condition = n.Runtime(0), x = n.Runtime(1), y = n.Runtime(2);
        var shape = Shape(n.Path, n.Node, n.Context.Shape(condition), n.Context.Shape(x), n.Context.Shape(y));
        return n.Add(new WhereLayer { Name = n.Name, Inputs = [condition, x, y], Output = n.NewOutput(shape, n.TypeOf(1)) });
    }

    public static Tensor Fold(NodeFolding f)
    {
        var (condition, x, y) = (f.Input(0), f.Input(1), f.Input(2));
        var dims = Shape(f.Path, f.Node, condition.Dims, x.Dims, y.Dims);
        int count = Shapes.ElementCount(f.Path, f.Node, dims);
        bool isFloat = x.IsFloat || y.IsFloat;
        f.Charge(count, !isFloat);
        var floats = isFloat ? new float[count] : null;
        var ints = isFloat ? null : new long[count];
        int n = 0;
        var picks = Shapes.BroadcastOffsets(condition.Dims, dims).Zip(Shapes.BroadcastOffsets(x.Dims, dims), Shapes.BroadcastOffsets(y.Dims, dims));
        foreach (var (c, i, j) in picks)
        {
            bool first = condition.IsFloat ? condition.Floats![c] != 0 : condition.Int64s![c] != 0;
            var (source, at) = first ? (x, i) : (y, j);
            if (floats is not null)
            {
                floats[n++] = source.IsFloat ? source.Floats![at] : source.Int64s![at];
            }
            else
            {
                ints![n++] = source.Int64s![at];
            }
        }

        return floats is not null ? new Tensor(f.OutputName, dims, floats) : new Tensor(f.OutputName, dims, ints!, x.Type);
    }

    private static int[] Shape(string path, Node node, int[] condition, int[] x, int[] y)
        => Shapes.Broadcast(condition, x) is { } cx && Shapes.Broadcast(cx, y) is { } shape
            ? shape
            : throw Shapes.Bad(path, node, $"cannot broadcast [{string.Join(",", condition)}], [{string.Join(",", x)}] and [{string.Join(",", y)}]");
}
