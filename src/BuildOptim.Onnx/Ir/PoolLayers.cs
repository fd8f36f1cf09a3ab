namespace BuildOptim.Onnx.Ir;

public enum PoolKind
{
    Max,
    Average,
}

/// <summary>Max or average pooling over [C, H, W].</summary>
public sealed record PoolLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required int H { get; init; }

    public required int W { get; init; }

    public required int KH { get; init; }

    public required int KW { get; init; }

    public required int StrideH { get; init; }

    public required int StrideW { get; init; }

    public required int PadTop { get; init; }

    public required int PadLeft { get; init; }

    public required int PadBottom { get; init; }

    public required int PadRight { get; init; }

    public required int DilationH { get; init; }

    public required int DilationW { get; init; }

    public required int OH { get; init; }

    public required int OW { get; init; }

    public bool CountIncludePad { get; init; }
}

/// <summary>GlobalAveragePool / GlobalMaxPool over [C, spatial].</summary>
public sealed record GlobalPoolLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required int Spatial { get; init; }
}

/// <summary>How <see cref="ResizeLayer"/> maps an output coordinate to an input one (ONNX coordinate_transformation_mode).</summary>
public enum ResizeCoordinates
{
    HalfPixel,
    Asymmetric,
    AlignCorners,
    PytorchHalfPixel,
}

/// <summary>How a nearest <see cref="ResizeLayer"/> rounds the input coordinate (ONNX nearest_mode).</summary>
public enum ResizeRounding
{
    RoundPreferFloor,
    RoundPreferCeil,
    Floor,
    Ceil,
}

/// <summary>
/// ONNX Resize, nearest on any axes or linear on the last two (bilinear): the output shape is the layer's output value's,
/// <see cref="Scales"/> the per-axis scale ONNX Runtime uses (given, or output/input when sizes were given).
/// </summary>
public sealed record ResizeLayer : Layer
{
    public required bool Linear { get; init; }

    public required ResizeCoordinates Coordinates { get; init; }

    public required ResizeRounding Rounding { get; init; }

    public required float[] Scales { get; init; }

    /// <summary>
    /// The input coordinate of output <paramref name="x"/> along an axis, in float as the ONNX reference computes it: the
    /// resized length is <c>input · scale</c> unrounded when the scale was given (the output size when it came from sizes).
    /// </summary>
    public static float Source(ResizeCoordinates mode, int x, float scale, int output, int input)
    {
        float resized = scale == (float)output / input ? output : input * scale;
        return mode switch
        {
            ResizeCoordinates.HalfPixel => ((x + 0.5f) / scale) - 0.5f,
            ResizeCoordinates.Asymmetric => x / scale,
            ResizeCoordinates.PytorchHalfPixel => resized > 1 ? ((x + 0.5f) / scale) - 0.5f : 0f,
            _ => resized == 1 ? 0f : x * (float)(input - 1) / (resized - 1),
        };
    }

    /// <summary>The input index nearest output <paramref name="x"/>, clamped to the axis.</summary>
    public static int Nearest(ResizeCoordinates mode, ResizeRounding rounding, int x, float scale, int output, int input)
    {
        float s = Source(mode, x, scale, output, input);
        double index = rounding switch
        {
            ResizeRounding.RoundPreferFloor => s == (long)s + 0.5f ? Math.Floor(s) : Math.Round(s, MidpointRounding.AwayFromZero),
            ResizeRounding.RoundPreferCeil => Math.Round(s, MidpointRounding.AwayFromZero),
            ResizeRounding.Floor => Math.Floor(s),
            _ => Math.Ceiling(s),
        };
        return (int)Math.Clamp(index, 0, input - 1);
    }
}
