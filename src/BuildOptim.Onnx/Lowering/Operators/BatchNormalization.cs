using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// BatchNormalization in eval mode: <c>y = x · scale[c] + shift[c]</c> with <c>scale = γ / √(var + ε)</c> and
/// <c>shift = β − mean · scale</c>, a <see cref="ChannelAffineLayer"/> that <c>FoldBatchNorm</c> folds into the
/// Conv or Dense before it.
/// </summary>
internal static class BatchNormalization
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        int x = n.Runtime(0);
        if (node.Outputs.Count > 1 && node.Outputs.Skip(1).Any(o => o.Length > 0 && c.IsUsedLater(o)))
        {
            throw n.Unsupported($"BatchNormalization '{n.Name}' in '{n.Path}' is in training mode; export the model in eval mode.");
        }

        var shape = c.Shape(x);
        var parameters = new[] { n.Constant(1, "scale"), n.Constant(2, "bias"), n.Constant(3, "mean"), n.Constant(4, "variance") };
        if (shape.Length < 2 || parameters.Any(p => !p.IsFloat || p.ElementCount != shape[1]))
        {
            throw n.Bad($"normalizes [{string.Join(",", shape)}] with scale, bias, mean and variance of {string.Join(", ", parameters.Select(p => p.ElementCount))} float values; it needs one per channel");
        }

        var (gamma, beta, mean, variance) = (parameters[0].Floats!, parameters[1].Floats!, parameters[2].Floats!, parameters[3].Floats!);
        float epsilon = node.GetFloat("epsilon", 1e-5f);
        c.Charge(node, 2L * gamma.Length);
        var scale = new float[gamma.Length];
        var shift = new float[gamma.Length];
        for (int i = 0; i < gamma.Length; i++)
        {
            scale[i] = (float)(gamma[i] / Math.Sqrt((double)variance[i] + epsilon));
            shift[i] = (float)(beta[i] - (double)mean[i] * scale[i]);
        }

        return n.Add(new ChannelAffineLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(c.Shape(x)), Scale = scale, Shift = shift });
    }
}
