using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor (a <see cref="CompareLayer"/> with numpy broadcasting)
/// and Not (Equal to false): bool tensors, or on constants the bool tensor they compute.
/// </summary>
internal static class Comparisons
{
    /// <summary>The op type names the <see cref="CompareKind"/>.</summary>
    public static SymbolicValue Lower(NodeLowering n)
    {
        int a = n.Runtime(0), b = n.Runtime(1);
        return Compare(n, Enum.Parse<CompareKind>(n.Node.OpType), a, b);
    }

    /// <summary>Not x is x = false.</summary>
    public static SymbolicValue LowerNot(NodeLowering n)
    {
        int x = n.Runtime(0);
        var c = n.Context;
        int no = c.AddLayer(new ConstantLayer { Name = n.Name + "#false", Inputs = [], Output = c.NewValue(n.Node.Outputs[0] + "#false", [], ElementType.Bool), Data = [0f] });
        return Compare(n, CompareKind.Equal, x, no);
    }

    public static Tensor Fold(NodeFolding f)
    {
        var (a, b) = (f.Input(0), f.Input(1));
        var kind = Enum.Parse<CompareKind>(f.Node.OpType);
        var dims = Shapes.Broadcast(a.Dims, b.Dims) ?? throw f.Bad($"cannot broadcast [{string.Join(",", a.Dims)}] with [{string.Join(",", b.Dims)}]");
        int count = Shapes.ElementCount(f.Path, f.Node, dims);
        f.Charge(count, integers: true);
        var result = new long[count];
        int n = 0;
        foreach (var (i, j) in Shapes.BroadcastOffsets(a.Dims, dims).Zip(Shapes.BroadcastOffsets(b.Dims, dims)))
        {
            result[n++] = Holds(kind, Value(a, i), Value(b, j)) ? 1 : 0;
        }

        return new Tensor(f.OutputName, dims, result, ElementType.Bool);
    }

    public static Tensor FoldNot(NodeFolding f)
    {
        var x = f.Input(0);
        f.Charge(x.ElementCount, integers: true);
        return new Tensor(f.OutputName, x.Dims, Enumerable.Range(0, x.ElementCount).Select(i => Value(x, i) == 0 ? 1L : 0L).ToArray(), ElementType.Bool);
    }

    private static SymbolicValue Compare(NodeLowering n, CompareKind kind, int a, int b)
    {
        var shape = Shapes.Broadcast(n.Context.Shape(a), n.Context.Shape(b))
            ?? throw n.Bad($"cannot broadcast [{string.Join(",", n.Context.Shape(a))}] with [{string.Join(",", n.Context.Shape(b))}]");
        return n.Add(new CompareLayer { Name = n.Name, Inputs = [a, b], Output = n.NewOutput(shape, ElementType.Bool), Kind = kind });
    }

    /// <summary>A constant's element as a double (int64 and float alike compare exactly).</summary>
    private static double Value(Tensor t, int i) => t.IsFloat ? t.Floats![i] : t.Int64s![i];

    private static bool Holds(CompareKind kind, double a, double b) => kind switch
    {
        CompareKind.Equal => a == b,
        CompareKind.Less => a < b,
        CompareKind.Greater => a > b,
        CompareKind.LessOrEqual => a <= b,
        CompareKind.GreaterOrEqual => a >= b,
        CompareKind.And => a != 0 && b != 0,
        CompareKind.Or => a != 0 || b != 0,
        _ => (a != 0) != (b != 0),
    };
}
