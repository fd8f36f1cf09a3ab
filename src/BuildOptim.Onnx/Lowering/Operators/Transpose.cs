using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>Transpose by <c>perm</c> (default: the axes reversed): a <see cref="TransposeLayer"/>, or on constants the permuted tensor.</summary>
internal static class Transpose
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int x = n.Runtime(0);
        var dims = n.Context.Shape(x);
        var perm = Shapes.Permutation(n.Path, n.Node, dims.Length);
        return n.Add(new TransposeLayer { Name = n.Name, Inputs = [x], Output = n.NewOutput(perm.Select(p => dims[p]).ToArray()), Perm = perm });
    }

    public static Tensor Fold(NodeFolding f)
    {
        var x = f.Input(0);
        f.Charge(x.ElementCount, !x.IsFloat);
        return Permuted(x, f.OutputName, Shapes.Permutation(f.Path, f.Node, x.Dims.Length));
    }

    /// <summary>Transposes a constant; <paramref name="perm"/> is checked (<see cref="Shapes.Permutation"/>).</summary>
    private static Tensor Permuted(Tensor x, string name, int[] perm)
    {
        var dims = perm.Select(p => x.Dims[p]).ToArray();
        var strides = Shapes.Strides(x.Dims);
        return ConstantFolding.Pick(x, name, dims, x.ElementCount, Shapes.StridedOffsets(0, dims, perm.Select(p => strides[p]).ToArray()));
    }
}
