namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.MatMulBroadcastF32"/>: m, k, n, batch broadcast (rank, batch dims[6], strides of a[6], strides of b[6], in matrices).</summary>
internal sealed record MatMulBroadcastF32Parameters(int M, int K, int N, BroadcastShape Batch) : IOpParameters
{
    public OpKind Kind => OpKind.MatMulBroadcastF32;

    public int[] Encode() => [M, K, N, .. ParameterEncoding.Broadcast(Batch)];

    public static MatMulBroadcastF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.MatMulBroadcastF32, p, 3 + 1 + (3 * BroadcastShape.MaxRank));
        var result = new MatMulBroadcastF32Parameters(r.Count("M"), r.Count("K"), r.Count("N"), r.Broadcast());
        return result.LengthA <= int.MaxValue && result.LengthB <= int.MaxValue && result.LengthY <= int.MaxValue
            ? result
            : throw ParameterReader.Invalid(OpKind.MatMulBroadcastF32, "has an operand of more than 2^31 elements");
    }

    public long LengthA => Kernels.MatrixCount(Batch.OutputDims, Batch.StridesA) * M * K;

    public long LengthB => Kernels.MatrixCount(Batch.OutputDims, Batch.StridesB) * K * N;

    public long LengthY => (long)Batch.Length * M * N;
}

/// <summary>A product of two computed tensors broadcasting any batch dims (<see cref="Kernels.MatMulBroadcastF32(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, BroadcastShape, Span{float})"/>).</summary>
internal sealed class MatMulBroadcastF32Op : OpExecutor
{
    private readonly MatMulBroadcastF32Parameters _p;
    private readonly (int A, int B, int Y) _lengths;
    private readonly float[] _a;
    private readonly float[] _b;
    private readonly float[] _y;

    private MatMulBroadcastF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 2, outputs: 1, data: 0);
        _p = MatMulBroadcastF32Parameters.Decode(op.P);
        _lengths = ((int)_p.LengthA, (int)_p.LengthB, (int)_p.LengthY);
        _a = context.Floats(op, op.Inputs[0], _lengths.A);
        _b = context.Floats(op, op.Inputs[1], _lengths.B);
        _y = context.Floats(op, op.Outputs[0], _lengths.Y);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new MatMulBroadcastF32Op(op, context);

    public override string Summary => $"[{string.Join(",", _p.Batch.OutputDims)}] x [{_p.M}, {_p.K}] x [{_p.K}, {_p.N}]";

    public override void Run(OpScratch scratch)
        => Kernels.MatMulBroadcastF32Core(_a.AsSpan(0, _lengths.A), _b.AsSpan(0, _lengths.B), _p.M, _p.K, _p.N, _p.Batch, _y.AsSpan(0, _lengths.Y), SimdLevel.Vector512);
}
