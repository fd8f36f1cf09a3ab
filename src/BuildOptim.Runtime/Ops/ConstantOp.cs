namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.Constant"/>: length. Data: the values, f32 or u8 by the output buffer's kind.</summary>
internal sealed record ConstantParameters(int Length) : IOpParameters
{
    public OpKind Kind => OpKind.Constant;

    public int[] Encode() => [Length];

    public static ConstantParameters Decode(ReadOnlySpan<int> p) => new(new ParameterReader(OpKind.Constant, p, 1).Count("length"));
}

/// <summary>A constant operand: written into its buffer once, when the runner is created (the buffer is never reused); a call does nothing.</summary>
internal sealed class ConstantOp : OpExecutor
{
    private ConstantOp(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 0, outputs: 1, data: 1);
        int length = ConstantParameters.Decode(op.P).Length;
        int y = op.Outputs[0];
        if (context.IsFloat(y))
        {
            context.Data<float>(op, 0, length).Span.CopyTo(context.Floats(op, y, length));
        }
        else
        {
            context.Data<byte>(op, 0, length).Span.CopyTo(context.Bytes(op, y, length));
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ConstantOp(op, context);

    public override void Run(OpScratch scratch)
    {
    }
}
