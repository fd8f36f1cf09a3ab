using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Reshape, Flatten, Squeeze and Unsqueeze: the same data under a new shape, a <see cref="ReshapeLayer"/> (which the
/// plan aliases), or on constants the same values renamed and reshaped. The shape rules live in <see cref="Shapes"/>.
/// </summary>
internal static class Reshapes
{
    public static SymbolicValue LowerReshape(NodeLowering n)
    {
        int x = n.Runtime(0);
        var target = n.Constant(1, "shape").Int64s ?? throw n.Unsupported($"Reshape '{n.Name}' in '{n.Path}' has a non-integer shape.");
        return Layer(n, x, Shapes.Reshape(n.Path, n.Node, n.Context.Shape(x), target, n.Node.GetInt("allowzero", 0) != 0));
    }

    public static SymbolicValue LowerFlatten(NodeLowering n)
    {
        int x = n.Runtime(0);
        return Layer(n, x, Shapes.Flatten(n.Path, n.Node, n.Context.Shape(x)));
    }

    public static SymbolicValue LowerSqueeze(NodeLowering n)
    {
        int x = n.Runtime(0);
        var axes = n.Node.GetInts("axes") ?? (n.Input(1) is ConstantValue { Tensor.Int64s: { } a } ? a : null);
        return Layer(n, x, Shapes.Squeeze(n.Path, n.Node, n.Context.Shape(x), axes));
    }

    public static SymbolicValue LowerUnsqueeze(NodeLowering n)
    {
        int x = n.Runtime(0);
        var axes = n.Node.GetInts("axes") ?? n.Constant(1, "axes").Int64s;
        return Layer(n, x, Shapes.Unsqueeze(n.Path, n.Node, n.Context.Shape(x), axes));
    }

    public static Tensor FoldReshape(NodeFolding f)
    {
        var x = f.Input(0);
        var target = f.Input(1).Int64s ?? throw f.Fail("has a non-integer shape");
        return Reshaped(x, f.OutputName, Shapes.Reshape(f.Path, f.Node, x.Dims, target, f.Node.GetInt("allowzero", 0) != 0));
    }

    public static Tensor FoldFlatten(NodeFolding f)
    {
        var x = f.Input(0);
        return Reshaped(x, f.OutputName, Shapes.Flatten(f.Path, f.Node, x.Dims));
    }

    public static Tensor FoldSqueeze(NodeFolding f)
    {
        var x = f.Input(0);
        return Reshaped(x, f.OutputName, Shapes.Squeeze(f.Path, f.Node, x.Dims, Axes(f)));
    }

    public static Tensor FoldUnsqueeze(NodeFolding f)
    {
        var x = f.Input(0);
        return Reshaped(x, f.OutputName, Shapes.Unsqueeze(f.Path, f.Node, x.Dims, Axes(f)));
    }

    private static SymbolicValue Layer(NodeLowering n, int x, int[] shape)
        => n.Add(new ReshapeLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(shape) });

    private static Tensor Reshaped(Tensor t, string name, int[] dims) => t.IsFloat ? new Tensor(name, dims, t.Floats!) : new Tensor(name, dims, t.Int64s!, t.Type);

    /// <summary>The <c>axes</c> attribute, or (opset 13 on) the integer tensor in input 1.</summary>
    private static long[]? Axes(NodeFolding f) => f.Node.GetInts("axes") ?? f.Optional(1)?.Int64s;
}
