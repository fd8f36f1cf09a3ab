namespace BuildOptim.Onnx.Ir;

/// <summary><c>y[r, n] = act(Bias[n] + Σ_k x[r, k] · Weights[n·K + k])</c> for every row r of the input.</summary>
public sealed record DenseLayer : Layer
{
    public required int K { get; init; }

    public required int N { get; init; }

    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }

    public FusedActivation? Activation { get; init; }

    /// <summary>Width of the weight codes when an int8 plan quantizes this layer: 8 ([−127, 127]) or 7 ([−63, 63]).</summary>
    public int WeightBits { get; init; } = 8;
}

/// <summary>Batched matrix product of two runtime tensors, numpy broadcasting on the batch dims.</summary>
public sealed record MatMulLayer : Layer;

/// <summary>
/// The geometry a convolution and a transposed convolution share (NCHW, 1-D as H = 1): C input and M output channels of
/// H × W and OH × OW, a KH × KW kernel with its strides, leading pads, dilations and groups.
/// </summary>
public abstract record FilterLayer : Layer
{
    public required int C { get; init; }

    public required int H { get; init; }

    public required int W { get; init; }

    public required int M { get; init; }

    public required int KH { get; init; }

    public required int KW { get; init; }

    public required int StrideH { get; init; }

    public required int StrideW { get; init; }

    public required int PadTop { get; init; }

    public required int PadLeft { get; init; }

    public required int DilationH { get; init; }

    public required int DilationW { get; init; }

    public required int Group { get; init; }

    public required int OH { get; init; }

    public required int OW { get; init; }
}

/// <summary>2-D convolution (1-D as H = 1) in NCHW; weights [M, C/group, KH, KW].</summary>
public sealed record ConvLayer : FilterLayer
{
    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }

    public FusedActivation? Activation { get; init; }

    /// <summary>Width of the weight codes when an int8 plan quantizes this layer: 8 ([−127, 127]) or 7 ([−63, 63]).</summary>
    public int WeightBits { get; init; } = 8;
}

/// <summary>
/// 2-D transposed convolution (1-D as H = 1) in NCHW; weights [C, M/group, KH, KW]:
/// <c>y[m, ih·sh − PadTop + kh·dh, iw·sw − PadLeft + kw·dw] += w[c, m, kh, kw] · x[c, ih, iw]</c> (c over m's group),
/// then <c>+ Bias[m]</c>; OH and OW (output_padding, output_shape and the end pads) bound the output.
/// </summary>
public sealed record ConvTransposeLayer : FilterLayer
{
    /// <summary>[C, M/Group, KH, KW], as ONNX stores them.</summary>
    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }
}
