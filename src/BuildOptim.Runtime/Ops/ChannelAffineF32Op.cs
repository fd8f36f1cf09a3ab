namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.ChannelAffineF32"/>: batch, channels, spatial size. Data: scale f32, shift f32 (one per channel).</summary>
internal sealed record ChannelAffineF32Parameters(int Batch, int Channels, int Spatial) : IOpParameters
{
    public OpKind Kind => OpKind.ChannelAffineF32;

    public int[] Encode() => [Batch, Channels, Spatial];

    public static ChannelAffineF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ChannelAffineF32, p, 3);
        return new(r.Count("batch"), r.Count("channel count"), r.Count("spatial size"));
    }

    public long SampleLength => (long)Channels * Spatial;
}

/// <summary>An unfolded BatchNormalization, <c>y = x · scale[c] + shift[c]</c>, sample by sample (<see cref="Kernels.ChannelAffineF32(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>).</summary>
internal sealed class ChannelAffineF32Op : OpExecutor
{
    private readonly ChannelAffineF32Parameters _p;
    private readonly int _length;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _scale;
    private readonly PlanSection<float> _shift;

    private ChannelAffineF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = ChannelAffineF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Batch * _p.SampleLength);
        _y = context.Floats(op, op.Outputs[0], _p.Batch * _p.SampleLength);
        _scale = context.Data<float>(op, 0, _p.Channels);
        _shift = context.Data<float>(op, 1, _p.Channels);
        _length = (int)_p.SampleLength;
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ChannelAffineF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (batch, channels, spatial) = _p;
        int length = _length;
        var scale = _scale.Span;
        var shift = _shift.Span;
        for (int b = 0; b < batch; b++)
        {
            Kernels.ChannelAffineF32(_x.AsSpan(b * length, length), channels, spatial, scale, shift, _y.AsSpan(b * length, length));
        }
    }
}
