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
    HalfPixelSymmetric,

    /// <summary>The region of interest <see cref="ResizeLayer.Roi"/> of the input, resized; outputs outside the input take <see cref="ResizeLayer.ExtrapolationValue"/>.</summary>
    TfCropAndResize,
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
/// ONNX Resize, nearest, linear or cubic on any axes: the output shape is the layer's output value's, <see cref="Scales"/> the
/// per-axis scale ONNX Runtime uses (given, or output/input when sizes were given).
/// </summary>
public sealed record ResizeLayer : Layer
{
    public required bool Linear { get; init; }

    public required ResizeCoordinates Coordinates { get; init; }

    public required ResizeRounding Rounding { get; init; }

    public required float[] Scales { get; init; }

    /// <summary>Bicubic (ONNX mode "cubic"); <see cref="Linear"/> is then false.</summary>
    public bool Cubic { get; init; }

    /// <summary>The cubic kernel's <c>a</c> (cubic_coeff_a).</summary>
    public float CubicCoefficientA { get; init; } = -0.75f;

    /// <summary>Cubic taps outside the input weigh 0 and the others are renormalized (exclude_outside).</summary>
    public bool ExcludeOutside { get; init; }

    /// <summary>With <see cref="ResizeCoordinates.TfCropAndResize"/>: per axis its start, then per axis its end, as fractions of the input.</summary>
    public float[]? Roi { get; init; }

    /// <summary>With <see cref="ResizeCoordinates.TfCropAndResize"/>: the value of outputs whose source lies outside the input.</summary>
    public float ExtrapolationValue { get; init; }

    /// <summary>
    /// The input coordinate of output <paramref name="x"/> along <paramref name="axis"/> as ONNX Runtime computes it for its
    /// linear and cubic modes (the resized length is the output size): half_pixel_symmetric and tf_crop_and_resize here,
    /// the others as <see cref="Source"/> does.
    /// </summary>
    public float SourceOf(int axis, int x, int output, int input)
    {
        float scale = Scales[axis];
        switch (Coordinates)
        {
            case ResizeCoordinates.TfCropAndResize:
            {
                int rank = Scales.Length;
                float start = Roi is null ? 0 : Roi[axis], end = Roi is null ? 1 : Roi[rank + axis];
                return output > 1
                    ? (start * (input - 1)) + (x * (end - start) * (input - 1) / (output - 1))
                    : (float)(0.5 * (start + end) * (input - 1));
            }

            case ResizeCoordinates.HalfPixelSymmetric:
            {
                float resized = scale * input;
                float adjustment = output / resized;
                float center = input / 2f;
                float offset = center * (1 - adjustment);
                return offset + ((x + 0.5f) / scale) - 0.5f;
            }

            case ResizeCoordinates.AlignCorners:
                return output == 1 ? 0f : x * (float)(input - 1) / (output - 1);
            default:
                return Source(Coordinates, x, scale, output, input);
        }
    }

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
        => Round(rounding, Source(mode, x, scale, output, input), input);

    /// <summary>The input index nearest coordinate <paramref name="s"/> by <paramref name="rounding"/>, clamped to the axis.</summary>
    public static int Round(ResizeRounding rounding, float s, int input)
    {
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
