using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using SkiaSharp;

namespace BuildOptim.Compression.Evaluation;

/// <summary>
/// A folder of images as calibration or evaluation data (<see cref="ImagePreprocessing"/>): the image files directly in the
/// folder, in ordinal order of their names; or, when it holds none, the images of its subfolders, each subfolder a class
/// whose id is its rank in ordinal order of the subfolder names (as torchvision's <c>ImageFolder</c>), which gives the
/// <c>labels</c> array. Images are decoded with SkiaSharp at build time only; the app never sees this code.
/// </summary>
/// <remarks>
/// Image files are untrusted input: a file's size is bounded before it is read and an image's pixel count is read
/// from its header and bounded before it is decoded (BOPT1108); a file that does not decode is BOPT1102. Both name the
/// file and the item.
/// </remarks>
internal static class ImageData
{
    /// <summary>Largest image file read, in bytes.</summary>
    public const long MaxFileBytes = 128L * 1024 * 1024;

    /// <summary>Largest image decoded, in pixels (its header says how many before anything is decoded).</summary>
    public const long MaxSourcePixels = 40_000_000;

    public const int MaxImages = 100_000;

    /// <summary>Most float values all the images of one folder may become together (1 GiB).</summary>
    public const long MaxTotalValues = 1L << 28;

    private static readonly string[] s_extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    public static bool IsImage(string path) => s_extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>A folder with image files in it or in its subfolders, and no ONNX <c>test_data_set_*</c> folder (a picture beside those is not data).</summary>
    public static bool IsImageFolder(string path) => Directory.Exists(path)
        && !Directory.EnumerateDirectories(path, TestDataFolder.SetPattern).Any() // ONNX test data sets, whatever else lies beside them
        && (Directory.EnumerateFiles(path).Any(IsImage) || Directory.EnumerateDirectories(path).Any(d => Directory.EnumerateFiles(d).Any(IsImage)));

    /// <summary>What the model input takes: size, channels, layout and channel order.</summary>
    internal readonly record struct Geometry(int Width, int Height, int Channels, bool Nhwc, string Order);

    /// <summary>The model input's array and, with class subfolders, <c>labels</c>.</summary>
    public static IReadOnlyList<NdArray> Read(string folder, ImagePreprocessing preprocessing, Network model, DataRole role)
    {
        Geometry g = Resolve(preprocessing, model, folder, role);
        var (files, labels) = List(folder, role);
        long length = (long)g.Width * g.Height * g.Channels;
        if (files.Count * length > MaxTotalValues)
        {
            throw new DataFormatException(DataErrorCodes.SizeBudgetExceeded, folder,
                $"{role.Describe(folder)}: {files.Count} images of {g.Width}x{g.Height}x{g.Channels} make {files.Count * length} values, more than the {MaxTotalValues} BuildOptim reads from one folder; use fewer images.");
        }

        var data = new float[files.Count * length];
        for (int i = 0; i < files.Count; i++)
        {
            Decode(files[i], g, preprocessing, data.AsSpan((int)(i * length), (int)length), role);
        }

        int[] shape = model.InputShape.Length == 3 ? [files.Count, .. model.InputShape] : [files.Count, (int)length];
        var arrays = new List<NdArray> { new(model.InputName, ElementKind.Float32, shape, data, folder) };
        if (labels is not null)
        {
            arrays.Add(new NdArray(DataSets.LabelsArrayName, ElementKind.Int64, [labels.Length], labels, folder));
        }

        return arrays;
    }

    internal static Geometry Resolve(ImagePreprocessing p, Network model, string folder, DataRole role)
    {
        CompressionException Mismatch(string message) => new(Diagnostics.DataShapeMismatch, folder, $"{role.Describe(folder)} is a folder of images: {message}");

        if (model.Inputs.Count != 1)
        {
            throw Mismatch($"images feed a model with one input, and this one has {model.Inputs.Count}.");
        }

        int[] s = model.InputShape;
        string shape = $"[batch,{string.Join(",", s)}]";
        bool nhwc = p.Layout == "NHWC" || (p.Layout is null && s.Length == 3 && s[0] is not (1 or 3) && s[2] is 1 or 3);
        int width, height, channels;
        if (s.Length == 3)
        {
            (channels, height, width) = nhwc ? (s[2], s[0], s[1]) : (s[0], s[1], s[2]);
            if (p.Width is { } w && p.Height is { } h && (w != width || h != height))
            {
                throw Mismatch($"ImageSize {w},{h} (width,height), but model input '{model.InputName}' {shape} in {(nhwc ? "NHWC" : "NCHW")} takes {width}x{height} images; leave ImageSize out to take the model's, or set ImageLayout.");
            }
        }
        else
        {
            if (p.Width is not { } w || p.Height is not { } h)
            {
                throw Mismatch($"model input '{model.InputName}' {shape} is not [channels,height,width] or [height,width,channels]; set ImageSize (width,height) to say how the images fill it.");
            }

            (width, height) = (w, h);
            long pixels = (long)w * h;
            channels = model.InputLength % pixels == 0 ? (int)(model.InputLength / pixels) : 0;
        }

        string order = p.Channels ?? (channels == 3 ? "RGB" : "Gray");
        if (channels is not (1 or 3) || (channels == 1) != (order == "Gray"))
        {
            throw Mismatch($"model input '{model.InputName}' {shape} takes {(channels is 1 or 3 ? channels.ToString(System.Globalization.CultureInfo.InvariantCulture) : "a number of")} channels of {width}x{height} pixels, which {order} images do not give (1 channel: Gray; 3: RGB or BGR). Check ImageSize, ImageLayout and ImageChannels.");
        }

        foreach (var (name, values) in new[] { ("ImageMean", p.Mean), ("ImageStd", p.Std) })
        {
            if (values.Length != 1 && values.Length != channels)
            {
                throw new CompressionException(Diagnostics.InvalidOption, folder, $"{role.Describe(folder)}: {name} has {values.Length} values, but the model takes {channels} channel(s): give one value, or one per channel.");
            }
        }

        return new Geometry(width, height, channels, nhwc, order);
    }

    /// <summary>The image files in order and, with class subfolders, each one's class id.</summary>
    private static (List<string> Files, float[]? Labels) List(string folder, DataRole role)
    {
        var direct = Directory.EnumerateFiles(folder).Where(IsImage).OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (direct.Count > 0)
        {
            return (Cap(direct, folder, role), null);
        }

        var files = new List<string>();
        var labels = new List<float>();
        var classes = Directory.EnumerateDirectories(folder).OrderBy(d => d, StringComparer.Ordinal).ToList();
        for (int c = 0; c < classes.Count; c++)
        {
            foreach (string file in Directory.EnumerateFiles(classes[c]).Where(IsImage).OrderBy(f => f, StringComparer.Ordinal))
            {
                files.Add(file);
                labels.Add(c);
            }
        }

        return (Cap(files, folder, role), labels.ToArray());
    }

    private static List<string> Cap(List<string> files, string folder, DataRole role) => files.Count <= MaxImages ? files
        : throw new DataFormatException(DataErrorCodes.SizeBudgetExceeded, folder, $"{role.Describe(folder)} holds {files.Count} images; BuildOptim reads at most {MaxImages}.");

    /// <summary>Decodes one image into <paramref name="destination"/> in the model's layout and channel order.</summary>
    private static void Decode(string file, Geometry g, ImagePreprocessing p, Span<float> destination, DataRole role)
    {
        var info = new FileInfo(file);
        if (info.Length > MaxFileBytes)
        {
            throw new DataFormatException(DataErrorCodes.SizeBudgetExceeded, file, $"{role.Describe(file)}: the image file is {info.Length} bytes; BuildOptim reads image files of at most {MaxFileBytes}.");
        }

        using SKData encoded = SKData.Create(file)
            ?? throw new DataFormatException(DataErrorCodes.Malformed, file, $"{role.Describe(file)}: the image file could not be read.");
        using SKCodec? codec = SKCodec.Create(encoded);
        if (codec is null)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, file, $"{role.Describe(file)} is not an image SkiaSharp can decode (PNG, JPEG, BMP, GIF or WebP).");
        }

        // The header's size, bounded before a single pixel is decoded.
        long pixels = (long)codec.Info.Width * codec.Info.Height;
        if (codec.Info.Width <= 0 || codec.Info.Height <= 0 || pixels > MaxSourcePixels)
        {
            throw new DataFormatException(DataErrorCodes.SizeBudgetExceeded, file, $"{role.Describe(file)} is {codec.Info.Width}x{codec.Info.Height} pixels; BuildOptim decodes images of at most {MaxSourcePixels} pixels.");
        }

        var decodedInfo = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(decodedInfo);
        SKCodecResult result = codec.GetPixels(decodedInfo, decoded.GetPixels());
        if (result != SKCodecResult.Success)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, file, $"{role.Describe(file)} could not be decoded ({result}).");
        }

        SKBitmap pixelsOf = decoded;
        SKBitmap? resized = null;
        try
        {
            if (decoded.Width != g.Width || decoded.Height != g.Height)
            {
                resized = decoded.Resize(new SKImageInfo(g.Width, g.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None))
                    ?? throw new DataFormatException(DataErrorCodes.Malformed, file, $"{role.Describe(file)} could not be resized to {g.Width}x{g.Height}.");
                pixelsOf = resized;
            }

            Fill(pixelsOf.GetPixelSpan(), g, p, destination);
        }
        finally
        {
            resized?.Dispose();
        }
    }

    /// <summary>RGBA bytes, row-major, to the model's values: <c>(pixel * Scale - Mean[c]) / Std[c]</c> in double, stored as float.</summary>
    internal static void Fill(ReadOnlySpan<byte> rgba, Geometry g, ImagePreprocessing p, Span<float> destination)
    {
        int plane = g.Width * g.Height;
        for (int i = 0; i < plane; i++)
        {
            byte r = rgba[4 * i], gr = rgba[(4 * i) + 1], b = rgba[(4 * i) + 2];
            for (int c = 0; c < g.Channels; c++)
            {
                double pixel = g.Order switch
                {
                    // A gray image decodes to r = g = b: take it as it is, not through a weighted sum that rounds.
                    "Gray" => r == gr && gr == b ? r : (0.299 * r) + (0.587 * gr) + (0.114 * b),
                    "BGR" => c == 0 ? b : c == 1 ? gr : r,
                    _ => c == 0 ? r : c == 1 ? gr : b,
                };
                double mean = p.Mean.Length == 1 ? p.Mean[0] : p.Mean[c];
                double std = p.Std.Length == 1 ? p.Std[0] : p.Std[c];
                destination[g.Nhwc ? (i * g.Channels) + c : (c * plane) + i] = (float)(((pixel * p.Scale) - mean) / std);
            }
        }
    }
}
