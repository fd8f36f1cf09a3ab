namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.GlobalPoolF32"/>: channels, spatial size, average (0 max, 1 average).</summary>
internal sealed record GlobalPoolF32Parameters(int Channels, int Spatial, bool Average) : IOpParameters
{
    public OpKind Kind => OpKind.GlobalPoolF32;

    public int[] Encode() => [Channels, Spatial, ParameterEncoding.Flag(Average)];

    public static GlobalPoolF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.GlobalPoolF32, p, 3);
        return new(r.Count("channel count"), r.Count("spatial size"), r.Flag("average"));
    }
}

/// <summary><see cref="OpKind.GlobalPoolU8"/>: channels, spatial size, average (0 max, 1 average).</summary>
internal sealed record GlobalPoolU8Parameters(int Channels, int Spatial, bool Average) : IOpParameters
{
    public OpKind Kind => OpKind.GlobalPoolU8;

    public int[] Encode() => [Channels, Spatial, ParameterEncoding.Flag(Average)];

    public static GlobalPoolU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.GlobalPoolU8, p, 3);
        return new(r.Count("channel count"), r.Count("spatial size"), r.Flag("average"));
    }
}

/// <summary>GlobalMaxPool or GlobalAveragePool on floats: one value per channel.</summary>
internal sealed class GlobalPoolF32Op : OpExecutor
{
    private readonly GlobalPoolF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private GlobalPoolF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = GlobalPoolF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], (long)_p.Channels * _p.Spatial);
        _y = context.Floats(op, op.Outputs[0], _p.Channels);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new GlobalPoolF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (channels, spatial, average) = _p;
        if (!average)
        {
            Kernels.GlobalMaxPoolF32(_x.AsSpan(0, channels * spatial), channels, spatial, _y.AsSpan(0, channels));
        }
        else
        {
            Kernels.GlobalAveragePoolF32(_x.AsSpan(0, channels * spatial), channels, spatial, _y.AsSpan(0, channels));
        }
    }
}

/// <summary>GlobalMaxPool (a one-row MaxPool over each channel) or GlobalAveragePool on codes.</summary>
internal sealed class GlobalPoolU8Op : OpExecutor
{
    private readonly GlobalPoolU8Parameters _p;
    private readonly PoolGeometry _rows;
    private readonly byte[] _x;
    private readonly byte[] _y;

    private GlobalPoolU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = GlobalPoolU8Parameters.Decode(op.P);
        _rows = new PoolGeometry(_p.Channels, 1, _p.Spatial, 1, _p.Spatial, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1);
        _x = context.Bytes(op, op.Inputs[0], (long)_p.Channels * _p.Spatial);
        _y = context.Bytes(op, op.Outputs[0], _p.Channels);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new GlobalPoolU8Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (channels, spatial, average) = _p;
        if (!average)
        {
            Kernels.MaxPoolU8(_x.AsSpan(0, channels * spatial), _rows, _y.AsSpan(0, channels));
        }
        else
        {
            Kernels.GlobalAveragePoolU8(_x.AsSpan(0, channels * spatial), channels, spatial, _y.AsSpan(0, channels));
        }
    }
}
