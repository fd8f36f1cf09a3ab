namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>Identity, and Dropout in eval mode: the output is the input; no layer.</summary>
internal static class PassThrough
{
    public static SymbolicValue LowerIdentity(NodeLowering n) => n.Inputs[0]!;

    /// <summary>Dropout runs as Identity unless it is in training mode or a later node reads its mask.</summary>
    public static SymbolicValue LowerDropout(NodeLowering n)
    {
        var node = n.Node;
        if (n.Input(2) is { } training
            && (training is not ConstantValue { Tensor: var mode } || (mode.IsFloat ? mode.Floats!.Any(v => v != 0) : mode.Int64s!.Any(v => v != 0))))
        {
            throw n.Unsupported($"Dropout '{n.Name}' in '{n.Path}' runs in training mode; export the model in eval mode.");
        }

        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && n.Context.IsUsedLater(node.Outputs[1]))
        {
            throw n.Unsupported($"Dropout '{n.Name}' in '{n.Path}' exposes its mask, which BuildOptim does not support.");
        }

        return n.Inputs[0]!;
    }

    /// <summary>The constant input under the output's name.</summary>
    public static Tensor Fold(NodeFolding f)
    {
        var t = f.Input(0);
        return t.IsFloat ? new Tensor(f.OutputName, t.Dims, t.Floats!) : new Tensor(f.OutputName, t.Dims, t.Int64s!, t.Type);
    }
}
