namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.DenseF32"/>: rows, K, N, clamp (floats). Data: weights f32 [N, K], bias f32.</summary>
internal sealed record DenseF32Parameters(int Rows, int K, int N, float ClampMin, float ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.DenseF32;

    public int[] Encode() => [Rows, K, N, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax)];

    public static DenseF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.DenseF32, p, 5);
        return new(r.Count("row count"), r.Count("K"), r.Count("N"), r.Float(), r.Float());
    }
}

/// <summary>The fp32 Dense layer, per row of its input: <c>y = clamp(bias + W·x)</c> (<see cref="Kernels.GemvF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Activation, Span{float})"/>).</summary>
internal sealed class DenseF32Op : OpExecutor
{
    private readonly DenseF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _weights;
    private readonly PlanSection<float> _bias;

    private DenseF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = DenseF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], (long)_p.Rows * _p.K);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Rows * _p.N);
        _weights = context.Data<float>(op, 0, (long)_p.N * _p.K);
        _bias = context.Data<float>(op, 1, _p.N);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new DenseF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (rows, k, n, min, max) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        for (int r = 0; r < rows; r++)
        {
            var y = _y.AsSpan(r * n, n);
            Kernels.GemvF32(_x.AsSpan(r * k, k), weights, bias, Activation.None, y);
            Kernels.ClampF32(y, min, max, y);
        }
    }
}
