namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.Pad"/>: rank, mode, value (float bits, or a code on codes), dims[6], pads[12] (begins then ends, the
/// first 2 · rank in use). Floats or codes by the buffers' kind.
/// </summary>
internal sealed record PadParameters(PadMode Mode, int Value, int[] Dims, int[] Pads) : IOpParameters
{
    public OpKind Kind => OpKind.Pad;

    public int[] Encode()
    {
        var p = new int[3 + (3 * Kernels.MaxLayoutRank)];
        p[0] = Dims.Length;
        p[1] = (int)Mode;
        p[2] = Value;
        Dims.CopyTo(p, 3);
        Pads.CopyTo(p, 3 + Kernels.MaxLayoutRank);
        return p;
    }

    public static PadParameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.Pad, p, 3 + (3 * Kernels.MaxLayoutRank));
        int rank = r.Int();
        if ((uint)rank > Kernels.MaxLayoutRank)
        {
            throw ParameterReader.Invalid(OpKind.Pad, $"has rank {rank}; at most {Kernels.MaxLayoutRank} is supported");
        }

        var mode = r.Enum<PadMode>();
        int value = r.Int();
        var parameters = new PadParameters(mode, value, r.Table(Kernels.MaxLayoutRank, rank), r.Table(2 * Kernels.MaxLayoutRank, 2 * rank));
        return TransposeParameters.LayoutLength(parameters.Dims) >= 0 && parameters.OutputLength >= 0
            ? parameters
            : throw ParameterReader.Invalid(OpKind.Pad, $"pads dims [{string.Join(",", parameters.Dims)}] by [{string.Join(",", parameters.Pads)}]");
    }

    /// <summary>Π (dims[d] + begin[d] + end[d]), or −1 when a padded dim is negative or the count exceeds int32.</summary>
    public long OutputLength
    {
        get
        {
            int rank = Dims.Length;
            long length = 1;
            for (int d = 0; d < rank; d++)
            {
                long dim = (long)Dims[d] + Pads[d] + Pads[d + rank];
                length *= dim;
                if (dim < 0 || length > int.MaxValue)
                {
                    return -1;
                }
            }

            return length;
        }
    }
}

/// <summary>ONNX Pad of floats or codes (<see cref="Kernels.PadF32"/>, <see cref="Kernels.PadU8"/>).</summary>
internal sealed class PadOp : OpExecutor
{
    private readonly PadParameters _p;
    private readonly int _inputLength;
    private readonly int _outputLength;
    private readonly float[]? _xFloats;
    private readonly float[]? _yFloats;
    private readonly byte[]? _xBytes;
    private readonly byte[]? _yBytes;

    private PadOp(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = PadParameters.Decode(op.P);
        _inputLength = (int)TransposeParameters.LayoutLength(_p.Dims);
        _outputLength = (int)_p.OutputLength;
        if (context.IsFloat(op.Inputs[0]))
        {
            _xFloats = context.Floats(op, op.Inputs[0], _inputLength);
            _yFloats = context.Floats(op, op.Outputs[0], _outputLength);
        }
        else
        {
            _xBytes = context.Bytes(op, op.Inputs[0], _inputLength);
            _yBytes = context.Bytes(op, op.Outputs[0], _outputLength);
        }
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new PadOp(op, context);

    public override void Run(OpScratch scratch)
    {
        var (mode, value, dims, pads) = _p;
        if (_xFloats is not null)
        {
            Kernels.PadF32(_xFloats.AsSpan(0, _inputLength), dims, pads, mode, BitConverter.Int32BitsToSingle(value), _yFloats.AsSpan(0, _outputLength));
        }
        else
        {
            Kernels.PadU8(_xBytes.AsSpan(0, _inputLength), dims, pads, mode, (byte)value, _yBytes.AsSpan(0, _outputLength));
        }
    }
}
