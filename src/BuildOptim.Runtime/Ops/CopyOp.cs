namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.Copy"/>: length.</summary>
internal sealed record CopyParameters(int Length) : IOpParameters
{
    public OpKind Kind => OpKind.Copy;

    public int[] Encode() => [Length];

    public static CopyParameters Decode(ReadOnlySpan<int> p) => new(new ParameterReader(OpKind.Copy, p, 1).Count("length"));
}

/// <summary>Copies a buffer, floats or codes by the buffers' kind (a graph output that is also an input or another output).</summary>
internal sealed class CopyOp : OpExecutor
{
    private readonly int _length;
    private readonly float[]? _xFloats;
    private readonly float[]? _yFloats;
    private readonly byte[]? _xBytes;
    private readonly byte[]? _yBytes;

    private CopyOp(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _length = CopyParameters.Decode(op.P).Length;
        if (context.IsFloat(op.Inputs[0]))
        {
            _xFloats = context.Floats(op, op.Inputs[0], _length);
            _yFloats = context.Floats(op, op.Outputs[0], _length);
        }
        else
        {
            _xBytes = context.Bytes(op, op.Inputs[0], _length);
            _yBytes = context.Bytes(op, op.Outputs[0], _length);
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new CopyOp(op, context);

    public override void Run(OpScratch scratch)
    {
        if (_xFloats is not null)
        {
            _xFloats.AsSpan(0, _length).CopyTo(_yFloats.AsSpan(0, _length));
        }
        else
        {
            _xBytes.AsSpan(0, _length).CopyTo(_yBytes.AsSpan(0, _length));
        }
    }
}
