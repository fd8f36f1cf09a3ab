namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.LrnF32"/>: batch, channels, spatial size, size, alpha, beta, bias.</summary>
internal sealed record LrnF32Parameters(int Batch, int Channels, int Spatial, int Size, float Alpha, float Beta, float Bias) : IOpParameters
{
    public OpKind Kind => OpKind.LrnF32;

    public int[] Encode() => [Batch, Channels, Spatial, Size, ParameterEncoding.Bits(Alpha), ParameterEncoding.Bits(Beta), ParameterEncoding.Bits(Bias)];

    public static LrnF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.LrnF32, p, 7);
        return new(r.Count("batch"), r.Count("channel count"), r.Count("spatial size"), r.Int(), r.Float(), r.Float(), r.Float());
    }

    public long SampleLength => (long)Channels * Spatial;
}

/// <summary>Local response normalization across channels, sample by sample (<see cref="Kernels.LrnF32"/>).</summary>
internal sealed class LrnF32Op : OpExecutor
{
    private readonly LrnF32Parameters _p;
    private readonly int _length;
    private readonly float[] _x;
    private readonly float[] _y;

    private LrnF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = LrnF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Batch * _p.SampleLength);
        _y = context.Floats(op, op.Outputs[0], _p.Batch * _p.SampleLength);
        _length = (int)_p.SampleLength;
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new LrnF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (batch, channels, spatial, size, alpha, beta, bias) = _p;
        int length = _length;
        for (int b = 0; b < batch; b++)
        {
            Kernels.LrnF32(_x.AsSpan(b * length, length), channels, spatial, size, alpha, beta, bias, _y.AsSpan(b * length, length));
        }
    }
}
