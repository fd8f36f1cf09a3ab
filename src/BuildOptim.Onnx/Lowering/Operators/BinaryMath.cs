using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>The <see cref="BinaryMathLayer"/> of two values with numpy broadcasting, shared by the operators that lower to one.</summary>
internal static class BinaryMath
{
    /// <summary>
    /// <c>kind(a, b)</c> into <paramref name="output"/>, or into the node's output when it is null; BOPT1002 when the shapes
    /// do not broadcast.
    /// </summary>
    public static int Layer(NodeLowering n, BinaryMathKind kind, int a, int b, int? output = null)
    {
        var c = n.Context;
        if (output is null)
        {
            var shape = Shapes.Broadcast(c.Shape(a), c.Shape(b))
                ?? throw n.Bad($"cannot broadcast [{string.Join(",", c.Shape(a))}] with [{string.Join(",", c.Shape(b))}]");
            output = n.NewOutput(shape);
        }

        return c.AddLayer(new BinaryMathLayer { Name = n.Name, Inputs = [a, b], Output = output.Value, Kind = kind });
    }
}
