namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.CompareF32"/>: op, broadcast (rank, output dims[6], strides of a[6], strides of b[6]).</summary>
internal sealed record CompareF32Parameters(CompareOp Op, BroadcastShape Broadcast) : IOpParameters
{
    public OpKind Kind => OpKind.CompareF32;

    public int[] Encode() => [(int)Op, .. ParameterEncoding.Broadcast(Broadcast)];

    public static CompareF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.CompareF32, p, 20);
        return new(r.Enum<CompareOp>(), r.Broadcast());
    }
}

/// <summary>A comparison or bool connective with numpy broadcasting, writing 1 or 0 (<see cref="Kernels.CompareF32(CompareOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/>).</summary>
internal sealed class CompareF32Op : OpExecutor
{
    private readonly CompareOp _op;
    private readonly BroadcastOperands<float> _operands;

    private CompareF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        var p = CompareF32Parameters.Decode(op.P);
        _op = p.Op;
        _operands = new BroadcastOperands<float>(op, context, p.Broadcast, context.Floats);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new CompareF32Op(op, context);

    public override string Summary => $"{_op} {_operands.Shape.Length}";

    public override void Run(OpScratch scratch)
    {
        var o = _operands;
        Kernels.CompareF32Core(_op, o.A.AsSpan(0, o.LengthA), o.B.AsSpan(0, o.LengthB), o.Shape, o.Y.AsSpan(0, o.Shape.Length), SimdLevel.Vector512);
    }
}
