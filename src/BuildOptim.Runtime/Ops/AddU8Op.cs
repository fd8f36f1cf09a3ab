namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.AddU8"/>: broadcast (rank, output dims[6], strides of a[6], strides of b[6]), then the coefficients
/// multiplier a, multiplier b, offset, shift, clamp (<see cref="AddU8Coefficients"/>; since format version 3).
/// </summary>
internal sealed record AddU8Parameters(BroadcastShape Broadcast, AddU8Coefficients Coefficients) : IOpParameters
{
    public OpKind Kind => OpKind.AddU8;

    public int[] Encode()
    {
        var c = Coefficients;
        return [.. ParameterEncoding.Broadcast(Broadcast), c.MultiplierA, c.MultiplierB, c.Offset, c.Shift, c.ClampMin, c.ClampMax];
    }

    public static AddU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.AddU8, p, 25);
        var broadcast = r.Broadcast();
        int multiplierA = r.Int(), multiplierB = r.Int(), offset = r.Int(), shift = r.Int();
        var coefficients = new AddU8Coefficients(multiplierA, multiplierB, offset, shift, r.Code("clamp minimum"), r.Code("clamp maximum"));
        return coefficients.IsValid ? new(broadcast, coefficients) : throw ParameterReader.Invalid(OpKind.AddU8, $"has invalid coefficients {coefficients}");
    }
}

/// <summary>
/// A quantized Add or Sub: elementwise when it broadcasts nothing
/// (<see cref="Kernels.AddU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, in AddU8Coefficients, Span{byte})"/>, 16 codes at a time
/// in AVX2), else through the broadcasting loop. Both give the same codes.
/// </summary>
internal sealed class AddU8Op : OpExecutor
{
    private readonly AddU8Coefficients _coefficients;
    private readonly BroadcastOperands<byte> _operands;
    private readonly bool _elementwise;

    private AddU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        var p = AddU8Parameters.Decode(op.P);
        _coefficients = p.Coefficients;
        _operands = new BroadcastOperands<byte>(op, context, p.Broadcast, context.Bytes);
        _elementwise = _operands.Elementwise;
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new AddU8Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var o = _operands;
        if (_elementwise)
        {
            Kernels.AddU8Core(o.A.AsSpan(0, o.LengthA), o.B.AsSpan(0, o.LengthB), _coefficients, o.Y.AsSpan(0, o.Shape.Length), SimdLevel.Vector512);
        }
        else
        {
            Kernels.AddU8Core(o.A.AsSpan(0, o.LengthA), o.B.AsSpan(0, o.LengthB), o.Shape, _coefficients, o.Y.AsSpan(0, o.Shape.Length));
        }
    }
}
