namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.GatherF32"/>: outer, axis size, inner, count of indices.</summary>
internal sealed record GatherF32Parameters(int Outer, int AxisSize, int Inner, int Count) : IOpParameters
{
    public OpKind Kind => OpKind.GatherF32;

    public int[] Encode() => [Outer, AxisSize, Inner, Count];

    public static GatherF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.GatherF32, p, 4);
        var result = new GatherF32Parameters(r.Count("outer size"), r.Count("axis size"), r.Count("inner size"), r.Count("index count"));
        return (long)result.Outer * result.AxisSize * result.Inner <= int.MaxValue && (long)result.Outer * result.Count * result.Inner <= int.MaxValue
            ? result
            : throw ParameterReader.Invalid(OpKind.GatherF32, "has more than 2^31 elements");
    }

    public int DataLength => Outer * AxisSize * Inner;

    public int OutputLength => Outer * Count * Inner;
}

/// <summary>Gather by runtime or constant indices (<see cref="Kernels.GatherF32"/>).</summary>
internal sealed class GatherF32Op : OpExecutor
{
    private readonly GatherF32Parameters _p;
    private readonly float[] _data;
    private readonly float[] _indices;
    private readonly float[] _y;

    private GatherF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 2, outputs: 1, data: 0);
        _p = GatherF32Parameters.Decode(op.P);
        _data = context.Floats(op, op.Inputs[0], _p.DataLength);
        _indices = context.Floats(op, op.Inputs[1], _p.Count);
        _y = context.Floats(op, op.Outputs[0], _p.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new GatherF32Op(op, context);

    public override string Summary => $"{_p.Count} of [{_p.Outer}, {_p.AxisSize}, {_p.Inner}]";

    public override void Run(OpScratch scratch)
        => Kernels.GatherF32Core(_data.AsSpan(0, _p.DataLength), _indices.AsSpan(0, _p.Count), _p.Outer, _p.AxisSize, _p.Inner, _y.AsSpan(0, _p.OutputLength));
}
