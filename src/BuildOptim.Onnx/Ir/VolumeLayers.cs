namespace BuildOptim.Onnx.Ir;

/// <summary>
/// One spatial axis of a 3-D window: <see cref="Input"/> positions, <see cref="Kernel"/> taps <see cref="Dilation"/> apart
/// moved by <see cref="Stride"/>, <see cref="PadBegin"/> and <see cref="PadEnd"/> positions of padding, <see cref="Output"/>
/// positions (auto_pad, ceil_mode, output_padding and output_shape resolved).
/// </summary>
public readonly record struct SpatialAxis(int Input, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Output);

/// <summary>
/// The geometry a 3-D convolution and a 3-D transposed convolution share (NCDHW): C input and M output channels in
/// <see cref="Group"/> groups, and the depth, height and width axes.
/// </summary>
public abstract record Filter3DLayer : Layer
{
    public required int C { get; init; }

    public required int M { get; init; }

    public required int Group { get; init; }

    public required SpatialAxis Depth { get; init; }

    public required SpatialAxis Height { get; init; }

    public required SpatialAxis Width { get; init; }
}

/// <summary>
/// 3-D convolution in NCDHW; weights [M, C/group, KD, KH, KW]:
/// <c>y[m, od, oh, ow] = act(Bias[m] + Σ w[m, c, kd, kh, kw] · x[c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw])</c>
/// (c over m's group, x outside the input read as 0).
/// </summary>
public sealed record Conv3DLayer : Filter3DLayer
{
    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }

    public FusedActivation? Activation { get; init; }
}

/// <summary>
/// 3-D transposed convolution in NCDHW; weights [C, M/group, KD, KH, KW]:
/// <c>y[m, id·sd − pd + kd·dd, ih·sh − ph + kh·dh, iw·sw − pw + kw·dw] += w[c, m, kd, kh, kw] · x[c, id, ih, iw]</c>, then
/// <c>+ Bias[m]</c>; the axes' Output bound the output.
/// </summary>
public sealed record ConvTranspose3DLayer : Filter3DLayer
{
    /// <summary>[C, M/Group, KD, KH, KW], as ONNX stores them.</summary>
    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }
}

/// <summary>3-D max or average pooling over [C, D, H, W] (C counts every plane of the batch).</summary>
public sealed record Pool3DLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required SpatialAxis Depth { get; init; }

    public required SpatialAxis Height { get; init; }

    public required SpatialAxis Width { get; init; }

    public bool CountIncludePad { get; init; }
}
