namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.SoftmaxF32"/>: outer, axis size, inner, log (LogSoftmax).</summary>
internal sealed record SoftmaxF32Parameters(int Outer, int AxisSize, int Inner, bool Log) : IOpParameters
{
    public OpKind Kind => OpKind.SoftmaxF32;

    public int[] Encode() => [Outer, AxisSize, Inner, ParameterEncoding.Flag(Log)];

    public static SoftmaxF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.SoftmaxF32, p, 4);
        var result = new SoftmaxF32Parameters(r.Count("outer size"), r.Count("axis size"), r.Count("inner size"), r.Flag("log"));
        return (long)result.Outer * result.AxisSize * result.Inner <= int.MaxValue ? result : throw ParameterReader.Invalid(OpKind.SoftmaxF32, "has more than 2^31 elements");
    }

    public int Length => Outer * AxisSize * Inner;
}

/// <summary>
/// Softmax or LogSoftmax along one axis: rows of the last axis (<see cref="Kernels.SoftmaxF32(ReadOnlySpan{float}, int, bool, Span{float})"/>), else strided
/// (<see cref="Kernels.SoftmaxAxisF32"/>).
/// </summary>
internal sealed class SoftmaxF32Op : OpExecutor
{
    private readonly SoftmaxF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private SoftmaxF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = SoftmaxF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Length);
        _y = context.Floats(op, op.Outputs[0], _p.Length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new SoftmaxF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (outer, axisSize, inner, log) = _p;
        int length = _p.Length;
        if (inner == 1)
        {
            Kernels.SoftmaxF32(_x.AsSpan(0, length), axisSize, log, _y.AsSpan(0, length));
        }
        else
        {
            Kernels.SoftmaxAxisF32(_x.AsSpan(0, length), outer, axisSize, inner, log, _y.AsSpan(0, length));
        }
    }
}
