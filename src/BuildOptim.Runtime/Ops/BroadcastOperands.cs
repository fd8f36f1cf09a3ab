namespace BuildOptim.Runtime.Ops;

/// <summary>
/// A binary op's broadcast with its two operands and its output resolved against the runner's buffers: each operand's
/// element count is its extent under the broadcast (its buffer may be larger when shared).
/// </summary>
internal sealed class BroadcastOperands<T>
{
    public BroadcastOperands(PlanOp op, OpLoadContext context, BroadcastShape shape, Func<PlanOp, int, long, T[]> buffer)
    {
        context.Expect(op, inputs: 2, outputs: 1, data: 0);
        Shape = shape;
        LengthA = Extent(shape.OutputDims, shape.StridesA);
        LengthB = Extent(shape.OutputDims, shape.StridesB);
        A = buffer(op, op.Inputs[0], LengthA);
        B = buffer(op, op.Inputs[1], LengthB);
        Y = buffer(op, op.Outputs[0], shape.Length);
    }

    public BroadcastShape Shape { get; }

    public int LengthA { get; }

    public int LengthB { get; }

    public T[] A { get; }

    public T[] B { get; }

    public T[] Y { get; }

    /// <summary>Whether the op broadcasts nothing: both operands and the output have the same elements in the same order.</summary>
    public bool Elementwise => LengthA == Shape.Length && LengthB == Shape.Length && Shape.StridesA.AsSpan().SequenceEqual(Shape.StridesB);

    /// <summary>1 + Σ (d − 1) · stride: the elements an operand spans (0 when the output is empty).</summary>
    private static int Extent(int[] dims, int[] strides)
    {
        long extent = 1;
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] == 0)
            {
                return 0;
            }

            extent += (dims[d] - 1L) * strides[d];
        }

        return extent <= int.MaxValue ? (int)extent : int.MaxValue;
    }
}
