using System.Globalization;
using BenchmarkDotNet.Attributes;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Onnx;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// The compressions beyond int8 against the plain int8 plan of the same model (the baseline, ratio 1.00), one inference
/// at batch 1 through <see cref="PlanRunner"/>: does the smaller model also run faster? The setup prints each plan's
/// size and its accuracy on the evaluation set.
/// </summary>
[MemoryDiagnoser]
public abstract class CompressionBenchmarks
{
    private readonly Dictionary<string, PlanRunner> _runners = [];
    private float[] _input = [];
    private float[] _output = [];

    protected abstract BenchmarkModel Model { get; }

    /// <summary>The variants by benchmark name: options on top of the model's int8 defaults.</summary>
    protected abstract IReadOnlyDictionary<string, Func<CompressionOptions, CompressionOptions>> Variants { get; }

    protected PlanRunner Runner(string variant) => _runners[variant];

    protected float[] Input => _input;

    protected float[] Output => _output;

    [GlobalSetup]
    public void Setup()
    {
        var network = OnnxFrontEnd.Load(Model.ModelPath);
        _input = DataSets.LoadInputs(Model.CalibrationPath, network).Sample(0).ToArray();
        _output = new float[network.OutputLength];
        foreach (var (name, configure) in Variants)
        {
            string directory = Path.Combine(CompressedModel.CacheRoot, CompressedModel.Key(Model), "variants", name);
            string plan = Path.Combine(directory, Compressor.PlanFileName);
            var options = configure(new CompressionOptions
            {
                ModelPath = Model.ModelPath,
                OutputDirectory = directory,
                CalibrationPath = Model.CalibrationPath,
                EvaluationPath = Model.EvaluationPath,
                Gate = GateMode.Off,
            });
            if (!File.Exists(plan))
            {
                Console.WriteLine($"// {name}: {Compressor.Run(options).SummaryLine}");
            }

            _runners[name] = new PlanRunner(ModelPlan.FromFile(plan));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {name}: plan {new FileInfo(plan).Length:N0} B, ScratchBytes {_runners[name].ScratchBytes:N0} B"));
        }
    }
}

/// <summary>The Fashion-MNIST MLP: int8, then 50 % of its neurons removed (<c>Prune="Neurons"</c>), then 16-cluster sharing.</summary>
public class FashionMlpCompressionBenchmarks : CompressionBenchmarks
{
    protected override BenchmarkModel Model => BenchmarkModels.FashionMlp;

    protected override IReadOnlyDictionary<string, Func<CompressionOptions, CompressionOptions>> Variants { get; } = new Dictionary<string, Func<CompressionOptions, CompressionOptions>>
    {
        ["int8"] = o => o,
        ["neurons50"] = o => o with { Prune = PruneMode.Neurons, Sparsity = 0.5 },
        ["shared16"] = o => o with { ShareWeights = 16 },
    };

    [Benchmark(Baseline = true)]
    public void Int8() => Runner("int8").Run(Input, Output);

    [Benchmark]
    public void Int8Neurons50() => Runner("neurons50").Run(Input, Output);

    [Benchmark]
    public void Int8Shared16() => Runner("shared16").Run(Input, Output);
}

/// <summary>The FashionCnn sample: int8, then 16-cluster sharing, then 50 % of its channels removed.</summary>
public class FashionCnnCompressionBenchmarks : CompressionBenchmarks
{
    protected override BenchmarkModel Model => BenchmarkModels.FashionCnn;

    protected override IReadOnlyDictionary<string, Func<CompressionOptions, CompressionOptions>> Variants { get; } = new Dictionary<string, Func<CompressionOptions, CompressionOptions>>
    {
        ["int8"] = o => o,
        ["shared16"] = o => o with { ShareWeights = 16 },
        ["neurons50"] = o => o with { Prune = PruneMode.Neurons, Sparsity = 0.5 },
    };

    [Benchmark(Baseline = true)]
    public void Int8() => Runner("int8").Run(Input, Output);

    [Benchmark]
    public void Int8Shared16() => Runner("shared16").Run(Input, Output);

    [Benchmark]
    public void Int8Channels50() => Runner("neurons50").Run(Input, Output);
}
