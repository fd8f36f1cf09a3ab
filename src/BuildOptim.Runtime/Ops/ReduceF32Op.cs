namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.ReduceF32"/>: op, outer, reduced, inner.</summary>
internal sealed record ReduceF32Parameters(ReduceOp Op, int Outer, int Reduced, int Inner) : IOpParameters
{
    public OpKind Kind => OpKind.ReduceF32;

    public int InputLength => Outer * Reduced * Inner;

    public int OutputLength => Outer * Inner;

    public int[] Encode() => [(int)Op, Outer, Reduced, Inner];

    public static ReduceF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ReduceF32, p, 4);
        var result = new ReduceF32Parameters(r.Enum<ReduceOp>(), r.Count("outer size"), r.Count("reduced size"), r.Count("inner size"));
        return (long)result.Outer * result.Reduced * result.Inner <= int.MaxValue && (long)result.Outer * result.Inner <= int.MaxValue
            ? result
            : throw ParameterReader.Invalid(OpKind.ReduceF32, "has more than 2^31 elements");
    }
}

/// <summary>A reduction over the middle of [outer, reduced, inner] (<see cref="Kernels.ReduceF32"/>).</summary>
internal sealed class ReduceF32Op : OpExecutor
{
    private readonly ReduceF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private ReduceF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = ReduceF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.InputLength);
        _y = context.Floats(op, op.Outputs[0], _p.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ReduceF32Op(op, context);

    public override string Summary => $"{_p.Op} [{_p.Outer}, {_p.Reduced}, {_p.Inner}]";

    public override void Run(OpScratch scratch)
    {
        var (op, outer, reduced, inner) = _p;
        Kernels.ReduceF32Core(op, _x.AsSpan(0, _p.InputLength), outer, reduced, inner, _y.AsSpan(0, _p.OutputLength), SimdLevel.Vector512);
    }
}
