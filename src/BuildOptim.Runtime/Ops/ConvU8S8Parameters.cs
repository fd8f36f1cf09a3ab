namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.ConvU8S8ToU8"/>: batch, geometry, input zero point, output zero point, clamp, and for a 7-bit
/// convolution a trailing 1 (<c>SevenBit</c>; an 8-bit one stores nothing, as plans did before it). Data: weights s8
/// [M, PatchLength], bias s32, multiplier s32, shift s32.
/// </summary>
/// <remarks>
/// <c>SevenBit</c>: a 7-bit convolution (Kernels/ConvGemmU8S7.cs): weights in [−63, 63], input codes halved as they are
/// read, <c>acc = bias + 4 · Σ w · (x &gt;&gt; 1)</c>; bias and requantization at that doubled scale. Not for depthwise
/// convolutions.
/// </remarks>
internal sealed record ConvU8S8ToU8Parameters(int Batch, ConvGeometry Geometry, int InputZeroPoint, int OutputZeroPoint, byte ClampMin, byte ClampMax, bool SevenBit = false) : IOpParameters
{
    public OpKind Kind => OpKind.ConvU8S8ToU8;

    public int[] Encode() => SevenBit
        ? [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, OutputZeroPoint, ClampMin, ClampMax, 1]
        : [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, OutputZeroPoint, ClampMin, ClampMax];

    public static ConvU8S8ToU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvU8S8ToU8, p, p.Length == 21 ? 21 : 20);
        int batch = r.Count("batch");
        var g = r.Conv();
        int input = r.Code("input zero point"), output = r.Code("output zero point");
        var (min, max) = r.CodeClamp();
        bool sevenBit = p.Length == 21 && r.Flag("7-bit");
        return sevenBit && g.IsDepthwise
            ? throw ParameterReader.Invalid(OpKind.ConvU8S8ToU8, "is a 7-bit depthwise convolution")
            : new(batch, g, input, output, min, max, sevenBit);
    }
}

/// <summary>
/// <see cref="OpKind.ConvU8S8ToF32"/>: batch, geometry, input zero point, clamp (floats, not empty), and for a 7-bit
/// convolution a trailing 1 (as <see cref="ConvU8S8ToU8Parameters.SevenBit"/>; the scale at the doubled scale). Data:
/// weights s8, bias s32, scale f32.
/// </summary>
internal sealed record ConvU8S8ToF32Parameters(int Batch, ConvGeometry Geometry, int InputZeroPoint, float ClampMin, float ClampMax, bool SevenBit = false) : IOpParameters
{
    public OpKind Kind => OpKind.ConvU8S8ToF32;

    public int[] Encode() => SevenBit
        ? [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax), 1]
        : [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax)];

    public static ConvU8S8ToF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvU8S8ToF32, p, p.Length == 20 ? 20 : 19);
        int batch = r.Count("batch");
        var g = r.Conv();
        int input = r.Code("input zero point");
        var (min, max) = r.FloatClamp();
        bool sevenBit = p.Length == 20 && r.Flag("7-bit");
        return sevenBit && g.IsDepthwise
            ? throw ParameterReader.Invalid(OpKind.ConvU8S8ToF32, "is a 7-bit depthwise convolution")
            : new(batch, g, input, min, max, sevenBit);
    }
}

/// <summary>
/// <see cref="OpKind.ConvSharedU8U4ToU8"/>: <see cref="ConvU8S8ToU8Parameters"/>' then the codebook count (1 or M). Data:
/// indices u4 [M, ⌈PatchLength/2⌉], codebooks s8 [codebooks, 16], bias s32, multiplier s32, shift s32.
/// </summary>
internal sealed record ConvSharedU8U4ToU8Parameters(int Batch, ConvGeometry Geometry, int InputZeroPoint, int OutputZeroPoint, byte ClampMin, byte ClampMax, int Codebooks) : IOpParameters
{
    public OpKind Kind => OpKind.ConvSharedU8U4ToU8;

    public int[] Encode() => [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, OutputZeroPoint, ClampMin, ClampMax, Codebooks];

    public static ConvSharedU8U4ToU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvSharedU8U4ToU8, p, 21);
        int batch = r.Count("batch");
        var g = r.Conv();
        int input = r.Code("input zero point"), output = r.Code("output zero point");
        var (min, max) = r.CodeClamp();
        return new(batch, g, input, output, min, max, r.Codebooks(g.M));
    }
}

/// <summary>
/// <see cref="OpKind.ConvSharedU8U4ToF32"/>: <see cref="ConvU8S8ToF32Parameters"/>' then the codebook count. Data: indices
/// u4, codebooks s8, bias s32, scale f32.
/// </summary>
internal sealed record ConvSharedU8U4ToF32Parameters(int Batch, ConvGeometry Geometry, int InputZeroPoint, float ClampMin, float ClampMax, int Codebooks) : IOpParameters
{
    public OpKind Kind => OpKind.ConvSharedU8U4ToF32;

    public int[] Encode() => [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax), Codebooks];

    public static ConvSharedU8U4ToF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvSharedU8U4ToF32, p, 20);
        int batch = r.Count("batch");
        var g = r.Conv();
        int input = r.Code("input zero point");
        var (min, max) = r.FloatClamp();
        return new(batch, g, input, min, max, r.Codebooks(g.M));
    }
}
