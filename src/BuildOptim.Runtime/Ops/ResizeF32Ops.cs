namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.ResizeNearestF32"/>: rank (1–6), inDims[6], outDims[6] (unused slots 1). Data: source indices s32, outDims[a] per axis in order.</summary>
internal sealed record ResizeNearestF32Parameters(int[] InDims, int[] OutDims) : IOpParameters
{
    public const int MaxRank = 6;

    public OpKind Kind => OpKind.ResizeNearestF32;

    public int Length(int[] dims) => dims.Aggregate(1, (p, d) => p * d);

    public int[] Encode() => [InDims.Length, .. Pad(InDims), .. Pad(OutDims)];

    private static int[] Pad(int[] dims) => [.. dims, .. Enumerable.Repeat(1, MaxRank - dims.Length)];

    public static ResizeNearestF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ResizeNearestF32, p, 1 + (2 * MaxRank));
        int rank = r.Int();
        if (rank is < 1 or > MaxRank)
        {
            throw ParameterReader.Invalid(OpKind.ResizeNearestF32, $"has rank {rank}");
        }

        var dims = new int[2 * MaxRank];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = r.Count("dim");
        }

        int[] input = dims[..rank], output = dims[MaxRank..(MaxRank + rank)];
        long inLength = input.Aggregate(1L, (a, d) => a * d), outLength = output.Aggregate(1L, (a, d) => a * d);
        return inLength <= int.MaxValue && outLength <= int.MaxValue && input.All(d => d > 0)
            ? new(input, output)
            : throw ParameterReader.Invalid(OpKind.ResizeNearestF32, "has an empty input or more than 2^31 elements");
    }

    public bool Equals(ResizeNearestF32Parameters? other) => other is not null && InDims.SequenceEqual(other.InDims) && OutDims.SequenceEqual(other.OutDims);

    public override int GetHashCode() => HashCode.Combine(InDims.Length, OutDims.Sum());
}

/// <summary>Nearest Resize (<see cref="Kernels.ResizeNearestF32Core"/>): the per-axis source indices checked and turned into offsets at load.</summary>
internal sealed class ResizeNearestF32Op : OpExecutor
{
    private readonly ResizeNearestF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly int[] _offsets;
    private readonly int _outLength;

    private ResizeNearestF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 1);
        _p = ResizeNearestF32Parameters.Decode(op.P);
        int inLength = _p.Length(_p.InDims);
        _outLength = _p.Length(_p.OutDims);
        _x = context.Floats(op, op.Inputs[0], inLength);
        _y = context.Floats(op, op.Outputs[0], _outLength);
        var indices = context.Data<int>(op, 0, _p.OutDims.Sum()).Span;
        _offsets = new int[indices.Length];
        int at = 0, stride = inLength;
        for (int a = 0; a < _p.InDims.Length; a++)
        {
            stride /= _p.InDims[a];
            for (int o = 0; o < _p.OutDims[a]; o++, at++)
            {
                int index = indices[at];
                _offsets[at] = (uint)index < (uint)_p.InDims[a] ? index * stride : throw new InvalidDataException($"A {op.Kind} op has source index {index} on axis {a} of {_p.InDims[a]}.");
            }
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ResizeNearestF32Op(op, context);

    public override string Summary => $"[{string.Join(",", _p.InDims)}] -> [{string.Join(",", _p.OutDims)}]";

    public override void Run(OpScratch scratch)
    {
        if (_outLength != 0)
        {
            Kernels.ResizeNearestF32Core(_x, _p.OutDims, _offsets, _y.AsSpan(0, _outLength));
        }
    }
}

/// <summary>
/// <see cref="OpKind.ResizeBilinearF32"/>: planes, H, W, OH, OW. Data: rows s32 [2·OH] (y1 then y2), cols s32 [2·OW] (x1 then x2),
/// row weights f32 [2·OH] (dy1 then dy2), column weights f32 [2·OW] (dx1 then dx2).
/// </summary>
internal sealed record ResizeBilinearF32Parameters(int Planes, int H, int W, int OH, int OW) : IOpParameters
{
    public OpKind Kind => OpKind.ResizeBilinearF32;

    public int[] Encode() => [Planes, H, W, OH, OW];

    public static ResizeBilinearF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ResizeBilinearF32, p, 5);
        var result = new ResizeBilinearF32Parameters(r.Count("planes"), r.Count("height"), r.Count("width"), r.Count("output height"), r.Count("output width"));
        return (long)result.Planes * result.H * result.W <= int.MaxValue && (long)result.Planes * result.OH * result.OW <= int.MaxValue && result.H > 0 && result.W > 0
            ? result
            : throw ParameterReader.Invalid(OpKind.ResizeBilinearF32, "has an empty input or more than 2^31 elements");
    }
}

/// <summary>Bilinear Resize (<see cref="Kernels.ResizeBilinearF32Core"/>), its tables read in place and checked at load.</summary>
internal sealed class ResizeBilinearF32Op : OpExecutor
{
    private readonly ResizeBilinearF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<int> _rows;
    private readonly PlanSection<int> _cols;
    private readonly PlanSection<float> _rowWeights;
    private readonly PlanSection<float> _colWeights;

    private ResizeBilinearF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 4);
        _p = ResizeBilinearF32Parameters.Decode(op.P);
        var p = _p;
        _x = context.Floats(op, op.Inputs[0], (long)p.Planes * p.H * p.W);
        _y = context.Floats(op, op.Outputs[0], (long)p.Planes * p.OH * p.OW);
        _rows = context.Data<int>(op, 0, 2L * p.OH);
        _cols = context.Data<int>(op, 1, 2L * p.OW);
        _rowWeights = context.Data<float>(op, 2, 2L * p.OH);
        _colWeights = context.Data<float>(op, 3, 2L * p.OW);
        foreach (var (table, size) in new[] { (_rows, p.H), (_cols, p.W) })
        {
            foreach (int index in table.Span)
            {
                if ((uint)index >= (uint)size)
                {
                    throw new InvalidDataException($"A {op.Kind} op has source index {index} on an axis of {size}.");
                }
            }
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ResizeBilinearF32Op(op, context);

    public override string Summary => $"{_p.Planes}×[{_p.H},{_p.W}] -> [{_p.OH},{_p.OW}]";

    public override void Run(OpScratch scratch)
    {
        var p = _p;
        Kernels.ResizeBilinearF32Core(_x, p.Planes, p.H, p.W, p.OH, p.OW, _rows.Span, _cols.Span, _rowWeights.Span, _colWeights.Span, _y.AsSpan(0, p.Planes * p.OH * p.OW));
    }
}
