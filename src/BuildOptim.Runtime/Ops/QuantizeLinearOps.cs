namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.QuantizeF32ToU8"/>: length, zero point, scale.</summary>
internal sealed record QuantizeF32ToU8Parameters(int Length, int ZeroPoint, float Scale) : IOpParameters
{
    public OpKind Kind => OpKind.QuantizeF32ToU8;

    public int[] Encode() => [Length, ZeroPoint, ParameterEncoding.Bits(Scale)];

    public static QuantizeF32ToU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.QuantizeF32ToU8, p, 3);
        return new(r.Count("length"), r.Code("zero point"), r.Float());
    }
}

/// <summary><see cref="OpKind.DequantizeU8ToF32"/>: length, zero point, scale.</summary>
internal sealed record DequantizeU8ToF32Parameters(int Length, int ZeroPoint, float Scale) : IOpParameters
{
    public OpKind Kind => OpKind.DequantizeU8ToF32;

    public int[] Encode() => [Length, ZeroPoint, ParameterEncoding.Bits(Scale)];

    public static DequantizeU8ToF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.DequantizeU8ToF32, p, 3);
        return new(r.Count("length"), r.Code("zero point"), r.Float());
    }
}

/// <summary>Floats to codes where a float layer meets an int8 one (<see cref="Kernels.QuantizeF32ToU8(ReadOnlySpan{float}, float, int, Span{byte})"/>).</summary>
internal sealed class QuantizeF32ToU8Op : OpExecutor
{
    private readonly int _length;
    private readonly int _zeroPoint;
    private readonly float _scale;
    private readonly float[] _x;
    private readonly byte[] _y;

    private QuantizeF32ToU8Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        (_length, _zeroPoint, _scale) = QuantizeF32ToU8Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _length);
        _y = context.Bytes(op, op.Outputs[0], _length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new QuantizeF32ToU8Op(op, context);

    public override void Run(OpScratch scratch) => Kernels.QuantizeF32ToU8(_x.AsSpan(0, _length), _scale, _zeroPoint, _y.AsSpan(0, _length));
}

/// <summary>Codes to floats where an int8 layer meets a float one (<see cref="Kernels.DequantizeU8ToF32"/>).</summary>
internal sealed class DequantizeU8ToF32Op : OpExecutor
{
    private readonly int _length;
    private readonly int _zeroPoint;
    private readonly float _scale;
    private readonly byte[] _x;
    private readonly float[] _y;

    private DequantizeU8ToF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        (_length, _zeroPoint, _scale) = DequantizeU8ToF32Parameters.Decode(op.P);
        _x = context.Bytes(op, op.Inputs[0], _length);
        _y = context.Floats(op, op.Outputs[0], _length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new DequantizeU8ToF32Op(op, context);

    public override void Run(OpScratch scratch) => Kernels.DequantizeU8ToF32(_x.AsSpan(0, _length), _scale, _zeroPoint, _y.AsSpan(0, _length));
}
