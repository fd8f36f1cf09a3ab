namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.StridedCopyF32"/>: rank, start, dims[8], strides[8] (unused entries 0). The output, in row-major order
/// over <see cref="Dims"/>, reads <c>x[start + Σ i_k · strides[k]]</c>: a Slice (steps as strides, negative backwards), a
/// Split output (a slice), an Expand (stride 0 along broadcast dims), a Tile (each dim as repeats × dim, the repeats at
/// stride 0).
/// </summary>
internal sealed record StridedCopyF32Parameters(int Start, int[] Dims, int[] Strides) : IOpParameters
{
    /// <summary>Largest rank after <see cref="Create"/> merges what it can (a Tile of rank 4 is a view of rank 8).</summary>
    public const int MaxRank = 8;

    public OpKind Kind => OpKind.StridedCopyF32;

    public int Length => Dims.Aggregate(1, (p, d) => p * d);

    /// <summary>Elements of x the copy reads from: one past its largest offset (0 when the output is empty).</summary>
    public int InputExtent => Length == 0 ? 0 : (int)(Start + Dims.Select((d, k) => (d - 1L) * Math.Max(Strides[k], 0)).Sum() + 1);

    /// <summary>
    /// The copy of a view of x, simplified: size-1 dims dropped and each dim merged into its inner neighbour when the walk
    /// steps through both as one, so a contiguous slice is one run. Null when its rank stays above <see cref="MaxRank"/>.
    /// </summary>
    public static StridedCopyF32Parameters? Create(int start, int[] dims, int[] strides)
    {
        if (dims.Any(d => d == 0))
        {
            return new(0, [0], [1]);
        }

        var mergedDims = new List<int>();
        var mergedStrides = new List<int>();
        for (int k = dims.Length - 1; k >= 0; k--)
        {
            if (dims[k] == 1)
            {
                continue;
            }

            if (mergedDims.Count > 0 && strides[k] == mergedStrides[0] * mergedDims[0])
            {
                mergedDims[0] *= dims[k];
                continue;
            }

            mergedDims.Insert(0, dims[k]);
            mergedStrides.Insert(0, strides[k]);
        }

        return mergedDims.Count <= MaxRank ? new(start, [.. mergedDims], [.. mergedStrides]) : null;
    }

    public int[] Encode()
    {
        var p = new int[2 + (2 * MaxRank)];
        (p[0], p[1]) = (Dims.Length, Start);
        Dims.CopyTo(p, 2);
        Strides.CopyTo(p, 2 + MaxRank);
        return p;
    }

    public static StridedCopyF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.StridedCopyF32, p, 2 + (2 * MaxRank));
        int rank = r.Int();
        if ((uint)rank > MaxRank)
        {
            throw ParameterReader.Invalid(OpKind.StridedCopyF32, $"has rank {rank}; at most {MaxRank} is supported");
        }

        int start = r.Count("start");
        var dims = r.Table(MaxRank, rank);
        var strides = r.Table(MaxRank, rank);
        long length = 1, low = start, high = start;
        for (int k = 0; k < rank; k++)
        {
            length *= dims[k];
            if (dims[k] < 0 || length > int.MaxValue)
            {
                throw ParameterReader.Invalid(OpKind.StridedCopyF32, "has negative dims or more than 2^31 elements");
            }

            long reach = Math.Max(dims[k] - 1L, 0) * strides[k];
            (low, high) = reach < 0 ? (low + reach, high) : (low, high + reach);
        }

        return length == 0 || (low >= 0 && high < int.MaxValue)
            ? new(start, dims, strides)
            : throw ParameterReader.Invalid(OpKind.StridedCopyF32, $"reads offsets [{low}, {high}]");
    }
}

/// <summary>A strided copy (<see cref="Kernels.StridedCopyF32(ReadOnlySpan{float}, int, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>).</summary>
internal sealed class StridedCopyF32Op : OpExecutor
{
    private readonly StridedCopyF32Parameters _p;
    private readonly int _extent;
    private readonly int _length;
    private readonly float[] _x;
    private readonly float[] _y;

    private StridedCopyF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = StridedCopyF32Parameters.Decode(op.P);
        (_extent, _length) = (_p.InputExtent, _p.Length);
        _x = context.Floats(op, op.Inputs[0], _extent);
        _y = context.Floats(op, op.Outputs[0], _length);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new StridedCopyF32Op(op, context);

    public override string Summary => $"[{string.Join(",", _p.Dims)}] by [{string.Join(",", _p.Strides)}]";

    public override void Run(OpScratch scratch)
        => Kernels.StridedCopyF32Core(_x.AsSpan(0, _extent), _p.Start, _p.Dims, _p.Strides, _y.AsSpan(0, _length), SimdLevel.Vector512);
}
