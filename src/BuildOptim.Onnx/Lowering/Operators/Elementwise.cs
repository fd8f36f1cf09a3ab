using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Add, Sub, Mul, Div and PRelu (a <see cref="BinaryLayer"/> with numpy broadcasting; integer Div truncated by a
/// <see cref="CastLayer"/>), Sum (a chain of Adds);
/// on constants Add, Sub, Mul, Div, Neg and Sqrt fold (integers with wrapping arithmetic, as int64 tensors do).
/// </summary>
internal static class Elementwise
{
    /// <summary>The op type names the <see cref="BinaryKind"/>.</summary>
    public static SymbolicValue LowerBinary(NodeLowering n)
    {
        int a = n.Runtime(0), b = n.Runtime(1);
        var shape = Shapes.Broadcast(n.Context.Shape(a), n.Context.Shape(b))
            ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, n.Path, $"{n.Node.OpType} '{n.Name}' in '{n.Path}' cannot broadcast [{string.Join(",", n.Context.Shape(a))}] with [{string.Join(",", n.Context.Shape(b))}].");
        var kind = Enum.Parse<BinaryKind>(n.Node.OpType);
        var type = n.Context.Type(a);
        if (kind == BinaryKind.Div && type is ElementType.Int64 or ElementType.Int32)
        {
            // Integer division truncates: the float quotient of two integers within 2^24 truncates to it.
            int quotient = n.Context.NewValue(n.Node.Outputs[0] + "#quotient", shape);
            n.Context.AddLayer(new BinaryLayer { Name = n.Name, Inputs = [a, b], Output = quotient, Kind = kind });
            return n.Add(new CastLayer { Name = n.Name + "#truncate", Inputs = [quotient], Output = n.NewOutput(shape), To = type });
        }

        return n.Add(new BinaryLayer { Name = n.Name, Inputs = [a, b], Output = n.NewOutput(shape), Kind = kind });
    }

    /// <summary>Sum of one input is a copy (a <see cref="ReshapeLayer"/>); of more, Adds left to right.</summary>
    public static SymbolicValue LowerSum(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        int acc = n.Runtime(0);
        for (int i = 1; i < node.Inputs.Count; i++)
        {
            int b = n.Runtime(i);
            var shape = Shapes.Broadcast(c.Shape(acc), c.Shape(b)) ?? throw n.Unsupported($"Sum '{n.Name}' in '{n.Path}' cannot broadcast its inputs.");
            int output = i == node.Inputs.Count - 1 ? n.NewOutput(shape) : c.NewValue(node.Outputs[0] + "#" + i, shape, c.Type(acc));
            acc = c.AddLayer(new BinaryLayer { Name = n.Name, Inputs = [acc, b], Output = output, Kind = BinaryKind.Add });
        }

        if (node.Inputs.Count == 1)
        {
            return n.Add(new ReshapeLayer { Name = n.Name, Inputs = [acc], Output = n.NewOutput(c.Shape(acc)) });
        }

        return new RuntimeValue(acc);
    }

    /// <summary>Add, Sub, Mul or Div of two constants; float when either is, integer division truncating (x / 0 is 0).</summary>
    public static Tensor FoldArithmetic(NodeFolding f)
    {
        var (a, b) = (f.Input(0), f.Input(1));
        var node = f.Node;
        var dims = Shapes.Broadcast(a.Dims, b.Dims) ?? throw f.Fail($"broadcasts [{string.Join(",", a.Dims)}] with [{string.Join(",", b.Dims)}]");
        int count = Shapes.ElementCount(f.Path, node, dims);
        bool isFloat = a.IsFloat || b.IsFloat;
        f.Charge(count, !isFloat);
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

            return new Tensor(f.OutputName, dims, r);
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

        return new Tensor(f.OutputName, dims, result, a.Type);
    }

    public static Tensor FoldNeg(NodeFolding f)
    {
        var x = f.Input(0);
        f.Charge(x.ElementCount, !x.IsFloat);
        return x.IsFloat ? new Tensor(f.OutputName, x.Dims, x.Floats!.Select(v => -v).ToArray()) : new Tensor(f.OutputName, x.Dims, x.Int64s!.Select(v => -v).ToArray(), x.Type);
    }

    /// <summary>Sqrt of a constant, as float32.</summary>
    public static Tensor FoldSqrt(NodeFolding f)
    {
        var x = f.Input(0);
        f.Charge(x.ElementCount);
        return new Tensor(f.OutputName, x.Dims, x.IsFloat ? x.Floats!.Select(MathF.Sqrt).ToArray() : x.Int64s!.Select(v => MathF.Sqrt(v)).ToArray());
    }
}
