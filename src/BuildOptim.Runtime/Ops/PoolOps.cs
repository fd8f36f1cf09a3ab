namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.PoolF32"/>: geometry, average (0 max, 1 average), count include pad.</summary>
internal sealed record PoolF32Parameters(PoolGeometry Geometry, bool Average, bool CountIncludePad) : IOpParameters
{
    public OpKind Kind => OpKind.PoolF32;

    public int[] Encode() => [.. ParameterEncoding.Pool(Geometry), ParameterEncoding.Flag(Average), ParameterEncoding.Flag(CountIncludePad)];

    public static PoolF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.PoolF32, p, 17);
        return new(r.Pool(), r.Flag("average"), r.Flag("count include pad"));
    }
}

/// <summary><see cref="OpKind.PoolU8"/>: geometry, average, count include pad, zero point (what an included padded tap adds).</summary>
internal sealed record PoolU8Parameters(PoolGeometry Geometry, bool Average, bool CountIncludePad, int ZeroPoint) : IOpParameters
{
    public OpKind Kind => OpKind.PoolU8;

    public int[] Encode() => [.. ParameterEncoding.Pool(Geometry), ParameterEncoding.Flag(Average), ParameterEncoding.Flag(CountIncludePad), ZeroPoint];

    public static PoolU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.PoolU8, p, 18);
        return new(r.Pool(), r.Flag("average"), r.Flag("count include pad"), r.Code("zero point"));
    }
}

/// <summary>MaxPool or AveragePool on floats (<see cref="Kernels.MaxPoolF32(ReadOnlySpan{float}, in PoolGeometry, Span{float})"/>, <see cref="Kernels.AveragePoolF32(ReadOnlySpan{float}, in PoolGeometry, bool, Span{float})"/>).</summary>
internal sealed class PoolF32Op : OpExecutor
{
    private readonly PoolF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private PoolF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = PoolF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Geometry.InputLength);
        _y = context.Floats(op, op.Outputs[0], _p.Geometry.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new PoolF32Op(op, context);

    public override string Summary => OpSummary.Pool(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (g, average, countIncludePad) = _p;
        if (!average)
        {
            Kernels.MaxPoolF32(_x.AsSpan(0, g.InputLength), g, _y.AsSpan(0, g.OutputLength));
        }
        else
        {
            Kernels.AveragePoolF32(_x.AsSpan(0, g.InputLength), g, countIncludePad, _y.AsSpan(0, g.OutputLength));
        }
    }
}

/// <summary>
/// MaxPool on codes (exact: max commutes with a monotonic map) or AveragePool with integer rounding
/// (<see cref="Kernels.MaxPoolU8(ReadOnlySpan{byte}, in PoolGeometry, Span{byte})"/>, <see cref="Kernels.AveragePoolU8(ReadOnlySpan{byte}, in PoolGeometry, bool, byte, Span{byte})"/>).
/// A 2 × 2 MaxPool may run inside the convolution before it instead (<see cref="ConvMaxPoolFusion"/>).
/// </summary>
internal sealed class PoolU8Op : OpExecutor
{
    private readonly PoolU8Parameters _p;
    private readonly byte[] _x;
    private readonly byte[] _y;

    private PoolU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = PoolU8Parameters.Decode(op.P);
        _x = context.Bytes(op, op.Inputs[0], _p.Geometry.InputLength);
        _y = context.Bytes(op, op.Outputs[0], _p.Geometry.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new PoolU8Op(op, context);

    public PoolU8Parameters Parameters => _p;

    /// <summary>The output buffer (a fused convolution writes it).</summary>
    public byte[] Output => _y;

    public override string Summary => OpSummary.Pool(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (g, average, countIncludePad, zeroPoint) = _p;
        if (!average)
        {
            Kernels.MaxPoolU8(_x.AsSpan(0, g.InputLength), g, _y.AsSpan(0, g.OutputLength));
        }
        else
        {
            Kernels.AveragePoolU8(_x.AsSpan(0, g.InputLength), g, countIncludePad, (byte)zeroPoint, _y.AsSpan(0, g.OutputLength));
        }
    }
}
