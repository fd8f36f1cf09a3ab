namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.BinaryF32"/>: op, broadcast (rank, output dims[6], strides of a[6], strides of b[6]).</summary>
internal sealed record BinaryF32Parameters(BinaryOp Op, BroadcastShape Broadcast) : IOpParameters
{
    public OpKind Kind => OpKind.BinaryF32;

    public int[] Encode() => [(int)Op, .. ParameterEncoding.Broadcast(Broadcast)];

    public static BinaryF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.BinaryF32, p, 20);
        return new(r.Enum<BinaryOp>(), r.Broadcast());
    }
}

/// <summary>Add, Sub, Mul, Div or PRelu on floats with numpy broadcasting (<see cref="Kernels.BinaryF32(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/>).</summary>
internal sealed class BinaryF32Op : OpExecutor
{
    private readonly BinaryOp _op;
    private readonly BroadcastOperands<float> _operands;

    private BinaryF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        var p = BinaryF32Parameters.Decode(op.P);
        _op = p.Op;
        _operands = new BroadcastOperands<float>(op, context, p.Broadcast, context.Floats);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new BinaryF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var o = _operands;
        Kernels.BinaryF32Core(_op, o.A.AsSpan(0, o.LengthA), o.B.AsSpan(0, o.LengthB), o.Shape, o.Y.AsSpan(0, o.Shape.Length), SimdLevel.Vector512);
    }
}
