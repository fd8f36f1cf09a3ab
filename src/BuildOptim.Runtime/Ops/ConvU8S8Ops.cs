namespace BuildOptim.Runtime.Ops;

/// <summary>
/// An int8 convolution's weights, prepared once per runner: read in place from the plan, or decoded from shared 4-bit
/// indices and codebooks (<see cref="Kernels.DecodeU4S8(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, int, int, Span{sbyte})"/>:
/// every call then runs the plain kernel, as fast as an unshared layer, while the plan and the assembly keep the 4-bit
/// form), packed for the micro-kernel (<see cref="Kernels.PackConvU8S8Weights"/>), with the tap offsets and blocking of
/// the geometry (<see cref="Kernels.ConvGemmLayout"/>).
/// </summary>
internal sealed class ConvU8S8Weights
{
    private readonly PlanSection<sbyte> _inPlan;
    private readonly sbyte[]? _decoded;

    private ConvU8S8Weights(in ConvGeometry g, PlanSection<sbyte> inPlan, sbyte[]? decoded, bool sevenBit = false)
    {
        _inPlan = inPlan;
        _decoded = decoded;
        SevenBit = sevenBit;
        Packed = sevenBit ? Kernels.PackConvU8S7Weights(Weights, g) : Kernels.PackConvU8S8Weights(Weights, g);
        Layout = Kernels.ConvGemmLayout.For(g);
    }

    /// <summary>Whether these are a 7-bit convolution's weights, packed for its tiles (Kernels/ConvGemmU8S7.cs).</summary>
    public bool SevenBit { get; }

    /// <summary>Ints of packed weights per 6-channel block: pairs (8-bit) or quads (7-bit) of the patch, times 6.</summary>
    public int BlockLength(in ConvGeometry g) => Kernels.ConvPackedBlockLength(g.PatchLength, SevenBit);

    /// <summary>Weights [M, PatchLength].</summary>
    public ReadOnlySpan<sbyte> Weights => _decoded is null ? _inPlan.Span : _decoded;

    public int[] Packed { get; }

    public Kernels.ConvGemmLayout? Layout { get; }

    /// <summary>Bytes of packed (and decoded) weights.</summary>
    public long PreparedBytes => ((long)Packed.Length * sizeof(int)) + (_decoded?.Length ?? 0);

    /// <summary>Plain int8 weights in data section 0; with <paramref name="sevenBit"/>, 7-bit codes (checked: the plan is hostile input).</summary>
    public static ConvU8S8Weights InPlan(PlanOp op, OpLoadContext context, in ConvGeometry g, bool sevenBit = false)
    {
        var weights = context.Data<sbyte>(op, 0, (long)g.M * g.PatchLength);
        if (sevenBit && !Kernels.AreSevenBitWeights(weights.Span))
        {
            throw ParameterReader.Invalid(op.Kind, $"is a 7-bit convolution with weights outside [{Kernels.SevenBitWeightMin}, {Kernels.SevenBitWeightMax}]");
        }

        return new(g, weights, null, sevenBit);
    }

    /// <summary>Shared weights: 4-bit indices in data section 0, <paramref name="codebooks"/> int8 codebooks in section 1.</summary>
    public static ConvU8S8Weights Shared(PlanOp op, OpLoadContext context, in ConvGeometry g, int codebooks)
    {
        var indices = context.Data<byte>(op, 0, (long)g.M * Kernels.PackedU4RowLength(g.PatchLength));
        var tables = context.Data<sbyte>(op, 1, (long)codebooks * Kernels.SharedCodebookLength);
        var weights = new sbyte[g.M * g.PatchLength];
        Kernels.DecodeU4S8(indices.Span, tables.Span, g.M, g.PatchLength, weights);
        return new(g, default, weights);
    }
}

/// <summary>
/// The int8 convolution writing codes (<see cref="OpKind.ConvU8S8ToU8"/>, and <see cref="OpKind.ConvSharedU8U4ToU8"/> over
/// weights decoded once): <see cref="Kernels.ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>
/// sample by sample. It may run a following 2 × 2 MaxPool itself (<see cref="ConvMaxPoolFusion"/>) and be split across
/// threads by output channels.
/// </summary>
internal sealed class ConvU8S8ToU8Op : OpExecutor, IChannelSplittable
{
    /// <summary>Output channels per packed weight block of the convolution kernel (<see cref="Kernels.PackConvU8S8Weights"/>).</summary>
    public const int WeightBlockChannels = 6;

    private readonly int _batch;
    private readonly ConvGeometry _g;
    private readonly byte _inputZeroPoint;
    private readonly int _outputZeroPoint;
    private readonly byte _clampMin;
    private readonly byte _clampMax;
    private readonly ConvU8S8Weights _weights;
    private readonly PlanSection<int> _bias;
    private readonly PlanSection<int> _multiplier;
    private readonly PlanSection<int> _shift;
    private readonly byte[] _x;
    private readonly byte[] _y;
    private byte[]? _pooled;

    private ConvU8S8ToU8Op(PlanOp op, OpLoadContext context, int batch, in ConvGeometry g, int inputZeroPoint, int outputZeroPoint, byte min, byte max, ConvU8S8Weights weights, int requantization)
        : base(op)
    {
        (_batch, _g, _inputZeroPoint, _outputZeroPoint, _clampMin, _clampMax) = (batch, g, (byte)inputZeroPoint, outputZeroPoint, min, max);
        _weights = weights;
        _bias = context.Data<int>(op, requantization, g.M);
        _multiplier = context.Data<int>(op, requantization + 1, g.M);
        _shift = context.Shifts(op, requantization + 2, g.M);
        _x = context.Bytes(op, op.Inputs[0], (long)batch * g.InputLength);
        _y = context.Bytes(op, op.Outputs[0], (long)batch * g.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 4);
        var (batch, g, input, output, min, max, sevenBit) = ConvU8S8ToU8Parameters.Decode(op.P);
        return new ConvU8S8ToU8Op(op, context, batch, g, input, output, min, max, ConvU8S8Weights.InPlan(op, context, g, sevenBit), requantization: 1);
    }

    public static OpExecutor CreateShared(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 5);
        var (batch, g, input, output, min, max, codebooks) = ConvSharedU8U4ToU8Parameters.Decode(op.P);
        return new ConvU8S8ToU8Op(op, context, batch, g, input, output, min, max, ConvU8S8Weights.Shared(op, context, g, codebooks), requantization: 2);
    }

    public int Batch => _batch;

    public ConvGeometry Geometry => _g;

    public int Channels => _g.M;

    public int ChannelBlock => WeightBlockChannels;

    public int HelperScratchLength => Kernels.ConvU8S8ScratchLength(_g, packedWeights: true);

    public override ScratchNeeds Scratch => new(Accumulator: Kernels.ConvU8S8AccumulatorLength(_g), Bytes: Kernels.ConvU8S8ScratchLength(_g, packedWeights: true));

    public override long PreparedBytes => _weights.PreparedBytes;

    public override string Summary => OpSummary.Conv(_g);

    /// <summary>From now on, write the 2 × 2 MaxPool of the output into <paramref name="pooled"/> instead of the output (<see cref="ConvMaxPoolFusion"/>).</summary>
    public void FusePool(byte[] pooled) => _pooled = pooled;

    public bool Splits(long minimumMacs)
        => _g.Group == 1 && _g.M >= 2 * WeightBlockChannels && (long)_g.M * _g.PatchLength * _g.OH * _g.OW * _batch >= minimumMacs;

    public override void Run(OpScratch scratch) => RunChannels(0, _g.M, scratch.Bytes, scratch.Accumulator);

    public void RunChannels(int first, int end, byte[] scratch, int[] accumulator)
    {
        var g = _g;
        var slice = g with { M = end - first };
        int patch = g.PatchLength;
        int pixels = g.OH * g.OW;
        var bias = _bias.Span.Slice(first, slice.M);
        var multiplier = _multiplier.Span.Slice(first, slice.M);
        var shift = _shift.Span.Slice(first, slice.M);
        var weights = _weights.Weights.Slice(first * patch, slice.M * patch);
        bool sevenBit = _weights.SevenBit;
        var packed = _weights.Packed.AsSpan(first / WeightBlockChannels * _weights.BlockLength(g), sevenBit ? Kernels.ConvU8S7PackedWeightsLength(slice) : Kernels.ConvU8S8PackedWeightsLength(slice));
        var x = _x.AsSpan(0, _batch * g.InputLength);
        if (_pooled is { } pooledOutput)
        {
            // A 2 × 2 MaxPool fused in: the convolution writes the pool's output.
            int pooled = (g.OH / 2) * (g.OW / 2);
            var yPooled = pooledOutput.AsSpan(0, _batch * g.M * pooled);
            for (int b = 0; b < _batch; b++)
            {
                Kernels.ConvU8S8MaxPool2x2Core(x.Slice(b * g.InputLength, g.InputLength), slice, _inputZeroPoint, weights, packed, bias, multiplier, shift, _outputZeroPoint, _clampMin, _clampMax, scratch, accumulator, yPooled.Slice(((b * g.M) + first) * pooled, slice.M * pooled), SimdLevel.Vector512, _weights.Layout, sevenBit);
            }

            return;
        }

        var y = _y.AsSpan(0, _batch * g.OutputLength);
        for (int b = 0; b < _batch; b++)
        {
            Kernels.ConvU8S8Core(x.Slice(b * g.InputLength, g.InputLength), slice, _inputZeroPoint, weights, packed, bias, multiplier, shift, _outputZeroPoint, _clampMin, _clampMax, scratch, accumulator, y.Slice((b * g.OutputLength) + (first * pixels), slice.M * pixels), SimdLevel.Vector512, _weights.Layout, sevenBit);
        }
    }
}

/// <summary>
/// The int8 convolution writing floats for float consumers (<see cref="OpKind.ConvU8S8ToF32"/>, and
/// <see cref="OpKind.ConvSharedU8U4ToF32"/> over weights decoded once): <see cref="Kernels.ConvU8S8ToF32(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, float, float, Span{byte}, Span{int}, Span{float})"/>
/// sample by sample.
/// </summary>
internal sealed class ConvU8S8ToF32Op : OpExecutor
{
    private readonly int _batch;
    private readonly ConvGeometry _g;
    private readonly byte _inputZeroPoint;
    private readonly float _clampMin;
    private readonly float _clampMax;
    private readonly ConvU8S8Weights _weights;
    private readonly PlanSection<int> _bias;
    private readonly PlanSection<float> _scale;
    private readonly byte[] _x;
    private readonly float[] _y;

    private ConvU8S8ToF32Op(PlanOp op, OpLoadContext context, int batch, in ConvGeometry g, int inputZeroPoint, float min, float max, ConvU8S8Weights weights, int scaling)
        : base(op)
    {
        (_batch, _g, _inputZeroPoint, _clampMin, _clampMax) = (batch, g, (byte)inputZeroPoint, min, max);
        _weights = weights;
        _bias = context.Data<int>(op, scaling, g.M);
        _scale = context.Data<float>(op, scaling + 1, g.M);
        _x = context.Bytes(op, op.Inputs[0], (long)batch * g.InputLength);
        _y = context.Floats(op, op.Outputs[0], (long)batch * g.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 3);
        var (batch, g, input, min, max, sevenBit) = ConvU8S8ToF32Parameters.Decode(op.P);
        return new ConvU8S8ToF32Op(op, context, batch, g, input, min, max, ConvU8S8Weights.InPlan(op, context, g, sevenBit), scaling: 1);
    }

    public static OpExecutor CreateShared(PlanOp op, OpLoadContext context)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 4);
        var (batch, g, input, min, max, codebooks) = ConvSharedU8U4ToF32Parameters.Decode(op.P);
        return new ConvU8S8ToF32Op(op, context, batch, g, input, min, max, ConvU8S8Weights.Shared(op, context, g, codebooks), scaling: 2);
    }

    public override ScratchNeeds Scratch => new(Accumulator: Kernels.ConvU8S8AccumulatorLength(_g), Bytes: Kernels.ConvU8S8ScratchLength(_g, packedWeights: true));

    public override long PreparedBytes => _weights.PreparedBytes;

    public override string Summary => OpSummary.Conv(_g);

    public override void Run(OpScratch scratch)
    {
        var g = _g;
        var weights = _weights.Weights;
        var bias = _bias.Span;
        var scale = _scale.Span;
        for (int b = 0; b < _batch; b++)
        {
            Kernels.ConvU8S8ToF32Core(_x.AsSpan(b * g.InputLength, g.InputLength), g, _inputZeroPoint, weights, _weights.Packed, bias, scale, _clampMin, _clampMax, scratch.Bytes, scratch.Accumulator, _y.AsSpan(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512, _weights.Layout, _weights.SevenBit);
        }
    }
}
