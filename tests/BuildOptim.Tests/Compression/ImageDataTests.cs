using System.Buffers.Binary;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Runtime.Data;
using SkiaSharp;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// Folders of images as calibration and evaluation data: real PNG and JPEG files written with SkiaSharp, read back into
/// the model's layout and compared with the preprocessing numpy would do (<c>np.float32((img * scale - mean) / std)</c>,
/// transposed to the model's layout), hostile files, and the Fashion-MNIST MLP gated on PNGs.
/// </summary>
public sealed class ImageDataTests : ScratchFolderTest
{
    private static readonly DataRole Calibration = new("Calibration", "Models/m.onnx");

    private static void WriteImage(string path, int width, int height, Func<int, int, SKColor> color, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color(x, y));
            }
        }

        using SKData data = bitmap.Encode(format, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    // Pixel (x, y) of the 3x2 test image: R = 10x + y, G = 100 + x, B = 200 - y.
    private static SKColor Gradient(int x, int y) => new((byte)((10 * x) + y), (byte)(100 + x), (byte)(200 - y));

    private static readonly double[] s_mean = [0.485, 0.456, 0.406];
    private static readonly double[] s_std = [0.229, 0.224, 0.225];

    private BuildOptim.Onnx.Ir.Network Model(params int[] dims) =>
        OneInputModel.Write(Path.Combine(Root, "model-" + string.Join("x", dims)), 13, dims, b => b.Node("Relu", "relu", ["x"], ["y"]), seed: 1, samples: 1, low: 0, width: 1).Network;

    private static float Numpy(int pixel, int channel, double scale = 1.0 / 255) => (float)(((pixel * scale) - s_mean[channel]) / s_std[channel]);

    [Fact]
    public void Rgb_pngs_become_nchw_values_normalized_as_numpy_does()
    {
        WriteImage(Path.Combine(Root, "images", "b.png"), 3, 2, (x, y) => Gradient(2 - x, y));
        WriteImage(Path.Combine(Root, "images", "a.png"), 3, 2, Gradient);
        var model = Model(3, 2, 3);

        var arrays = ImageData.Read(Path.Combine(Root, "images"), new ImagePreprocessing { Mean = s_mean, Std = s_std }, model, Calibration);

        NdArray images = Assert.Single(arrays);
        Assert.Equal([2, 3, 2, 3], images.Shape);
        float[] a = images.Sample(0).ToArray(); // a.png first: ordinal order of the file names
        // Worked by hand: pixel (2,1) is (21, 102, 199); (21/255 - 0.485) / 0.229 = -1.7582841, (102/255 - 0.456) / 0.224 = -0.25, ...
        Assert.Equal(-1.758284091949463f, a[(0 * 6) + (1 * 3) + 2]);
        Assert.Equal(-0.25f, a[(1 * 6) + (1 * 3) + 2]);
        Assert.Equal(1.663965106010437f, a[(2 * 6) + (1 * 3) + 2]);
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < 2; y++)
            {
                for (int x = 0; x < 3; x++)
                {
                    SKColor p = Gradient(x, y);
                    int pixel = c == 0 ? p.Red : c == 1 ? p.Green : p.Blue;
                    Assert.Equal(Numpy(pixel, c), a[(c * 6) + (y * 3) + x]);
                    SKColor q = Gradient(2 - x, y);
                    Assert.Equal(Numpy(c == 0 ? q.Red : c == 1 ? q.Green : q.Blue, c), images.Sample(1)[(c * 6) + (y * 3) + x]);
                }
            }
        }
    }

    [Fact]
    public void An_nhwc_model_gets_interleaved_channels_in_BGR_order_when_asked()
    {
        WriteImage(Path.Combine(Root, "images", "a.png"), 3, 2, Gradient);
        var model = Model(2, 3, 3); // [batch, height 2, width 3, channels 3]: NHWC by its shape (the builder adds the batch)

        var arrays = ImageData.Read(Path.Combine(Root, "images"), new ImagePreprocessing { Channels = "BGR", Scale = 1, Mean = [0], Std = [2] }, model, Calibration);

        float[] a = Assert.Single(arrays).Sample(0).ToArray();
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                SKColor p = Gradient(x, y);
                int at = ((y * 3) + x) * 3;
                Assert.Equal([p.Blue / 2f, p.Green / 2f, p.Red / 2f], a[at..(at + 3)]);
            }
        }
    }

    [Fact]
    public void Images_of_another_size_are_resized_to_the_models_and_a_jpeg_decodes_close_to_its_source()
    {
        WriteImage(Path.Combine(Root, "images", "big.png"), 17, 11, (_, _) => new SKColor(40, 80, 120));
        WriteImage(Path.Combine(Root, "images", "photo.jpg"), 5, 4, (_, _) => new SKColor(128, 128, 128), SKEncodedImageFormat.Jpeg);
        var model = Model(3, 2, 3);

        var images = Assert.Single(ImageData.Read(Path.Combine(Root, "images"), new ImagePreprocessing { Scale = 1 }, model, Calibration));

        Assert.Equal(2, images.SampleCount);
        Assert.All(images.Sample(0)[..6].ToArray(), v => Assert.Equal(40f, v)); // a uniform image stays uniform: R plane
        Assert.All(images.Sample(0)[12..].ToArray(), v => Assert.Equal(120f, v)); // B plane
        Assert.All(images.Sample(1).ToArray(), v => Assert.InRange(v, 126f, 130f));
    }

    [Fact]
    public void Class_subfolders_give_labels_in_ordinal_order_of_their_names()
    {
        WriteImage(Path.Combine(Root, "eval", "1-trouser", "x.png"), 3, 2, (_, _) => SKColors.White);
        WriteImage(Path.Combine(Root, "eval", "0-tshirt", "y.png"), 3, 2, (_, _) => SKColors.Black);
        WriteImage(Path.Combine(Root, "eval", "0-tshirt", "z.png"), 3, 2, (_, _) => SKColors.Black);
        var model = Model(3, 2, 3);

        var arrays = ImageData.Read(Path.Combine(Root, "eval"), new ImagePreprocessing(), model, Calibration);

        Assert.Equal([0f, 0f, 1f], arrays.Single(a => a.Name == DataSets.LabelsArrayName).Data);
        Assert.Equal(0f, arrays[0].Sample(0)[0]);
        Assert.Equal(1f, arrays[0].Sample(2)[0]);
    }

    [Fact]
    public void A_folder_of_onnx_test_data_sets_stays_test_data_even_with_a_picture_beside_them()
    {
        string folder = Path.Combine(Root, "sets");
        Directory.CreateDirectory(Path.Combine(folder, "test_data_set_0"));
        WriteImage(Path.Combine(folder, "diagram.png"), 4, 4, (_, _) => SKColors.White);

        Assert.False(ImageData.IsImageFolder(folder));

        string images = Path.Combine(Root, "images");
        WriteImage(Path.Combine(images, "a.png"), 4, 4, (_, _) => SKColors.White);
        Assert.True(ImageData.IsImageFolder(images));
    }

    [Fact]
    public void Image_metadata_with_no_image_data_is_warning_BOPT1210_and_the_build_goes_on()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.FashionMlp, "--calibration", Models.FashionCalibration, "--evaluation", Models.FashionEvaluation, "--image-size", "28,28", "--out", Path.Combine(Root, "out")],
            stdout, stderr);

        string all = stdout + "\n" + stderr;
        Assert.True(exit == 0, all);
        string warning = Assert.Single(all.Split('\n'), l => l.Contains("BOPT1210", StringComparison.Ordinal));
        Assert.Contains("warning", warning);
        Assert.Contains("none of its data is a folder of images", warning);
    }

    [Fact]
    public void A_file_that_does_not_decode_is_BOPT1102_naming_the_file_and_the_item()
    {
        WriteImage(Path.Combine(Root, "images", "good.png"), 3, 2, Gradient);
        File.WriteAllBytes(Path.Combine(Root, "images", "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5]);

        var e = Assert.Throws<DataFormatException>(() => ImageData.Read(Path.Combine(Root, "images"), new ImagePreprocessing(), Model(3, 2, 3), Calibration));

        Assert.Equal("BOPT1102", e.Code);
        Assert.EndsWith("broken.png", e.FilePath);
        Assert.Contains("Calibration data", e.Message);
        Assert.Contains("'Models/m.onnx'", e.Message);
    }

    [Fact]
    public void An_image_whose_header_claims_too_many_pixels_is_BOPT1108_before_anything_is_decoded()
    {
        string path = Path.Combine(Root, "images", "bomb.png");
        WriteImage(path, 3, 2, Gradient);
        byte[] png = File.ReadAllBytes(path);
        // IHDR: length (4) "IHDR" (4) width (4) height (4) ... CRC over type and data.
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 30_000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 30_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        File.WriteAllBytes(path, png);
        var model = Model(3, 2, 3);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(() => ImageData.Read(Path.Combine(Root, "images"), new ImagePreprocessing(), model, Calibration));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("BOPT1108", e.Code);
        Assert.Contains("30000x30000", e.Message);
        Assert.Contains("'Models/m.onnx'", e.Message);
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated: the image was decoded");
    }

    [Theory]
    [InlineData(new[] { 784 }, null, "set ImageSize")]
    [InlineData(new[] { 3, 2, 3 }, "Gray", "Gray images do not give")]
    [InlineData(new[] { 784 }, "RGB", "RGB images do not give")]
    public void Images_that_cannot_fill_the_input_are_BOPT1105_saying_what_to_set(int[] dims, string? channels, string expected)
    {
        WriteImage(Path.Combine(Root, "images", "a.png"), 28, 28, Gradient);
        var preprocessing = new ImagePreprocessing { Channels = channels, Width = channels == "RGB" ? 28 : null, Height = channels == "RGB" ? 28 : null };

        var e = Assert.Throws<CompressionException>(() => ImageData.Read(Path.Combine(Root, "images"), preprocessing, Model(dims), Calibration));

        Assert.Equal("BOPT1105", e.Code);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Fashion_mnist_pngs_calibrate_and_gate_the_mlp_through_the_cli_with_labels_from_class_folders()
    {
        NdArray calibration = NpyReader.Read(Models.FashionCalibration);
        var evaluation = NpzReader.Read(Models.FashionEvaluation);
        NdArray evalImages = evaluation.Single(a => a.Name != "labels");
        float[] labels = evaluation.Single(a => a.Name == "labels").Data.ToArray();
        void Png(string path, ReadOnlySpan<float> sample)
        {
            float[] values = sample.ToArray();
            WriteImage(path, 28, 28, (x, y) => { byte v = (byte)Math.Round(values[(y * 28) + x] * 255); return new SKColor(v, v, v); });
        }

        const int Count = 200;
        for (int i = 0; i < Count; i++)
        {
            Png(Path.Combine(Root, "calib", $"{i:D5}.png"), calibration.Sample(i));
            Png(Path.Combine(Root, "eval", ((int)labels[i]).ToString(System.Globalization.CultureInfo.InvariantCulture), $"{i:D5}.png"), evalImages.Sample(i));
        }

        // The PNGs read back as the .npy holds them: Fashion-MNIST pixels are k/255.
        var read = Assert.Single(ImageData.Read(Path.Combine(Root, "calib"), new ImagePreprocessing { Width = 28, Height = 28 }, Models.Lower(Models.FashionMlp), Calibration));
        for (int i = 0; i < Count; i++)
        {
            float[] expected = calibration.Sample(i).ToArray();
            float[] actual = read.Sample(i).ToArray();
            Assert.All(Enumerable.Range(0, 784), j => Assert.Equal(expected[j], actual[j], 1e-6f));
        }

        string output = Path.Combine(Root, "out");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.FashionMlp, "--calibration", Path.Combine(Root, "calib"), "--evaluation", Path.Combine(Root, "eval"), "--image-size", "28,28", "--image-channels", "Gray", "--max-accuracy-drop", "2", "--out", output],
            stdout, stderr);

        Assert.True(exit == 0, stdout + "\n" + stderr);
        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, Compressor.ReportFileName)));
        double accuracy = report.RootElement.GetProperty("original").GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0.7, 1.0); // the labels came from the folder names: a wrong mapping gives ~0.1
        Assert.True(report.RootElement.GetProperty("gate").GetProperty("passed").GetBoolean());

        // The report records the preprocessing the images were read with, as asked (null: the model input's).
        var image = report.RootElement.GetProperty("options").GetProperty("image");
        Assert.Equal(28, image.GetProperty("width").GetInt32());
        Assert.Equal("Gray", image.GetProperty("channels").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, image.GetProperty("layout").ValueKind);
        Assert.Equal(1.0 / 255, image.GetProperty("scale").GetDouble(), 12);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
