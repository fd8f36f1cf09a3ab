using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Gather along one axis: a <see cref="GatherLayer"/> (an embedding lookup of runtime token ids in a constant table, a
/// pick of runtime data by constant or runtime indices), or on constants the picked tensor (the shape subgraphs
/// exporters emit pick dims with it).
/// </summary>
internal static class Gather
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var indices = n.Input(1) ?? throw n.Missing(1);
        if (n.TypeOf(1) is not (ElementType.Int64 or ElementType.Int32))
        {
            throw n.Bad($"has indices of type {n.TypeOf(1)}; Gather takes int64 or int32 indices");
        }

        var dataDims = n.DimsOf(n.Inputs[0]!);
        int axis = Shapes.Axis(n.Path, n.Node, n.Node.GetInt("axis", 0), dataDims.Length);
        int axisSize = dataDims[axis];
        if (indices is ConstantValue { Tensor.Int64s: { } constant } && constant.Any(ix => ix < -axisSize || ix >= axisSize))
        {
            throw n.Bad($"has an index {constant.First(ix => ix < -axisSize || ix >= axisSize)} out of range [{-axisSize}, {axisSize})");
        }

        int[] indexDims = n.DimsOf(indices);
        int[] dims = [.. dataDims.Take(axis), .. indexDims, .. dataDims.Skip(axis + 1)];
        Shapes.ElementCount(n.Path, n.Node, dims);
        int data = n.Runtime(0), ids = n.Runtime(1);
        return n.Add(new GatherLayer { Name = n.Name, Inputs = [data, ids], Output = n.NewOutput(dims), Axis = axis });
    }

    public static Tensor Fold(NodeFolding f)
    {
        var (data, indices) = (f.Input(0), f.Input(1));
        var node = f.Node;
        string path = f.Path;
        int axis = Shapes.Axis(path, node, node.GetInt("axis", 0), data.Dims.Length);
        if (indices.Int64s is null)
        {
            throw f.Fail("has non-integer indices");
        }

        int axisSize = data.Dims[axis];
        var picks = new int[indices.ElementCount];
        for (int i = 0; i < picks.Length; i++)
        {
            long ix = indices.Int64s[i];
            if (ix < -axisSize || ix >= axisSize)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Gather '{node.DisplayName}' in '{path}' has an index {ix} out of range [0, {axisSize}).");
            }

            picks[i] = (int)(ix < 0 ? ix + axisSize : ix);
        }

        int[] dims = [.. data.Dims.Take(axis), .. indices.Dims, .. data.Dims.Skip(axis + 1)];
        int count = Shapes.ElementCount(path, node, dims);
        f.Charge(count, !data.IsFloat);
        int outer = Shapes.Product(data.Dims.Take(axis));
        int inner = Shapes.Product(data.Dims.Skip(axis + 1));
        return ConstantFolding.Pick(data, f.OutputName, dims, count, Offsets(outer, axisSize, picks, inner));
    }

    private static IEnumerable<int> Offsets(int outer, int axisSize, int[] picks, int inner)
    {
        for (int o = 0; o < outer; o++)
        {
            foreach (int p in picks)
            {
                for (int i = 0; i < inner; i++)
                {
                    yield return (o * axisSize + p) * inner + i;
                }
            }
        }
    }
}
