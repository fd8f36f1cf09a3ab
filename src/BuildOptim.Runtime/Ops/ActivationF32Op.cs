namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.ActivationF32"/>: length, activation, alpha, beta.</summary>
internal sealed record ActivationF32Parameters(int Length, Activation Activation, float Alpha, float Beta) : IOpParameters
{
    public OpKind Kind => OpKind.ActivationF32;

    public int[] Encode() => [Length, (int)Activation, ParameterEncoding.Bits(Alpha), ParameterEncoding.Bits(Beta)];

    public static ActivationF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ActivationF32, p, 4);
        return new(r.Count("length"), r.Enum<Activation>(), r.Float(), r.Float());
    }
}

/// <summary>An elementwise float activation (<see cref="Kernels.ActivationF32(ReadOnlySpan{float}, Activation, float, float, Span{float})"/>).</summary>
internal sealed class ActivationF32Op : OpExecutor
{
    private readonly ActivationF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private ActivationF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = ActivationF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Length);
        _y = context.Floats(op, op.Outputs[0], _p.Length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ActivationF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (length, activation, alpha, beta) = _p;
        Kernels.ActivationF32(_x.AsSpan(0, length), activation, alpha, beta, _y.AsSpan(0, length), SimdLevel.Vector512);
    }
}
