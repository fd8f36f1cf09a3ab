namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.WhereF32"/>: rank, output dims[6], strides of the condition[6], of x[6] and of y[6] (unused entries 0).</summary>
internal sealed record WhereF32Parameters(WhereShape Shape) : IOpParameters
{
    private const int MaxRank = BroadcastShape.MaxRank;

    public OpKind Kind => OpKind.WhereF32;

    public int[] Encode()
    {
        var p = new int[1 + (4 * MaxRank)];
        p[0] = Shape.Dims.Length;
        Shape.Dims.CopyTo(p, 1);
        Shape.StridesCondition.CopyTo(p, 1 + MaxRank);
        Shape.StridesX.CopyTo(p, 1 + (2 * MaxRank));
        Shape.StridesY.CopyTo(p, 1 + (3 * MaxRank));
        return p;
    }

    public static WhereF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.WhereF32, p, 1 + (4 * MaxRank));
        int rank = r.Int();
        if ((uint)rank > MaxRank)
        {
            throw ParameterReader.Invalid(OpKind.WhereF32, $"has rank {rank}; at most {MaxRank} is supported");
        }

        var shape = new WhereShape(r.Table(MaxRank, rank), r.Table(MaxRank, rank), r.Table(MaxRank, rank), r.Table(MaxRank, rank));
        long length = 1;
        foreach (int d in shape.Dims)
        {
            length *= d;
            if (d < 0 || length > int.MaxValue)
            {
                throw ParameterReader.Invalid(OpKind.WhereF32, "has negative dims or more than 2^31 elements");
            }
        }

        return shape.StridesCondition.Concat(shape.StridesX).Concat(shape.StridesY).All(s => s >= 0)
            && new[] { shape.StridesCondition, shape.StridesX, shape.StridesY }.All(s => WhereShape.Extent(shape.Dims, s) <= int.MaxValue)
            ? new(shape)
            : throw ParameterReader.Invalid(OpKind.WhereF32, "has negative strides or an operand of more than 2^31 elements");
    }
}

/// <summary>Where with numpy broadcasting of its three operands (<see cref="Kernels.WhereF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, WhereShape, Span{float})"/>).</summary>
internal sealed class WhereF32Op : OpExecutor
{
    private readonly WhereShape _shape;
    private readonly int _length;
    private readonly (float[] Buffer, int Length) _condition;
    private readonly (float[] Buffer, int Length) _x;
    private readonly (float[] Buffer, int Length) _y;
    private readonly float[] _output;

    private WhereF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 3, outputs: 1, data: 0);
        _shape = WhereF32Parameters.Decode(op.P).Shape;
        _length = _shape.Length;
        (float[], int) Operand(int input, int[] strides)
        {
            int extent = _length == 0 ? 0 : (int)WhereShape.Extent(_shape.Dims, strides);
            return (context.Floats(op, op.Inputs[input], extent), extent);
        }

        _condition = Operand(0, _shape.StridesCondition);
        _x = Operand(1, _shape.StridesX);
        _y = Operand(2, _shape.StridesY);
        _output = context.Floats(op, op.Outputs[0], _length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new WhereF32Op(op, context);

    public override string Summary => $"[{string.Join(",", _shape.Dims)}]";

    public override void Run(OpScratch scratch)
        => Kernels.WhereF32Core(
            _condition.Buffer.AsSpan(0, _condition.Length),
            _x.Buffer.AsSpan(0, _x.Length),
            _y.Buffer.AsSpan(0, _y.Length),
            _shape,
            _output.AsSpan(0, _length),
            SimdLevel.Vector512);
}
