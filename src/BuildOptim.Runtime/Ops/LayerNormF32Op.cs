namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.LayerNormF32"/>: rows, cols, epsilon, hasBias. Data: scale f32 [cols], then bias f32 [cols] when hasBias.</summary>
internal sealed record LayerNormF32Parameters(int Rows, int Cols, float Epsilon, bool HasBias) : IOpParameters
{
    public OpKind Kind => OpKind.LayerNormF32;

    public int Length => Rows * Cols;

    public int[] Encode() => [Rows, Cols, ParameterEncoding.Bits(Epsilon), ParameterEncoding.Flag(HasBias)];

    public static LayerNormF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.LayerNormF32, p, 4);
        var result = new LayerNormF32Parameters(r.Count("row count"), r.Count("row length"), r.Float(), r.Flag("bias"));
        return (long)result.Rows * result.Cols <= int.MaxValue ? result : throw ParameterReader.Invalid(OpKind.LayerNormF32, "has more than 2^31 elements");
    }
}

/// <summary>LayerNormalization over rows (<see cref="Kernels.LayerNormF32"/>), its scale and bias read in place from the plan.</summary>
internal sealed class LayerNormF32Op : OpExecutor
{
    private readonly LayerNormF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _scale;
    private readonly PlanSection<float> _bias;

    private LayerNormF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        _p = LayerNormF32Parameters.Decode(op.P);
        context.Expect(op, inputs: 1, outputs: 1, data: _p.HasBias ? 2 : 1);
        _x = context.Floats(op, op.Inputs[0], _p.Length);
        _y = context.Floats(op, op.Outputs[0], _p.Length);
        _scale = context.Data<float>(op, 0, _p.Cols);
        _bias = _p.HasBias ? context.Data<float>(op, 1, _p.Cols) : default;
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new LayerNormF32Op(op, context);

    public override string Summary => $"[{_p.Rows}, {_p.Cols}]";

    public override void Run(OpScratch scratch)
    {
        var p = _p;
        Kernels.LayerNormF32Core(_x.AsSpan(0, p.Length), p.Rows, p.Cols, p.Epsilon, _scale.Span, p.HasBias ? _bias.Span : default, _y.AsSpan(0, p.Length), SimdLevel.Vector512);
    }
}
