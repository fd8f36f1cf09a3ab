namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.LookupU8"/>: length. Data: table u8 [256].</summary>
internal sealed record LookupU8Parameters(int Length) : IOpParameters
{
    public OpKind Kind => OpKind.LookupU8;

    public int[] Encode() => [Length];

    public static LookupU8Parameters Decode(ReadOnlySpan<int> p) => new(new ParameterReader(OpKind.LookupU8, p, 1).Count("length"));
}

/// <summary>An activation on codes: <c>y = table[x]</c> (<see cref="Kernels.LookupU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>), the table computed at build time.</summary>
internal sealed class LookupU8Op : OpExecutor
{
    private readonly int _length;
    private readonly byte[] _x;
    private readonly byte[] _y;
    private readonly PlanSection<byte> _table;

    private LookupU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 1);
        _length = LookupU8Parameters.Decode(op.P).Length;
        _x = context.Bytes(op, op.Inputs[0], _length);
        _y = context.Bytes(op, op.Outputs[0], _length);
        _table = context.Data<byte>(op, 0, 256);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new LookupU8Op(op, context);

    public override void Run(OpScratch scratch) => Kernels.LookupU8(_x.AsSpan(0, _length), _table.Span, _y.AsSpan(0, _length));
}
