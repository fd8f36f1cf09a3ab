using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>LRN (local response normalization across channels): an <see cref="LrnLayer"/>.</summary>
internal static class Lrn
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var node = n.Node;
        var shape = n.Context.Shape(x);
        long size = node.GetInt("size", 1);
        if (size < 1 || size > int.MaxValue || shape.Length < 2)
        {
            throw n.Bad($"has size {size} over [{string.Join(",", shape)}]; it needs a positive size and an [N, C, ...] input");
        }

        return n.Add(new LrnLayer
        {
            Name = n.Name, Inputs = [x], Output = n.NewOutput(shape),
            Size = (int)size, Alpha = node.GetFloat("alpha", 1e-4f), Beta = node.GetFloat("beta", 0.75f), Bias = node.GetFloat("bias", 1f),
        });
    }
}
