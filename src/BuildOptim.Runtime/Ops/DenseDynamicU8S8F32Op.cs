namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.DenseDynamicU8S8F32"/> (or, <see cref="SevenBit"/>, <see cref="OpKind.DenseDynamicU7S7F32"/>): rows, K, N,
/// clamp (floats), activation (None, Relu, Gelu or GeluTanh, after the clamp's inputs are computed and before the clamp).
/// Data: weights s8 [N, K] (in [−63, 63] for a 7-bit layer), column scale f32 [N], bias f32 [N].
/// </summary>
internal sealed record DenseDynamicU8S8F32Parameters(int Rows, int K, int N, float ClampMin, float ClampMax, Activation Activation, bool SevenBit = false) : IOpParameters
{
    public OpKind Kind => SevenBit ? OpKind.DenseDynamicU7S7F32 : OpKind.DenseDynamicU8S8F32;

    public int[] Encode() => [Rows, K, N, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax), (int)Activation];

    public static DenseDynamicU8S8F32Parameters Decode(ReadOnlySpan<int> p) => Decode(OpKind.DenseDynamicU8S8F32, p);

    /// <summary>The parameters of a <paramref name="kind"/> op (either dynamic dense kind).</summary>
    public static DenseDynamicU8S8F32Parameters Decode(OpKind kind, ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(kind, p, 6);
        var result = new DenseDynamicU8S8F32Parameters(r.Count("row count"), r.Count("K"), r.Count("N"), r.Float(), r.Float(), r.Enum<Activation>(), kind == OpKind.DenseDynamicU7S7F32);
        if (result.Activation is not (Activation.None or Activation.Relu or Activation.Gelu or Activation.GeluTanh))
        {
            throw ParameterReader.Invalid(kind, $"has the activation {result.Activation}, which it does not fuse");
        }

        if (result.K > Kernels.DynamicGemmMaxK)
        {
            throw ParameterReader.Invalid(kind, $"has K = {result.K}, above {Kernels.DynamicGemmMaxK}");
        }

        // Rows, their codes (and 16-bit copies) in the scratch, and the weights packed with their padding all fit in int32.
        return (long)result.Rows * Math.Max(result.K, result.N) <= int.MaxValue && (long)result.N * result.K <= int.MaxValue / 2
            && ((long)result.Rows * (result.K + DynamicGemmWeights.CodeAlignment) * 3) + ((long)result.Rows * 8) + 4096 <= int.MaxValue
            ? result
            : throw ParameterReader.Invalid(kind, "has more than 2^31 elements");
    }
}

/// <summary>
/// The int8 dense layer of a transformer (<see cref="Kernels.GemmU8S8F32Dynamic"/>): float rows in, each quantized once per
/// call and reused by every output channel, weights packed once for this machine's path, float rows out. A parallel runner
/// splits it by output channels (whole micro-tiles); every slice quantizes the rows itself, so slices share nothing but
/// their inputs and the result is the one thread's bit for bit. A 7-bit layer (<see cref="OpKind.DenseDynamicU7S7F32"/>)
/// quantizes its rows to 7 bits and, where the machine has AVX-512BW, runs the 512-bit <c>vpmaddubsw</c> mix.
/// </summary>
internal sealed class DenseDynamicU8S8F32Op : OpExecutor, IChannelSplittable
{
    private readonly DenseDynamicU8S8F32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly DynamicGemmWeights _weights;
    private readonly PlanSection<float> _colScale;
    private readonly PlanSection<float> _bias;

    private DenseDynamicU8S8F32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 3);
        _p = DenseDynamicU8S8F32Parameters.Decode(op.Kind, op.P);
        _x = context.Floats(op, op.Inputs[0], (long)_p.Rows * _p.K);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Rows * _p.N);
        var weights = context.Data<sbyte>(op, 0, (long)_p.N * _p.K);
        _colScale = context.Data<float>(op, 1, _p.N);
        _bias = context.Data<float>(op, 2, _p.N);
        if (_p.SevenBit && !Kernels.AreSevenBitWeights(weights.Span))
        {
            throw ParameterReader.Invalid(op.Kind, $"has weights outside [-{Kernels.SevenBitWeightMax}, {Kernels.SevenBitWeightMax}]");
        }

        var path = Kernels.ChooseDynamicGemmPath(SimdLevel.Vector512, _p.SevenBit);

        // Packed once per plan: the runners of every thread and every sequence length share it.
        _weights = context.Prepared(op, (int)path, _p.N, _p.K, () => Kernels.PackDynamicGemmWeights(weights.Span, _p.N, _p.K, path, _p.SevenBit));
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new DenseDynamicU8S8F32Op(op, context);

    public int Channels => _p.N;

    public int ChannelBlock => _weights.TileChannels;

    public int HelperScratchLength => _weights.ScratchBytes(_p.Rows);

    public override ScratchNeeds Scratch => new(Bytes: _weights.ScratchBytes(_p.Rows));

    public override long PreparedBytes => _weights.Packed.Length + ((long)_weights.ColumnSums.Length * sizeof(int));

    public override string Summary => $"{_p.Rows}x{_p.K} -> {_p.N}" + (_p.Activation == Activation.None ? string.Empty : " " + _p.Activation);

    public bool Splits(long minimumMacs)
        => _p.N >= 2 * ChannelBlock && (long)_p.Rows * _p.K * _p.N >= minimumMacs;

    public override void Run(OpScratch scratch) => RunChannels(0, _p.N, scratch.Bytes, scratch.Accumulator);

    public void RunChannels(int first, int end, byte[] scratch, int[] accumulator)
        => Kernels.GemmU8S8F32DynamicCore(_x.AsSpan(0, _p.Rows * _p.K), _p.Rows, _weights, _colScale.Span, _bias.Span, _p.Activation, _p.ClampMin, _p.ClampMax,
            first, end, _y.AsSpan(0, _p.Rows * _p.N), scratch);
}

/// <summary><see cref="OpKind.GatherRowsS8F32"/>: rows, inner, index count.</summary>
internal sealed record GatherRowsS8F32Parameters(int Rows, int Inner, int Count) : IOpParameters
{
    public OpKind Kind => OpKind.GatherRowsS8F32;

    public int[] Encode() => [Rows, Inner, Count];

    public static GatherRowsS8F32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.GatherRowsS8F32, p, 3);
        var result = new GatherRowsS8F32Parameters(r.Count("row count"), r.Count("inner size"), r.Count("index count"));
        return (long)result.Rows * result.Inner <= int.MaxValue && (long)result.Count * result.Inner <= int.MaxValue
            ? result
            : throw ParameterReader.Invalid(OpKind.GatherRowsS8F32, "has more than 2^31 elements");
    }
}

/// <summary>An embedding lookup in an int8 table with a scale per row (<see cref="Kernels.GatherRowsS8F32Core"/>).</summary>
internal sealed class GatherRowsS8F32Op : OpExecutor
{
    private readonly GatherRowsS8F32Parameters _p;
    private readonly PlanSection<sbyte> _table;
    private readonly PlanSection<float> _scales;
    private readonly float[] _indices;
    private readonly float[] _y;

    private GatherRowsS8F32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = GatherRowsS8F32Parameters.Decode(op.P);
        _table = context.Data<sbyte>(op, 0, (long)_p.Rows * _p.Inner);
        _scales = context.Data<float>(op, 1, _p.Rows);
        _indices = context.Floats(op, op.Inputs[0], _p.Count);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Count * _p.Inner);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new GatherRowsS8F32Op(op, context);

    public override string Summary => $"{_p.Count} of [{_p.Rows}, {_p.Inner}] s8";

    public override void Run(OpScratch scratch)
        => Kernels.GatherRowsS8F32Core(_table.Span, _scales.Span, _indices.AsSpan(0, _p.Count), _p.Rows, _p.Inner, _y.AsSpan(0, _p.Count * _p.Inner));
}
