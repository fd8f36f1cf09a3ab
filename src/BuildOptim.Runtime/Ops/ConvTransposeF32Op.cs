namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.ConvTransposeF32"/>: batch, geometry (weights [C, M/G, KH, KW]). Data: weights f32, bias f32.</summary>
internal sealed record ConvTransposeF32Parameters(int Batch, ConvGeometry Geometry) : IOpParameters
{
    public OpKind Kind => OpKind.ConvTransposeF32;

    public int[] Encode() => [Batch, .. ParameterEncoding.Conv(Geometry)];

    public static ConvTransposeF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvTransposeF32, p, 16);
        int batch = r.Count("batch");
        var g = r.Conv();
        return (long)batch * g.M * g.OH * g.OW <= int.MaxValue && (long)batch * g.InputLength <= int.MaxValue
            ? new(batch, g)
            : throw ParameterReader.Invalid(OpKind.ConvTransposeF32, "has more than 2^31 elements");
    }
}

/// <summary>The fp32 transposed convolution, sample by sample (<see cref="Kernels.ConvTransposeF32"/>).</summary>
internal sealed class ConvTransposeF32Op : OpExecutor
{
    private readonly ConvTransposeF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _weights;
    private readonly PlanSection<float> _bias;

    private ConvTransposeF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = ConvTransposeF32Parameters.Decode(op.P);
        var g = _p.Geometry;
        _x = context.Floats(op, op.Inputs[0], (long)_p.Batch * g.InputLength);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Batch * g.OutputLength);
        _weights = context.Data<float>(op, 0, (long)g.M * g.PatchLength);
        _bias = context.Data<float>(op, 1, g.M);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ConvTransposeF32Op(op, context);

    public override ScratchNeeds Scratch => new(Floats: Kernels.ConvTransposeF32ScratchLength(_p.Geometry));

    public override string Summary => OpSummary.Conv(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (batch, g) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        for (int b = 0; b < batch; b++)
        {
            Kernels.ConvTransposeF32Core(_x.AsSpan(b * g.InputLength, g.InputLength), g, weights, bias, scratch.Floats, _y.AsSpan(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512);
        }
    }
}
