using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Cast: of a runtime tensor, to float (float16 and double computed as float32), int64, int32 or bool — a
/// <see cref="CastLayer"/>, or nothing when the type does not change; of a constant, to any type (integer types held as
/// int64, floats truncated toward zero, bools as x ≠ 0).
/// </summary>
internal static class Cast
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        long to = n.Node.GetInt("to", 1);
        var target = RuntimeTarget(to) ?? throw n.Unsupported($"Cast '{n.Name}' in '{n.Path}' converts the data to type {to}; runtime tensors cast to float, int64, int32 or bool.");
        if (n.TypeOf(0) == target)
        {
            return n.Inputs[0]!;
        }

        int x = n.Runtime(0);
        return n.Add(new CastLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(n.Context.Shape(x), target), To = target });
    }

    public static Tensor Fold(NodeFolding f)
    {
        var x = f.Input(0);
        long to = f.Node.GetInt("to", 1);
        f.Charge(x.ElementCount, integers: !IsFloat(to));
        if (IsFloat(to))
        {
            return new Tensor(f.OutputName, x.Dims, x.IsFloat ? x.Floats! : x.Int64s!.Select(v => (float)v).ToArray());
        }

        var ints = x.IsFloat ? x.Floats!.Select(v => (long)v).ToArray() : x.Int64s!;
        return to switch
        {
            9 => new Tensor(f.OutputName, x.Dims, x.IsFloat ? x.Floats!.Select(v => v != 0 ? 1L : 0L).ToArray() : ints.Select(v => v != 0 ? 1L : 0L).ToArray(), ElementType.Bool),
            6 => new Tensor(f.OutputName, x.Dims, ints.Select(v => (long)unchecked((int)v)).ToArray(), ElementType.Int32),
            _ => new Tensor(f.OutputName, x.Dims, ints, ElementType.Int64),
        };
    }

    /// <summary>The type a runtime tensor cast to TensorProto data type <paramref name="to"/> has in a plan, or null when a plan cannot hold it.</summary>
    private static ElementType? RuntimeTarget(long to) => to switch
    {
        _ when IsFloat(to) => ElementType.Float,
        6 => ElementType.Int32,
        7 => ElementType.Int64,
        9 => ElementType.Bool,
        _ => null,
    };

    /// <summary>TensorProto data types FLOAT (1), FLOAT16 (10) and DOUBLE (11).</summary>
    private static bool IsFloat(long to) => to is 1 or 10 or 11;
}
