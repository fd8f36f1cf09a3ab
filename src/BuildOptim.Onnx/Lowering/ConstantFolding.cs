namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Evaluates a node whose inputs are all constants with its operator's folding (<see cref="OperatorRegistry"/>):
/// the shape arithmetic exporters emit (Shape → Gather → Unsqueeze → Concat → Reshape), ConstantOfShape, and
/// constant weight transforms. With the batch bound to a concrete size, every shape is a constant.
/// </summary>
internal static class ConstantFolding
{
    public static Tensor Fold(NodeFolding node, FoldOperator fold)
    {
        var result = fold(node);
        if (result.ElementCount != Shapes.Product(result.Dims))
        {
            throw new InvalidOperationException($"Folding {Shapes.Subject(node.Path, node.Node)} made [{string.Join(",", result.Dims)}] with {result.ElementCount} elements.");
        }

        return result;
    }

    /// <summary>A tensor of <paramref name="dims"/> whose elements are <paramref name="source"/>'s at <paramref name="offsets"/>.</summary>
    public static Tensor Pick(Tensor source, string name, int[] dims, int count, IEnumerable<int> offsets)
    {
        int n = 0;
        if (source.IsFloat)
        {
            var floats = new float[count];
            foreach (int offset in offsets)
            {
                floats[n++] = source.Floats![offset];
            }

            return new Tensor(name, dims, floats);
        }

        var ints = new long[count];
        foreach (int offset in offsets)
        {
            ints[n++] = source.Int64s![offset];
        }

        return new Tensor(name, dims, ints, source.Type);
    }

    public static OnnxModelException Fail(string path, Node node, string problem)
        => new(OnnxDiagnostics.UnsupportedModel, path, $"{node.OpType} '{node.DisplayName}' in '{path}' {problem}; BuildOptim cannot fold it.");
}
