using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// InstanceNormalization: each (n, c) plane of the spatial axes normalized, <c>y = (x − mean) / √(var + ε) · scale[c] + B[c]</c>.
/// Lowered to a <see cref="LayerNormLayer"/> over the axes from 2 (unit scale, no bias) followed by a
/// <see cref="ChannelAffineLayer"/> with the constant scale and B; <c>epsilon</c> defaults to 1e-5.
/// </summary>
internal static class InstanceNormalization
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        int x = n.Runtime(0);
        var shape = c.Shape(x);
        var scale = n.Constant(1, "scale");
        var bias = n.Constant(2, "B");
        if (shape.Length < 3 || !scale.IsFloat || !bias.IsFloat || scale.ElementCount != shape[1] || bias.ElementCount != shape[1])
        {
            throw n.Bad($"normalizes [{string.Join(",", shape)}] with scale and B of {scale.ElementCount} and {bias.ElementCount} values; it needs an input of rank 3 or more and one float per channel");
        }

        var normalized = shape[2..];
        long rowLength = Shapes.ElementCount(n.Path, node, normalized);
        c.Charge(node, rowLength + (2L * shape[1]));
        var ones = new float[rowLength];
        Array.Fill(ones, 1f);
        int normalizedValue = c.AddLayer(new LayerNormLayer
        {
            Name = n.Name + "#normalize",
            Inputs = [x],
            Output = c.NewValue(node.Outputs[0] + "#normalized", shape),
            Axis = 2,
            Epsilon = node.GetFloat("epsilon", 1e-5f),
            Scale = ones,
        });
        return n.Add(new ChannelAffineLayer
        {
            Name = n.Name,
            Inputs = [normalizedValue],
            Output = n.NewOutput(shape),
            Scale = (float[])scale.Floats!.Clone(),
            Shift = (float[])bias.Floats!.Clone(),
        });
    }
}
