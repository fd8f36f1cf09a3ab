namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.DenseU8S8ToU8"/>: rows, K, N, output zero point, clamp. Data: weights s8 [N, K], bias s32, multiplier
/// s32, shift s32.
/// </summary>
internal sealed record DenseU8S8ToU8Parameters(int Rows, int K, int N, int OutputZeroPoint, byte ClampMin, byte ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.DenseU8S8ToU8;

    public int[] Encode() => [Rows, K, N, OutputZeroPoint, ClampMin, ClampMax];

    public static DenseU8S8ToU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.DenseU8S8ToU8, p, 6);
        int rows = r.Count("row count"), k = r.Count("K"), n = r.Count("N"), zeroPoint = r.Code("output zero point");
        var (min, max) = r.CodeClamp();
        return new(rows, k, n, zeroPoint, min, max);
    }
}

/// <summary>
/// <see cref="OpKind.DenseU8S8ToF32"/>: rows, K, N, clamp (floats). Data: weights s8 [N, K], bias s32, scale f32:
/// <c>y = clamp(acc · scale[n])</c>.
/// </summary>
internal sealed record DenseU8S8ToF32Parameters(int Rows, int K, int N, float ClampMin, float ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.DenseU8S8ToF32;

    public int[] Encode() => [Rows, K, N, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax)];

    public static DenseU8S8ToF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.DenseU8S8ToF32, p, 5);
        return new(r.Count("row count"), r.Count("K"), r.Count("N"), r.Float(), r.Float());
    }
}

/// <summary>
/// The int8 Dense layer, per row of its input: <c>acc = bias + W·x</c> (<see cref="Kernels.GemvU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>),
/// then requantized to codes (<see cref="OpKind.DenseU8S8ToU8"/>) or scaled to floats (<see cref="OpKind.DenseU8S8ToF32"/>).
/// </summary>
internal sealed class DenseU8S8Op : OpExecutor
{
    private readonly int _rows;
    private readonly int _k;
    private readonly int _n;
    private readonly byte[] _x;
    private readonly PlanSection<sbyte> _weights;
    private readonly PlanSection<int> _bias;
    private readonly DenseOutput _output;

    private DenseU8S8Op(PlanOp op, OpLoadContext context, int rows, int k, int n, DenseOutput output)
        : base(op)
    {
        (_rows, _k, _n) = (rows, k, n);
        _x = context.Bytes(op, op.Inputs[0], (long)rows * k);
        _weights = context.Data<sbyte>(op, 0, (long)n * k);
        _bias = context.Data<int>(op, 1, n);
        _output = output;
    }

    public static OpExecutor CreateToU8(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 4);
        var p = DenseU8S8ToU8Parameters.Decode(op.P);
        return new DenseU8S8Op(op, context, p.Rows, p.K, p.N, DenseOutput.Codes(op, context, p.Rows, p.N, 2, p.OutputZeroPoint, p.ClampMin, p.ClampMax));
    }

    public static OpExecutor CreateToF32(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 3);
        var p = DenseU8S8ToF32Parameters.Decode(op.P);
        return new DenseU8S8Op(op, context, p.Rows, p.K, p.N, DenseOutput.Floats(op, context, p.Rows, p.N, 2, p.ClampMin, p.ClampMax));
    }

    public override ScratchNeeds Scratch => new(Accumulator: _n);

    public override void Run(OpScratch scratch)
    {
        int k = _k, n = _n;
        var weights = _weights.Span;
        var bias = _bias.Span;
        var acc = scratch.Accumulator.AsSpan(0, n);
        var x = _x.AsSpan(0, _rows * k);
        for (int r = 0; r < _rows; r++)
        {
            Kernels.GemvU8S8S32(x.Slice(r * k, k), weights, bias, acc);
            _output.Write(acc, r);
        }
    }
}

/// <summary>
/// Where an int8 Dense layer's accumulators go, one row at a time: requantized to codes
/// (<see cref="Kernels.RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/>)
/// or scaled to floats and clamped. Shared by the plain and the shared-weight Dense ops.
/// </summary>
internal sealed class DenseOutput
{
    private readonly int _n;
    private readonly byte[]? _codes;
    private readonly float[]? _floats;
    private readonly PlanSection<int> _multiplier;
    private readonly PlanSection<int> _shift;
    private readonly PlanSection<float> _scale;
    private readonly int _zeroPoint;
    private readonly byte _codeMin;
    private readonly byte _codeMax;
    private readonly float _floatMin;
    private readonly float _floatMax;

    private DenseOutput(int n, byte[]? codes, float[]? floats, PlanSection<int> multiplier, PlanSection<int> shift, PlanSection<float> scale, int zeroPoint, byte codeMin, byte codeMax, float floatMin, float floatMax)
    {
        _n = n;
        _codes = codes;
        _floats = floats;
        _multiplier = multiplier;
        _shift = shift;
        _scale = scale;
        _zeroPoint = zeroPoint;
        _codeMin = codeMin;
        _codeMax = codeMax;
        _floatMin = floatMin;
        _floatMax = floatMax;
    }

    /// <summary>Codes, with the multipliers and shifts in data sections <paramref name="data"/> and the one after.</summary>
    public static DenseOutput Codes(PlanOp op, OpLoadContext context, int rows, int n, int data, int zeroPoint, byte min, byte max)
        => new(n, context.Bytes(op, op.Outputs[0], (long)rows * n), null, context.Data<int>(op, data, n), context.Shifts(op, data + 1, n), default, zeroPoint, min, max, 0, 0);

    /// <summary>Floats, with the scales in data section <paramref name="data"/>.</summary>
    public static DenseOutput Floats(PlanOp op, OpLoadContext context, int rows, int n, int data, float min, float max)
        => new(n, null, context.Floats(op, op.Outputs[0], (long)rows * n), default, default, context.Data<float>(op, data, n), 0, 0, 0, min, max);

    /// <summary>Row <paramref name="row"/> of the output from its accumulators.</summary>
    public void Write(ReadOnlySpan<int> acc, int row)
    {
        int n = _n;
        if (_codes is { } codes)
        {
            Kernels.RequantizeS32ToU8Core(acc, _multiplier.Span, _shift.Span, _zeroPoint, _codeMin, _codeMax, codes.AsSpan(row * n, n), SimdLevel.Vector512);
            return;
        }

        var y = _floats.AsSpan(row * n, n);
        Kernels.DequantizeS32ToF32(acc, _scale.Span, y);
        Kernels.ClampF32(y, _floatMin, _floatMax, y);
    }
}
