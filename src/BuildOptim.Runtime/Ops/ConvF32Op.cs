namespace BuildOptim.Runtime.Ops;

/// <summary><see cref="OpKind.ConvF32"/>: batch, geometry, clamp (floats, not empty). Data: weights f32, bias f32.</summary>
internal sealed record ConvF32Parameters(int Batch, ConvGeometry Geometry, float ClampMin, float ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.ConvF32;

    public int[] Encode() => [Batch, .. ParameterEncoding.Conv(Geometry), ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax)];

    public static ConvF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvF32, p, 18);
        int batch = r.Count("batch");
        var g = r.Conv();
        var (min, max) = r.FloatClamp();
        return new(batch, g, min, max);
    }
}

/// <summary>The fp32 convolution, sample by sample (<see cref="Kernels.ConvF32(ReadOnlySpan{float}, in ConvGeometry, ReadOnlySpan{float}, ReadOnlySpan{float}, float, float, Span{float}, Span{float})"/>).</summary>
internal sealed class ConvF32Op : OpExecutor
{
    private readonly ConvF32Parameters _p;
    private readonly float[] _x;
    private readonly float[] _y;
    private readonly PlanSection<float> _weights;
    private readonly PlanSection<float> _bias;

    private ConvF32Op(PlanOp op, OpLoadContext context)
        : base(op)
    {
        context.Expect(op, inputs: 1, outputs: 1, data: 2);
        _p = ConvF32Parameters.Decode(op.P);
        var g = _p.Geometry;
        _x = context.Floats(op, op.Inputs[0], (long)_p.Batch * g.InputLength);
        _y = context.Floats(op, op.Outputs[0], (long)_p.Batch * g.OutputLength);
        _weights = context.Data<float>(op, 0, (long)g.M * g.PatchLength);
        _bias = context.Data<float>(op, 1, g.M);
    }

    public static OpExecutor Create(PlanOp op, OpLoadContext context) => new ConvF32Op(op, context);

    public override ScratchNeeds Scratch => new(Floats: Kernels.ConvF32ScratchLength(_p.Geometry));

    public override string Summary => OpSummary.Conv(_p.Geometry);

    public override void Run(OpScratch scratch)
    {
        var (batch, g, min, max) = _p;
        var weights = _weights.Span;
        var bias = _bias.Span;
        for (int b = 0; b < batch; b++)
        {
            Kernels.ConvF32Core(_x.AsSpan(b * g.InputLength, g.InputLength), g, weights, bias, min, max, scratch.Floats, _y.AsSpan(b * g.OutputLength, g.OutputLength), SimdLevel.Vector512);
        }
    }
}
