namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.MatMulF32"/>: batch, M, K, N, broadcast a (one matrix for every batch), broadcast b.</summary>
internal sealed record MatMulF32Parameters(int Batch, int M, int K, int N, bool BroadcastA, bool BroadcastB) : IOpParameters
{
    public OpKind Kind => OpKind.MatMulF32;

    public int[] Encode() => [Batch, M, K, N, ParameterEncoding.Flag(BroadcastA), ParameterEncoding.Flag(BroadcastB)];

    public static MatMulF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.MatMulF32, p, 6);
        return new(r.Count("batch"), r.Count("M"), r.Count("K"), r.Count("N"), r.Flag("broadcast a"), r.Flag("broadcast b"));
    }
}

/// <summary>A batched product of two computed matrices (<see cref="Kernels.MatMulF32(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, int, bool, bool, Span{float})"/>).</summary>
internal sealed class MatMulF32Op : OpExecutor
{
    private readonly MatMulF32Parameters _p;
    private readonly int _lengthA;
    private readonly int _lengthB;
    private readonly int _lengthY;
    private readonly float[] _a;
    private readonly float[] _b;
    private readonly float[] _y;

    private MatMulF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 2, outputs: 1, data: 0);
        _p = MatMulF32Parameters.Decode(op.P);
        var (batch, m, k, n, broadcastA, broadcastB) = _p;
        long lengthA = (broadcastA ? 1L : batch) * m * k, lengthB = (broadcastB ? 1L : batch) * k * n, lengthY = (long)batch * m * n;
        _a = context.Floats(op, op.Inputs[0], lengthA);
        _b = context.Floats(op, op.Inputs[1], lengthB);
        _y = context.Floats(op, op.Outputs[0], lengthY);
        (_lengthA, _lengthB, _lengthY) = ((int)lengthA, (int)lengthB, (int)lengthY);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new MatMulF32Op(op, context);

    /// <summary>Room to pack b's column strips, the last partial one included (an attention product's 78 keys are 4 strips and 14 columns).</summary>
    public override ScratchNeeds Scratch => new(Floats: Kernels.MatMulF32PanelLength(_p.M, _p.K));

    public override void Run(OpScratch scratch)
    {
        var (batch, m, k, n, broadcastA, broadcastB) = _p;
        Kernels.MatMulF32(_a.AsSpan(0, _lengthA), _b.AsSpan(0, _lengthB), batch, m, k, n, broadcastA, broadcastB, _y.AsSpan(0, _lengthY),
            scratch.Floats.AsSpan(0, Kernels.MatMulF32PanelLength(m, k)), SimdLevel.Vector512);
    }
}
