using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// LayerNormalization (opset 17): a <see cref="LayerNormLayer"/> over the axes from <c>axis</c> (default −1) with
/// <c>epsilon</c> (default 1e-5), constant Scale and optional B broadcast to the normalized shape. Only Y is computed: a
/// model that reads the Mean or InvStdDev output is BOPT1004.
/// </summary>
internal static class LayerNormalization
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        if (node.Outputs.Skip(1).FirstOrDefault(o => o.Length > 0 && c.IsUsedLater(o)) is { } statistic)
        {
            throw n.Unsupported($"LayerNormalization '{n.Name}' in '{n.Path}' exposes its Mean or InvStdDev ('{statistic}'); BuildOptim computes Y only.");
        }

        int x = n.Runtime(0);
        var shape = c.Shape(x);
        int axis = Shapes.Axis(n.Path, node, node.GetInt("axis", -1), shape.Length);
        var normalized = shape[axis..];
        var scale = Row(n, n.Constant(1, "scale"), normalized, "scale");
        var bias = n.Input(2) is null ? null : Row(n, n.Constant(2, "bias"), normalized, "bias");
        c.Charge(node, 2L * scale.Length);
        return n.Add(new LayerNormLayer
        {
            Name = n.Name,
            Inputs = [x],
            Output = n.NewOutput(shape),
            Axis = axis,
            Epsilon = node.GetFloat("epsilon", 1e-5f),
            Scale = scale,
            Bias = bias,
        });
    }

    private static float[] Row(NodeLowering n, Tensor t, int[] normalized, string role)
        => (t.IsFloat ? LayerNormLayer.ToRow(t.Floats!, t.Dims, normalized) : null)
            ?? throw n.Bad($"has a {role} of shape [{string.Join(",", t.Dims)}], which does not broadcast to the normalized shape [{string.Join(",", normalized)}]");
}
