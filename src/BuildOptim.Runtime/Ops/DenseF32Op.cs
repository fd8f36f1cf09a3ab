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
/// which streams the weights once per call instead of once per row. The rows are padded with zero rows to a multiple of
/// <see cref="GemmRowBlock"/>, the width of the product's widest column strip (a row of X is a column of Xᵀ): 9 or 78
/// tokens then run as 16 or 80 at full vector width, where the last few columns would otherwise take the scalar loop
/// once per weight. Every output is the same sum in the same order either way; the padding's are dropped.
/// </summary>
internal sealed class DenseF32Op : OpExecutor
{
    /// <summary>From this many rows on, the layer runs as one matrix product.</summary>
    internal const int GemmRows = 4;

    /// <summary>The rows of the matrix product are padded to a multiple of this (<see cref="Kernels.GemmF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, float, float, Span{float}, SimdLevel)"/>'s 16-column strips).</summary>
    internal const int GemmRowBlock = 16;

    private readonly int _paddedRows;

    /// <summary>Xᵀ and Yᵀ in the runner's shared float scratch (not per op: a runner prepares one set of ops per sequence length).</summary>
    private readonly bool _gemm;

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
            _paddedRows = (_p.Rows + GemmRowBlock - 1) / GemmRowBlock * GemmRowBlock;
            _gemm = ((long)_p.K + _p.N) * _paddedRows <= int.MaxValue
                ? true
                : throw ParameterReader.Invalid(OpKind.DenseF32, "needs a transposed copy of more than 2^31 floats");
        }
    }

    public override ScratchNeeds Scratch => _gemm ? new(Floats: (_p.K + _p.N) * _paddedRows) : default;

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new DenseF32Op(op, context);

    public override void Run(OpScratch scratch)
    {
        var (rows, k, n, min, max) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        if (_gemm)
        {
            // Xᵀ [k, padded] (its columns past rows zeroed) → Yᵀ = W [n, k] · Xᵀ, started from each output's bias, then
            // the real rows back to y [rows, n].
            int padded = _paddedRows;
            var xT = scratch.Floats.AsSpan(0, k * padded);
            var yT = scratch.Floats.AsSpan(k * padded, n * padded);
            for (int c = 0; c < k; c++)
            {
                var column = xT.Slice(c * padded, padded);
                for (int r = 0; r < rows; r++)
                {
                    column[r] = _x[(r * k) + c];
                }

                column[rows..].Clear();
            }

            Kernels.GemmF32(weights, xT, bias, n, k, padded, min, max, yT, SimdLevel.Vector512);
            for (int c = 0; c < n; c++)
            {
                for (int r = 0; r < rows; r++)
                {
                    _y[(r * n) + c] = yT[(c * padded) + r];
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
