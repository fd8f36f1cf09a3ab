namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.BinaryMathF32"/>: op, broadcast (rank, output dims[6], strides of a[6], strides of b[6]).</summary>
internal sealed record BinaryMathF32Parameters(BinaryMathOp Op, BroadcastShape Broadcast) : IOpParameters
{
    public OpKind Kind => OpKind.BinaryMathF32;

    public int[] Encode() => [(int)Op, .. ParameterEncoding.Broadcast(Broadcast)];

    public static BinaryMathF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.BinaryMathF32, p, 20);
        return new(r.Enum<BinaryMathOp>(), r.Broadcast());
    }
}

/// <summary>A function of two float tensors with numpy broadcasting (<see cref="Kernels.BinaryMathF32"/>).</summary>
internal sealed class BinaryMathF32Op : OpExecutor
{
    private readonly BinaryMathOp _op;
    private readonly BroadcastOperands<float> _operands;

    private BinaryMathF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        var p = BinaryMathF32Parameters.Decode(op.P);
        _op = p.Op;
        _operands = new BroadcastOperands<float>(op, context, p.Broadcast, context.Floats);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new BinaryMathF32Op(op, context);

    public override string Summary => _op.ToString();

    public override void Run(OpScratch scratch)
    {
        var o = _operands;
        Kernels.BinaryMathF32Core(_op, o.A.AsSpan(0, o.LengthA), o.B.AsSpan(0, o.LengthB), o.Shape, o.Y.AsSpan(0, o.Shape.Length), SimdLevel.Vector512);
    }
}
