namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.CastF32"/>: length, mode.</summary>
internal sealed record CastF32Parameters(int Length, CastMode Mode) : IOpParameters
{
    public OpKind Kind => OpKind.CastF32;

    public int[] Encode() => [Length, (int)Mode];

    public static CastF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.CastF32, p, 2);
        return new(r.Count("length"), r.Enum<CastMode>());
    }
}

/// <summary>A Cast to an integer type or to bool of a tensor held as float32 (<see cref="Kernels.CastF32(CastMode, ReadOnlySpan{float}, Span{float})"/>).</summary>
internal sealed class CastF32Op : OpExecutor
{
    private readonly CastF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private CastF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = CastF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Length);
        _y = context.Floats(op, op.Outputs[0], _p.Length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new CastF32Op(op, context);

    public override string Summary => $"{_p.Mode} {_p.Length}";

    public override void Run(OpScratch scratch) => Kernels.CastF32Core(_p.Mode, _x.AsSpan(0, _p.Length), _y.AsSpan(0, _p.Length), SimdLevel.Vector512);
}
