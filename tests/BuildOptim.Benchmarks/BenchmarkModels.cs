using System.Reflection;
using BuildOptim.Compression.Reporting;
using BuildOptim.TestShared;

namespace BuildOptim.Benchmarks;

/// <summary>A model to benchmark and the data its int8 plan is calibrated (and gated) on.</summary>
public sealed record BenchmarkModel(string Name, string ModelPath, string CalibrationPath, string EvaluationPath)
{
    /// <summary>The build's MaxAccuracyDrop for a gated compression (<see cref="CompressedModel.Create"/>): the sample's 0.5, else the default 1.</summary>
    public double MaxAccuracyDrop { get; init; } = 1.0;

    /// <summary>The build's MinCosine for a gated compression, if it sets one.</summary>
    public double? MinCosine { get; init; }

    /// <summary>Whether a gated compression evaluates on the calibration data (a build given no Evaluation), not on <see cref="EvaluationPath"/>.</summary>
    public bool GateOnCalibration { get; init; }
}

/// <summary>The models of docs/benchmarks.md, found in the repository and the restored NuGet packages.</summary>
public static class BenchmarkModels
{
    public const int ResNet18CalibrationSamples = 8;
    private const int ResNet18Side = ResNetInputs.Side;

    public static string RepoRoot => Metadata("RepoRoot");

    public static BenchmarkModel FashionMlp => Sample("FashionMnist", "fashion_mlp") with { MaxAccuracyDrop = 0.5 };

    /// <summary>The FashionCnn sample (BatchNorm, depthwise conv, ReLU6, residual add).</summary>
    public static BenchmarkModel FashionCnn => Sample("FashionCnn", "fashion_cnn") with { MaxAccuracyDrop = 0.5 };

    /// <summary>
    /// ResNet-18 (CNTK export, 224×224) from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package, calibrated on the first
    /// 8 Fashion-MNIST evaluation images, nearest-neighbour upscaled 28→224, replicated to 3 channels, (x − 0.45) / 0.225.
    /// </summary>
    public static BenchmarkModel ResNet18(string dataDirectory)
    {
        string model = Metadata("ResNet18Model");
        if (!File.Exists(model))
        {
            throw new FileNotFoundException($"ResNet18.onnx is not at '{model}': restore tests/BuildOptim.Benchmarks.", model);
        }

        Directory.CreateDirectory(dataDirectory);
        string calibration = Path.Combine(dataDirectory, "resnet18_calib.npy");
        string evaluation = Path.Combine(dataDirectory, "resnet18_eval.npy");
        var images = ResNetInputs.UpscaledFashionImages(Path.Combine(RepoRoot, "samples", "FashionMnist", "Data", "eval.npz"), ResNet18CalibrationSamples);
        NpyWriter.WriteFloat32(calibration, images, [ResNet18CalibrationSamples, 3, ResNet18Side, ResNet18Side]);
        // The sensitivity analysis runs the plan once per layer and sample: one sample keeps the setup short.
        NpyWriter.WriteFloat32(evaluation, images.AsSpan(0, 3 * ResNet18Side * ResNet18Side), [1, 3, ResNet18Side, ResNet18Side]);
        // Gated as the EndToEnd ResNet-18 build is: MinCosine 0.99 on its 8 calibration images.
        return new BenchmarkModel("resnet18", model, calibration, evaluation) { MinCosine = 0.99, GateOnCalibration = true };
    }

    /// <summary>
    /// The MobileNetV3-small export of tests/TestData/families (28×28 one-channel input: hard-swish, squeeze-excitation,
    /// depthwise 3×3 and 5×5), calibrated and evaluated on the FashionCnn sample's data, as <c>ExportedFamilyTests</c> does.
    /// </summary>
    public static BenchmarkModel MobileNetV3
    {
        get
        {
            var data = FashionCnn;
            return new BenchmarkModel("mobilenet_v3_small", Path.Combine(RepoRoot, "tests", "TestData", "families", "mobilenet_v3_small.onnx"), data.CalibrationPath, data.EvaluationPath);
        }
    }

    private static BenchmarkModel Sample(string sample, string name)
    {
        string folder = Path.Combine(RepoRoot, "samples", sample);
        var model = new BenchmarkModel(name, Path.Combine(folder, "Models", name + ".onnx"), Path.Combine(folder, "Data", "calib.npy"), Path.Combine(folder, "Data", "eval.npz"));
        foreach (string path in new[] { model.ModelPath, model.CalibrationPath, model.EvaluationPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"'{path}' is missing: the {sample} sample is not complete in this clone.", path);
            }
        }

        return model;
    }

    private static string Metadata(string key)
        => typeof(BenchmarkModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
            ?? throw new InvalidOperationException($"Assembly metadata '{key}' is empty.");
}
