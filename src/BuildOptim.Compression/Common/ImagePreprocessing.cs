namespace BuildOptim.Compression;

/// <summary>
/// How a folder of images becomes a model's input (<c>ImageSize</c>, <c>ImageLayout</c>, <c>ImageChannels</c>, <c>ImageScale</c>,
/// <c>ImageMean</c>, <c>ImageStd</c>): each image is decoded, resized to <see cref="Width"/> × <see cref="Height"/> (bilinear) when
/// it is not that size, and every channel value becomes <c>(pixel * Scale - Mean[c]) / Std[c]</c>, pixel in 0–255, computed in
/// double precision and stored as float. Unset members are taken from the model's input shape.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>1/255: pixels become values in [0, 1], as torchvision's <c>ToTensor</c> makes them.</summary>
    public const double DefaultScale = 1.0 / 255;

    public int? Width { get; init; }

    public int? Height { get; init; }

    /// <summary><c>NCHW</c> or <c>NHWC</c>; null: the model input's.</summary>
    public string? Layout { get; init; }

    /// <summary><c>RGB</c>, <c>BGR</c> or <c>Gray</c>; null: RGB for three channels, Gray for one.</summary>
    public string? Channels { get; init; }

    public double Scale { get; init; } = DefaultScale;

    /// <summary>One value for every channel, or one per channel in the order the model takes them.</summary>
    public double[] Mean { get; init; } = [0];

    /// <summary>As <see cref="Mean"/>; every value is positive.</summary>
    public double[] Std { get; init; } = [1];

    /// <summary>Whether any value differs from the defaults (some image metadata was given).</summary>
    public bool IsSet => Width is not null || Height is not null || Layout is not null || Channels is not null
        || Scale != DefaultScale || !Mean.SequenceEqual([0.0]) || !Std.SequenceEqual([1.0]);
}
