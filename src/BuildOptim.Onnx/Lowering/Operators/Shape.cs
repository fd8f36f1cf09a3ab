namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// Shape: the dims of its input (sliced by <c>start</c>/<c>end</c> from opset 15) as an int64 constant, whether the
/// input is computed or constant. With the batch bound, every shape is known, so the subgraphs exporters build
/// from it (Shape → Gather → Unsqueeze → Concat → Reshape) fold away.
/// </summary>
internal static class Shape
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        int[] dims = n.DimsOf(n.Inputs[0]!);
        var node = n.Node;
        long rank = dims.Length;
        long start = node.GetInt("start", 0);
        long end = node.GetInt("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        long[] slice = dims.Select(d => (long)d).ToArray()[(int)start..(int)Math.Max(start, end)];
        return new ConstantValue(new Tensor(node.Outputs[0], [slice.Length], slice));
    }
}
