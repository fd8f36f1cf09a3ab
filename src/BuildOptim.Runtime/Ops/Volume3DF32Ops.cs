namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.Conv3DF32"/>: batch, volume geometry, clamp (floats, not empty). Data: weights f32, bias f32.</summary>
internal sealed record Conv3DF32Parameters(int Batch, VolumeGeometry Geometry, float ClampMin, float ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.Conv3DF32;

    public int[] Encode() => [Batch, .. ParameterEncoding.Volume(Geometry), ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax)];

    public static Conv3DF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.Conv3DF32, p, 3 + VolumeGeometry.EncodedLength);
        int batch = r.Count("batch");
        var g = r.Volume();
        var (min, max) = r.FloatClamp();
        return (long)batch * g.InputLength <= int.MaxValue && (long)batch * g.OutputLength <= int.MaxValue
            ? new(batch, g, min, max)
            : throw ParameterReader.Invalid(OpKind.Conv3DF32, "has more than 2^31 elements");
    }
}

/// <summary><see cref="OpKind.ConvTranspose3DF32"/>: batch, volume geometry (weights [C, M/G, KD, KH, KW]). Data: weights f32, bias f32.</summary>
internal sealed record ConvTranspose3DF32Parameters(int Batch, VolumeGeometry Geometry) : IOpParameters
{
    public OpKind Kind => OpKind.ConvTranspose3DF32;

    public int[] Encode() => [Batch, .. ParameterEncoding.Volume(Geometry)];

    public static ConvTranspose3DF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvTranspose3DF32, p, 1 + VolumeGeometry.EncodedLength);
        int batch = r.Count("batch");
        var g = r.Volume();
        return (long)batch * g.InputLength <= int.MaxValue && (long)batch * g.OutputLength <= int.MaxValue
            ? new(batch, g)
            : throw ParameterReader.Invalid(OpKind.ConvTranspose3DF32, "has more than 2^31 elements");
    }
}

/// <summary><see cref="OpKind.Pool3DF32"/>: volume geometry (M = C over batch · channels, Group = 1), average, count include pad.</summary>
internal sealed record Pool3DF32Parameters(VolumeGeometry Geometry, bool Average, bool CountIncludePad) : IOpParameters
{
    public OpKind Kind => OpKind.Pool3DF32;

    public int[] Encode() => [.. ParameterEncoding.Volume(Geometry), ParameterEncoding.Flag(Average), ParameterEncoding.Flag(CountIncludePad)];

    public static Pool3DF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.Pool3DF32, p, VolumeGeometry.EncodedLength + 2);
        var g = r.Volume();
        var result = new Pool3DF32Parameters(g, r.Flag("average"), r.Flag("count include pad"));
        return g.M == g.C && g.Group == 1 ? result : throw ParameterReader.Invalid(OpKind.Pool3DF32, $"has {g.C} input and {g.M} output channels in {g.Group} groups");
    }
}

/// <summary>The fp32 3-D convolution, sample by sample (<see cref="Kernels.Conv3DF32Core"/>).</summary>
internal sealed class Conv3DF32Op : OpExecutor
{
    private readonly Conv3DF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _weights;
    private readonly PlanSection<float> _bias;

    private Conv3DF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = Conv3DF32Parameters.Decode(op.P);
        var g = _p.Geometry;
        _x = context.Floats(op, op.Inputs[0], (long)_p.Batch * g.InputLength);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Batch * g.OutputLength);
        _weights = context.Data<float>(op, 0, (long)g.M * g.PatchLength);
        _bias = context.Data<float>(op, 1, g.M);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new Conv3DF32Op(op, context);

    public override ScratchNeeds Scratch => new(Floats: Kernels.Conv3DF32ScratchLength(_p.Geometry));

    public override string Summary => OpSummary.Volume(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (batch, g, min, max) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        for (int b = 0; b < batch; b++)
        {
            Kernels.Conv3DF32Core(_x.AsSpan(b * g.InputLength, g.InputLength), g, weights, bias, min, max, scratch.Floats, _y.AsSpan(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512);
        }
    }
}

/// <summary>The fp32 3-D transposed convolution, sample by sample (<see cref="Kernels.ConvTranspose3DF32Core"/>).</summary>
internal sealed class ConvTranspose3DF32Op : OpExecutor
{
    private readonly ConvTranspose3DF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _weights;
    private readonly PlanSection<float> _bias;

    private ConvTranspose3DF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = ConvTranspose3DF32Parameters.Decode(op.P);
        var g = _p.Geometry;
        _x = context.Floats(op, op.Inputs[0], (long)_p.Batch * g.InputLength);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Batch * g.OutputLength);
        _weights = context.Data<float>(op, 0, (long)g.C * g.GroupOutputChannels * g.Taps);
        _bias = context.Data<float>(op, 1, g.M);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ConvTranspose3DF32Op(op, context);

    public override ScratchNeeds Scratch => new(Floats: Kernels.ConvTranspose3DF32ScratchLength(_p.Geometry));

    public override string Summary => OpSummary.Volume(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (batch, g) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        for (int b = 0; b < batch; b++)
        {
            Kernels.ConvTranspose3DF32Core(_x.AsSpan(b * g.InputLength, g.InputLength), g, weights, bias, scratch.Floats, _y.AsSpan(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512);
        }
    }
}

/// <summary>3-D MaxPool or AveragePool on floats (<see cref="Kernels.MaxPool3DF32"/>, <see cref="Kernels.AveragePool3DF32"/>).</summary>
internal sealed class Pool3DF32Op : OpExecutor
{
    private readonly Pool3DF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;

    private Pool3DF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 0);
        _p = Pool3DF32Parameters.Decode(op.P);
        _x = context.Floats(op, op.Inputs[0], _p.Geometry.InputLength);
        _y = context.Floats(op, op.Outputs[0], _p.Geometry.OutputLength);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new Pool3DF32Op(op, context);

    public override string Summary => OpSummary.Volume(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (g, average, countIncludePad) = _p;
        if (average)
        {
            Kernels.AveragePool3DF32(_x.AsSpan(0, g.InputLength), g, countIncludePad, _y.AsSpan(0, g.OutputLength), SimdLevel.Vector512);
        }
        else
        {
            Kernels.MaxPool3DF32(_x.AsSpan(0, g.InputLength), g, _y.AsSpan(0, g.OutputLength), SimdLevel.Vector512);
        }
    }
}
