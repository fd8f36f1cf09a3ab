namespace BuildOptim.Runtime.Ops;

/// <summary>
/// <see cref="OpKind.ConvU8S8ToU8"/>: batch, geometry, input zero point, output zero point, clamp. Data: weights s8 [M,
/// PatchLength], bias s32, multiplier s32, shift s32.
/// </summary>
internal sealed record ConvU8S8ToU8Parameters(int Batch, ConvGeometry Geometry, int InputZeroPoint, int OutputZeroPoint, byte ClampMin, byte ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.ConvU8S8ToU8;

    public int[] Encode() => [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, OutputZeroPoint, ClampMin, ClampMax];

    public static ConvU8S8ToU8Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvU8S8ToU8, p, 20);
        int batch = r.Count("batch");
        var g = r.Conv();
        int input = r.Code("input zero point"), output = r.Code("output zero point");
        var (min, max) = r.CodeClamp();
        return new(batch, g, input, output, min, max);
    }
}

/// <summary>
/// <see cref="OpKind.ConvU8S8ToF32"/>: batch, geometry, input zero point, clamp (floats, not empty). Data: weights s8, bias
/// s32, scale f32.
/// </summary>
internal sealed record ConvU8S8ToF32Parameters(int Batch, ConvGeometry Geometry, int InputZeroPoint, float ClampMin, float ClampMax) : IOpParameters
{
    public OpKind Kind => OpKind.ConvU8S8ToF32;

    public int[] Encode() => [Batch, .. ParameterEncoding.Conv(Geometry), InputZeroPoint, ParameterEncoding.Bits(ClampMin), ParameterEncoding.Bits(ClampMax)];

    public static ConvU8S8ToF32Parameters Decode(ReadOnlySpan<int> p)
    {
        var r = new ParameterReader(OpKind.ConvU8S8ToF32, p, 19);
        int batch = r.Count("batch");
        var g = r.Conv();
        int input = r.Code("input zero point");
        var (min, max) = r.FloatClamp();
        return new(batch, g, input, min, max);
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
