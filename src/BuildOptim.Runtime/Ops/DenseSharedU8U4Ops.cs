namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.DenseSharedU8U4ToU8"/>: <see cref="DenseU8S8ToU8Parameters"/>' then the codebook count (1, or one per
/// row). Data: indices u4 [N, ⌈K/2⌉], codebooks s8 [codebooks, 16], bias s32, multiplier s32, shift s32.
/// </summary>
internal sealed record DenseSharedU8U4ToU8Parameters(int Rows, int K, int N, int OutputZeroPoint, byte ClampMin, byte ClampMax, int Codebooks) : IOpParameters
{
    public OpKind Kind => OpKind.DenseSharedU8U4ToU8;

    public int[] Encode() => [Rows, K, N, OutputZeroPoint, ClampMin, ClampMax, Codebooks];

    public static DenseSharedU8U4ToU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.DenseSharedU8U4ToU8, p, 7);
        int rows = r.Count("row count"), k = r.Count("K"), n = r.Count("N"), zeroPoint = r.Code("output zero point");
        var (min, max) = r.CodeClamp();
        return new(rows, k, n, zeroPoint, min, max, r.Codebooks(n));
    }
}

/// <summary>
/// <see cref="OpKind.DenseSharedU8U4ToF32"/>: <see cref="DenseU8S8ToF32Parameters"/>' then the codebook count. Data: indices
/// u4, codebooks s8, bias s32, scale f32.
/// </summary>
internal sealed record DenseSharedU8U4ToF32Parameters(int Rows, int K, int N, float ClampMin, float ClampMax, int Codebooks) : IOpParameters
{
    public OpKind Kind => OpKind.DenseSharedU8U4ToF32;

    public int[] Encode() => [Rows, K, N, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax), Codebooks];

    public static DenseSharedU8U4ToF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.DenseSharedU8U4ToF32, p, 6);
        int rows = r.Count("row count"), k = r.Count("K"), n = r.Count("N");
        float min = r.Float(), max = r.Float();
        return new(rows, k, n, min, max, r.Codebooks(n));
    }
}

/// <summary>
/// The int8 Dense layer over shared weights: <see cref="DenseU8S8Op"/> with the 4-bit indices and int8 codebooks decoded in
/// registers (<see cref="Kernels.SharedGemvU8U4S32(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>).
/// </summary>
internal sealed class DenseSharedU8U4Op : OpExecutor
{
    private readonly int _rows;
    private readonly int _k;
    private readonly int _n;
    private readonly byte[] _x;
    private readonly PlanSection<byte> _indices;
    private readonly PlanSection<sbyte> _codebooks;
    private readonly PlanSection<int> _bias;
    private readonly DenseOutput _output;

    private DenseSharedU8U4Op(PlanOp op, OpLoadContext context, int rows, int k, int n, int codebooks, DenseOutput output)
        : base(op)
    {
        (_rows, _k, _n) = (rows, k, n);
        _x = context.Bytes(op, op.Inputs[0], (long)rows * k);
        _indices = context.Data<byte>(op, 0, (long)n * Kernels.PackedU4RowLength(k));
        _codebooks = context.Data<sbyte>(op, 1, (long)codebooks * Kernels.SharedCodebookLength);
        _bias = context.Data<int>(op, 2, n);
        _output = output;
    }

    public static OpExecutor CreateToU8(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 5);
        var p = DenseSharedU8U4ToU8Parameters.Decode(op.P);
        return new DenseSharedU8U4Op(op, context, p.Rows, p.K, p.N, p.Codebooks, DenseOutput.Codes(op, context, p.Rows, p.N, 3, p.OutputZeroPoint, p.ClampMin, p.ClampMax));
    }

    public static OpExecutor CreateToF32(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 4);
        var p = DenseSharedU8U4ToF32Parameters.Decode(op.P);
        return new DenseSharedU8U4Op(op, context, p.Rows, p.K, p.N, p.Codebooks, DenseOutput.Floats(op, context, p.Rows, p.N, 3, p.ClampMin, p.ClampMax));
    }

    public override ScratchNeeds Scratch => new(Accumulator: _n);

    public override void Run(OpScratch scratch)
    {
        int k = _k, n = _n;
        var indices = _indices.Span;
        var codebooks = _codebooks.Span;
        var bias = _bias.Span;
        var acc = scratch.Accumulator.AsSpan(0, n);
        var x = _x.AsSpan(0, _rows * k);
        for (int r = 0; r < _rows; r++)
        {
            Kernels.SharedGemvU8U4S32(x.Slice(r * k, k), indices, codebooks, bias, acc);
            _output.Write(acc, r);
        }
    }
}
