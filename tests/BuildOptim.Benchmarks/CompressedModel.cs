using System.Globalization;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// A model compressed the way a build compresses it (<see cref="Compressor.Run"/>, gate off), to int8 with its QDQ
/// export and to fp32, into a temporary folder.
/// </summary>
/// <remarks>
/// BenchmarkDotNet runs each benchmark in its own process, so the artifacts are cached under the temp folder, keyed by
/// the model file and the build of the engine (module version id): the four benchmarks of a model compress it once.
/// </remarks>
public sealed class CompressedModel
{
    private CompressedModel(BenchmarkModel model, Network network, string int8Directory, string fp32Directory)
    {
        Model = model;
        Network = network;
        Int8PlanPath = Path.Combine(int8Directory, Compressor.PlanFileName);
        QdqModelPath = Path.Combine(int8Directory, QdqExporter.FileName);
        Fp32PlanPath = Path.Combine(fp32Directory, Compressor.PlanFileName);
    }

    public BenchmarkModel Model { get; }

    /// <summary>The lowered network (after the graph passes): shapes, names, activation sizes.</summary>
    public Network Network { get; }

    public string Int8PlanPath { get; }

    public string QdqModelPath { get; }

    public string Fp32PlanPath { get; }

    public static string CacheRoot => Path.Combine(Path.GetTempPath(), "buildoptim-benchmarks");

    /// <summary>The benchmark input: the first calibration sample.</summary>
    public float[] FirstInput() => DataSets.LoadInputs(Model.CalibrationPath, Network).Sample(0).ToArray();

    /// <summary>An ONNX Runtime session on <paramref name="modelPath"/> (the original or the QDQ export) bound to <paramref name="input"/> and <paramref name="output"/>.</summary>
    public OrtBoundSession OpenOrt(string modelPath, float[] input, float[] output)
    {
        long[] inputShape = Network.Value(Network.Inputs[0]).Shape.Select(d => (long)d).ToArray();
        long[] outputShape = Network.Value(Network.Outputs[0]).Shape.Select(d => (long)d).ToArray();
        return new OrtBoundSession(modelPath, Network.InputName, input, inputShape, Network.OutputName, output, outputShape);
    }

    /// <summary>The cache folder name of a model: its file's length and time stamp and the engine build.</summary>
    public static string Key(BenchmarkModel model)
    {
        var file = new FileInfo(model.ModelPath);
        return string.Create(CultureInfo.InvariantCulture, $"{model.Name}-{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}-{typeof(Compressor).Assembly.ManifestModule.ModuleVersionId:N}");
    }

    /// <summary>
    /// The model compressed with the gate off, so that <c>WeightBits="Auto"</c>, which searches with the gate, keeps 8 bits
    /// everywhere; <paramref name="gated"/>: as a build with the model's gate (<see cref="BenchmarkModel.MaxAccuracyDrop"/>,
    /// <see cref="BenchmarkModel.MinCosine"/>) compresses it, Auto keeping the 7-bit layers the gate accepts.
    /// </summary>
    public static CompressedModel Create(BenchmarkModel model, bool gated = false)
    {
        string root = Path.Combine(CacheRoot, Key(model) + (gated ? "-gated" : ""));
        string int8 = Path.Combine(root, "int8");
        string fp32 = Path.Combine(root, "fp32");
        var network = OnnxFrontEnd.Load(model.ModelPath);
        var result = new CompressedModel(model, network, int8, fp32);
        if (!File.Exists(result.Int8PlanPath) || !File.Exists(result.QdqModelPath))
        {
            var report = Compressor.Run(new CompressionOptions
            {
                ModelPath = model.ModelPath,
                OutputDirectory = int8,
                CalibrationPath = model.CalibrationPath,
                EvaluationPath = gated && model.GateOnCalibration ? null : model.EvaluationPath,
                Gate = gated ? GateMode.Warning : GateMode.Off,
                MaxAccuracyDrop = model.MaxAccuracyDrop,
                MinCosine = gated ? model.MinCosine : null,
                EmitOnnx = true,
            });
            Console.WriteLine($"// {report.SummaryLine}");
        }

        if (!File.Exists(result.Fp32PlanPath))
        {
            Compressor.Run(new CompressionOptions { ModelPath = model.ModelPath, OutputDirectory = fp32, Quantize = QuantizeMode.None, Gate = GateMode.Off });
        }

        return result;
    }
}
