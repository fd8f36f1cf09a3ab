using BuildOptim.Runtime.Data;

namespace BuildOptim.TestShared;

/// <summary>
/// ResNet-18 inputs made from Fashion-MNIST images, shared by the end-to-end tests and the benchmarks (linked into both):
/// each 28×28 image is nearest-neighbour upscaled to <see cref="Side"/>², normalized as (x − 0.45) / 0.225 and replicated
/// to 3 channels.
/// </summary>
internal static class ResNetInputs
{
    public const int Side = 224;

    /// <summary>The first <paramref name="count"/> images of <paramref name="evaluationNpz"/> as [count, 3, 224, 224] floats.</summary>
    public static float[] UpscaledFashionImages(string evaluationNpz, int count)
    {
        NdArray images = NpzReader.Read(evaluationNpz).Single(a => a.Name != "labels");
        if (images.SampleCount < count || images.SampleLength != 28 * 28)
        {
            throw new InvalidDataException($"{evaluationNpz}: expected at least {count} images of 28×28, got shape ({string.Join(", ", images.Shape)}).");
        }

        const int scale = Side / 28;
        const int plane = Side * Side;
        var data = new float[count * 3 * plane];
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<float> image = images.Sample(s);
            Span<float> first = data.AsSpan(s * 3 * plane, plane);
            for (int y = 0; y < Side; y++)
            {
                for (int x = 0; x < Side; x++)
                {
                    first[(y * Side) + x] = (image[(y / scale * 28) + (x / scale)] - 0.45f) / 0.225f;
                }
            }

            first.CopyTo(data.AsSpan((s * 3 * plane) + plane, plane));
            first.CopyTo(data.AsSpan((s * 3 * plane) + (2 * plane), plane));
        }

        return data;
    }
}
