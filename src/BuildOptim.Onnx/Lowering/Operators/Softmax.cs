using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Softmax and LogSoftmax: a <see cref="SoftmaxLayer"/> over [outer, axis, inner]. Before opset 13 the axis is
/// the first of the flattened trailing dims (default 1); from 13 on, one axis (default −1).
/// </summary>
internal static class Softmax
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var dims = n.Context.Shape(x);
        int rank = dims.Length;
        bool legacy = n.Context.Graph.OpsetVersion < 13;
        int axis = Shapes.Axis(n.Path, n.Node, n.Node.GetInt("axis", legacy ? 1 : -1), rank);
        int outer = Shapes.Product(dims.Take(axis));
        int axisSize = legacy ? Shapes.Product(dims.Skip(axis)) : dims[axis];
        int inner = legacy ? 1 : Shapes.Product(dims.Skip(axis + 1));
        return n.Add(new SoftmaxLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(dims), Outer = outer, AxisSize = axisSize, Inner = inner, Log = n.Node.OpType == "LogSoftmax" });
    }
}
