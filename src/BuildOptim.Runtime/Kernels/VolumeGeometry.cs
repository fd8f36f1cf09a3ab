namespace BuildOptim.Runtime;

/// <summary>
/// One spatial axis of a sliding window: <see cref="Input"/> positions, a window of <see cref="Kernel"/> taps
/// <see cref="Dilation"/> apart moved by <see cref="Stride"/>, <see cref="PadBegin"/> and <see cref="PadEnd"/> positions of
/// padding, and <see cref="Output"/> positions (auto_pad, ceil_mode, output_padding and output_shape already resolved).
/// Output position o of a convolution or pool reads input <c>o · Stride − PadBegin + k · Dilation</c>; a transposed
/// convolution writes input i's tap k to output <c>i · Stride − PadBegin + k · Dilation</c>.
/// </summary>
internal readonly record struct AxisGeometry(int Input, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Output)
{
    /// <summary>Every field in range, and every index the window arithmetic forms fits in int32.</summary>
    public bool IsValid
        => Input >= 0 && Kernel >= 1 && Stride >= 1 && Dilation >= 1 && PadBegin >= 0 && PadEnd >= 0 && Output >= 0
            && ((long)Math.Max(Output, Input) * Stride) + ((long)(Kernel - 1) * Dilation) + PadBegin <= int.MaxValue;
}

/// <summary>
/// Shape of a 3-D window op over one NCDHW sample: input [C, D, H, W], output [M, OD, OH, OW] (the axes' Input and Output).
/// Convolution weights are [M, C / Group, KD, KH, KW], transposed-convolution weights [C, M / Group, KD, KH, KW]; pools
/// have M = C and Group = 1.
/// </summary>
internal readonly record struct VolumeGeometry(int C, int M, int Group, AxisGeometry D, AxisGeometry H, AxisGeometry W)
{
    /// <summary>The number of ints <see cref="Ops.ParameterEncoding.Volume"/> writes.</summary>
    public const int EncodedLength = 3 + (3 * 7);

    public int GroupInputChannels => C / Group;

    public int GroupOutputChannels => M / Group;

    /// <summary>Taps of one window: KD · KH · KW.</summary>
    public int Taps => D.Kernel * H.Kernel * W.Kernel;

    /// <summary>Weights per output channel of a convolution, per input channel of a transposed one: (channels / Group) · taps.</summary>
    public int PatchLength => (C / Group) * Taps;

    public int InputPlane => D.Input * H.Input * W.Input;

    public int OutputPlane => D.Output * H.Output * W.Output;

    public int InputLength => C * InputPlane;

    public int OutputLength => M * OutputPlane;

    /// <summary>One input channel per group and one output channel per group (Group = C = M).</summary>
    public bool IsDepthwise => Group == C && Group == M && Group > 1;

    /// <summary>
    /// Channels and groups positive with groups dividing both channel counts, every axis valid, and a sample, its output
    /// and its weights within int32.
    /// </summary>
    public bool IsValid
        => C >= 1 && M >= 1 && Group >= 1 && C % Group == 0 && M % Group == 0 && D.IsValid && H.IsValid && W.IsValid
            && (long)C * D.Input * H.Input * W.Input <= int.MaxValue && (long)M * D.Output * H.Output * W.Output <= int.MaxValue
            && (long)Math.Max(C, M) * (Math.Max(C, M) / Group) * D.Kernel * H.Kernel * W.Kernel <= int.MaxValue;

    public override string ToString()
        => $"[{C}, {D.Input}, {H.Input}, {W.Input}] -> [{M}, {D.Output}, {H.Output}, {W.Output}] kernel {D.Kernel}x{H.Kernel}x{W.Kernel} "
            + $"strides {D.Stride},{H.Stride},{W.Stride} dilations {D.Dilation},{H.Dilation},{W.Dilation} "
            + $"pads {D.PadBegin},{H.PadBegin},{W.PadBegin},{D.PadEnd},{H.PadEnd},{W.PadEnd} groups {Group}";
}
