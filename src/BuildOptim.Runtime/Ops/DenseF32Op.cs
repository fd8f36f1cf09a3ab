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
/// The fp32 Dense layer. One row: <c>y = clamp(bias + W·x)</c> (<see cref="Kernels.GemvF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Activation, Span{float})"/>,
/// on the weights in place). Two rows or more (a transformer's tokens): one matrix product over every row,
/// <see cref="Kernels.GemmF32Packed"/>, on weights packed once per plan into panels of 32 outputs; each output is the bias plus
/// the products fused in ascending k, the same bits at every SIMD level. A parallel runner splits it by whole panels.
/// </summary>
internal sealed class DenseF32Op : OpExecutor, IChannelSplittable
{
    /// <summary>From this many rows on, the layer runs as one matrix product on packed weights.</summary>
    internal const int GemmRows = 2;

    private readonly DenseF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _weights;
    private readonly PlanSection<float> _bias;

    /// <summary>The packed weights (shared by every runner and sequence length of the plan) and the bias padded to whole panels, for two rows or more.</summary>
    private readonly GemmF32Weights? _packed;
    private readonly float[] _paddedBias = [];

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
            if (!GemmF32Weights.Fits(_p.N, _p.K))
            {
                throw ParameterReader.Invalid(OpKind.DenseF32, "has weights too large to pack");
            }

            var weights = _weights;
            _packed = context.Prepared(op, 0, _p.N, _p.K, () => Kernels.PackGemmF32Weights(weights.Span, _p.N, _p.K));
            _paddedBias = Kernels.PadGemmF32Bias(_bias.Span, _packed);
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new DenseF32Op(op, context);

    public override long PreparedBytes => _packed?.SizeInBytes ?? 0;

    public override string Summary => $"{_p.Rows}x{_p.K} -> {_p.N}";

    public int Channels => _p.N;

    public int ChannelBlock => _packed is null ? 1 : GemmF32Weights.PanelWidth;

    public int HelperScratchLength => 0;

    public bool Splits(long minimumMacs) => _p.N >= 2 * ChannelBlock && (long)_p.Rows * _p.K * _p.N >= minimumMacs;

    public override void Run(OpScratch scratch) => RunChannels(0, _p.N, [], []);

    public void RunChannels(int first, int end, byte[] scratch, int[] accumulator)
    {
        var (rows, k, n, min, max) = _p;
        if (_packed is not null)
        {
            Kernels.GemmF32PackedCore(_x, rows, _packed, _paddedBias, min, max, first, end, _y, SimdLevel.Vector512);
            return;
        }

        var weights = _weights.Span.Slice(first * k, (end - first) * k);
        var bias = _bias.Span[first..end];
        for (int r = 0; r < rows; r++)
        {
            var y = _y.AsSpan((r * n) + first, end - first);
            Kernels.GemvF32(_x.AsSpan(r * k, k), weights, bias, Activation.None, y);
            Kernels.ClampF32(y, min, max, y);
        }
    }
}
