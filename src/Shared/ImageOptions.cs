using System;
using System.Globalization;

namespace BuildOptim;

/// <summary>
/// The values of the image metadata (<c>ImageSize</c>, <c>ImageMean</c>, <c>ImageStd</c>), read the same way by the task
/// (for an early BOPT1201) and by the engine.
/// </summary>
internal static class ImageOptions
{
    /// <summary>Widest and tallest image a model input may take, in pixels.</summary>
    public const int MaxSide = 4096;

    /// <summary><c>width,height</c>, each from 1 to <see cref="MaxSide"/>.</summary>
    public static bool TryParseSize(string text, out int width, out int height)
    {
        width = height = 0;
        string[] parts = text.Split(',');
        return parts.Length == 2
            && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out width)
            && int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out height)
            && width is >= 1 and <= MaxSide && height is >= 1 and <= MaxSide;
    }

    /// <summary>One finite number, or one per channel (three), comma-separated, invariant culture; <paramref name="positive"/> for divisors.</summary>
    public static bool TryParseChannelValues(string text, bool positive, out double[] values)
    {
        string[] parts = text.Split(',');
        values = new double[parts.Length];
        if (parts.Length is not (1 or 3))
        {
            return false;
        }

        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])
                || double.IsNaN(values[i]) || double.IsInfinity(values[i]) || (positive && !(values[i] > 0)))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidSize(string text) => TryParseSize(text, out _, out _);

    public static bool IsValidMean(string text) => TryParseChannelValues(text, positive: false, out _);

    public static bool IsValidStd(string text) => TryParseChannelValues(text, positive: true, out _);
}
