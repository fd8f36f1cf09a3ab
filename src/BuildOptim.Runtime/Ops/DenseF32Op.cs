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

/// <summary>
/// The fp32 Dense layer, per row of its input: <c>y = clamp(bias + W·x)</c> (<see cref="Kernels.GemvF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Activation, Span{float})"/>).
/// With <see cref="GemmRows"/> rows or more (a transformer's tokens) it is one matrix product instead,
/// <c>Yᵀ = clamp(bias + W·Xᵀ)</c> (<see cref="Kernels.GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, SimdLevel)"/>),
/// which streams the weights once per call instead of once per row.
/// </summary>
internal sealed class DenseF32Op : OpExecutor
{
    /// <summary>From this many rows on, the layer runs as one matrix product.</summary>
    internal const int GemmRows = 4;

    private readonly float[]? _xT;
    private readonly float[]? _yT;

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
        if (_p.Rows >= GemmRows)
        {
            _xT = new float[(long)_p.K * _p.Rows];
            _yT = new float[(long)_p.N * _p.Rows];
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new DenseF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (rows, k, n, min, max) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        if (_xT is not null)
        {
            // Xᵀ [k, rows] → Yᵀ = W [n, k] · Xᵀ, started from each output's bias, then back to y [rows, n].
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < k; c++)
                {
                    _xT[(c * rows) + r] = _x[(r * k) + c];
                }
            }

            Kernels.GemmF32(weights, _xT, bias, n, k, rows, min, max, _yT, SimdLevel.Vector512);
            for (int c = 0; c < n; c++)
            {
                for (int r = 0; r < rows; r++)
                {
                    _y[(r * n) + c] = _yT![(c * rows) + r];
                }
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            var y = _y.AsSpan(r * n, n);
            Kernels.GemvF32(_x.AsSpan(r * k, k), weights, bias, Activation.None, y);
            Kernels.ClampF32(y, min, max, y);
        }
    }
}
