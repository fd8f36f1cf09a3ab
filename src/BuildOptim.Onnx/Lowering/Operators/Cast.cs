namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Cast: of a computed tensor, only to a float type (float, float16, double), which the plan's float32 already is
/// (no layer); of a constant, to any type (integer types held as int64, truncating floats).
/// </summary>
internal static class Cast
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        long to = n.Node.GetInt("to", 1);
        if (!IsFloat(to))
        {
            throw n.Unsupported($"Cast '{n.Name}' in '{n.Path}' converts the data to type {to}; only float casts of runtime tensors are supported.");
        }

        return n.Inputs[0]!;
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
        return new Tensor(f.OutputName, x.Dims, ints, to == 6 ? ElementType.Int32 : to == 9 ? ElementType.Bool : ElementType.Int64);
    }

    /// <summary>TensorProto data types FLOAT (1), FLOAT16 (10) and DOUBLE (11).</summary>
    private static bool IsFloat(long to) => to is 1 or 10 or 11;
}
