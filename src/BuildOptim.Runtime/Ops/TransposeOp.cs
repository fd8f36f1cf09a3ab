namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.Transpose"/>: rank, dims[6], perm[6] (unused entries 0). Floats or codes by the buffers' kind.</summary>
internal sealed record TransposeParameters(int[] Dims, int[] Perm) : IOpParameters
{
    public OpKind Kind => OpKind.Transpose;

    public int[] Encode()
    {
        var p = new int[1 + (2 * Kernels.MaxLayoutRank)];
        p[0] = Dims.Length;
        Dims.CopyTo(p, 1);
        Perm.CopyTo(p, 1 + Kernels.MaxLayoutRank);
        return p;
    }

    public static TransposeParameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.Transpose, p, 1 + (2 * Kernels.MaxLayoutRank));
        int rank = r.Int();
        if ((uint)rank > Kernels.MaxLayoutRank)
        {
            throw ParameterReader.Invalid(OpKind.Transpose, $"has rank {rank}; at most {Kernels.MaxLayoutRank} is supported");
        }

        var dims = r.Table(Kernels.MaxLayoutRank, rank);
        var perm = r.Table(Kernels.MaxLayoutRank, rank);
        bool permutation = perm.Order().SequenceEqual(Enumerable.Range(0, rank));
        return permutation && LayoutLength(dims) >= 0 ? new(dims, perm) : throw ParameterReader.Invalid(OpKind.Transpose, $"has dims [{string.Join(",", dims)}] and perm [{string.Join(",", perm)}]");
    }

    /// <summary>The element count of <paramref name="dims"/>, or −1 when a dim is negative or the count exceeds int32.</summary>
    internal static long LayoutLength(ReadOnlySpan<int> dims)
    {
        long length = 1;
        foreach (int d in dims)
        {
            length *= d;
            if (d < 0 || length > int.MaxValue)
            {
                return -1;
            }
        }

        return length;
    }
}

/// <summary>Transpose of floats or codes (<see cref="Kernels.TransposeF32"/>, <see cref="Kernels.TransposeU8"/>).</summary>
internal sealed class TransposeOp : OpExecutor
{
    private readonly int[] _dims;
    private readonly int[] _perm;
    private readonly int _length;
    private readonly float[]? _xFloats;
    private readonly float[]? _yFloats;
    private readonly byte[]? _xBytes;
    private readonly byte[]? _yBytes;

    private TransposeOp(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        (_dims, _perm) = TransposeParameters.Decode(op.P);
        _length = (int)TransposeParameters.LayoutLength(_dims);
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

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new TransposeOp(op, context);

    public override void Run(OpScratch scratch)
    {
        if (_xFloats is not null)
        {
            Kernels.TransposeF32(_xFloats.AsSpan(0, _length), _dims, _perm, _yFloats.AsSpan(0, _length));
        }
        else
        {
            Kernels.TransposeU8(_xBytes.AsSpan(0, _length), _dims, _perm, _yBytes.AsSpan(0, _length));
        }
    }
}
