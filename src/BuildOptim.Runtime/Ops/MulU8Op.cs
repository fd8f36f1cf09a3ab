namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.MulU8"/>: broadcast (rank, output dims[6], strides of a[6], strides of b[6]), zero point a, zero point
/// b, multiplier, shift, output zero point, clamp.
/// </summary>
internal sealed record MulU8Parameters(BroadcastShape Broadcast, int ZeroPointA, int ZeroPointB, int Multiplier, int Shift, int OutputZeroPoint, byte ClampMin, byte ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.MulU8;

    public int[] Encode() => [.. ParameterEncoding.Broadcast(Broadcast), ZeroPointA, ZeroPointB, Multiplier, Shift, OutputZeroPoint, ClampMin, ClampMax];

    public static MulU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.MulU8, p, 26);
        var broadcast = r.Broadcast();
        int zeroPointA = r.Code("zero point of a"), zeroPointB = r.Code("zero point of b"), multiplier = r.Int(), shift = r.Shift(), zeroPoint = r.Code("output zero point");
        var (min, max) = r.CodeClamp();
        return new(broadcast, zeroPointA, zeroPointB, multiplier, shift, zeroPoint, min, max);
    }
}

/// <summary>A quantized Mul with numpy broadcasting (<see cref="Kernels.MulU8"/>).</summary>
internal sealed class MulU8Op : OpExecutor
{
    private readonly MulU8Parameters _p;
    private readonly BroadcastOperands<byte> _operands;

    private MulU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        _p = MulU8Parameters.Decode(op.P);
        _operands = new BroadcastOperands<byte>(op, context, _p.Broadcast, context.Bytes);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new MulU8Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (_, zeroPointA, zeroPointB, multiplier, shift, zeroPoint, min, max) = _p;
        var o = _operands;
        Kernels.MulU8Core(o.A.AsSpan(0, o.LengthA), zeroPointA, o.B.AsSpan(0, o.LengthB), zeroPointB, o.Shape, multiplier, shift, zeroPoint, min, max, o.Y.AsSpan(0, o.Shape.Length), SimdLevel.Vector512);
    }
}
