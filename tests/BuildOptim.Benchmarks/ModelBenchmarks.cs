using System.Globalization;
using BenchmarkDotNet.Attributes;
using BuildOptim.Runtime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// One inference at batch 1, four ways: the BuildOptim int8 plan (<see cref="PlanRunner.Run(ReadOnlySpan{float}, Span{float})"/>,
/// exactly what the generated class calls), the BuildOptim fp32 plan, ONNX Runtime fp32 on the original model (the
/// baseline of the ratios) and ONNX Runtime on the QDQ export of the int8 plan.
/// </summary>
[MemoryDiagnoser]
public abstract class ModelBenchmarks
{
    private float[] _input = [];
    private float[] _output = [];
    private PlanRunner _int8 = null!;
    private PlanRunner _fp32 = null!;
    private OrtBoundSession _ortFp32 = null!;
    private OrtBoundSession _ortInt8 = null!;

    protected abstract BenchmarkModel Model { get; }

    [GlobalSetup]
    public void Setup()
    {
        var compressed = CompressedModel.Create(Model);
        _input = compressed.FirstInput();
        _output = new float[compressed.Network.OutputLength];
        _int8 = new PlanRunner(ModelPlan.FromFile(compressed.Int8PlanPath));
        _fp32 = new PlanRunner(ModelPlan.FromFile(compressed.Fp32PlanPath));
        _ortFp32 = compressed.OpenOrt(compressed.Model.ModelPath, _input, _output);
        _ortInt8 = compressed.OpenOrt(compressed.QdqModelPath, _input, _output);
        Describe(compressed);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ortFp32.Dispose();
        _ortInt8.Dispose();
    }

    [Benchmark]
    public void BuildOptimInt8() => _int8.Run(_input, _output);

    [Benchmark]
    public void BuildOptimFp32() => _fp32.Run(_input, _output);

    [Benchmark(Baseline = true)]
    public void OrtFp32() => _ortFp32.Run();

    [Benchmark]
    public void OrtInt8Qdq() => _ortInt8.Run();

    /// <summary>Memory and a sanity check of the four engines on the benchmark input, printed in the run log.</summary>
    private void Describe(CompressedModel compressed)
    {
        var network = compressed.Network;
        long largest = network.Layers.Select(l => l.Output).Concat(network.Inputs).Max(v => (long)network.Value(v).Length);
        string Line(string name, Action run)
        {
            Array.Clear(_output);
            run();
            int top = Array.IndexOf(_output, _output.Max());
            return string.Create(CultureInfo.InvariantCulture, $"{name}: top-1 {top}, output[0..3] = {string.Join(", ", _output.Take(3).Select(v => v.ToString("G5", CultureInfo.InvariantCulture)))}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// {compressed.Model.Name}: largest activation {largest:N0} values ({largest * sizeof(float):N0} B as fp32, {largest:N0} B as int8 codes); "
            + $"PlanRunner.ScratchBytes int8 {_int8.ScratchBytes:N0} B, fp32 {_fp32.ScratchBytes:N0} B; PreparedBytes int8 {_int8.PreparedBytes:N0} B, fp32 {_fp32.PreparedBytes:N0} B; "
            + $"plan sizes int8 {new FileInfo(compressed.Int8PlanPath).Length:N0} B, fp32 {new FileInfo(compressed.Fp32PlanPath).Length:N0} B, QDQ model {new FileInfo(compressed.QdqModelPath).Length:N0} B"));
        Console.WriteLine("// " + string.Join("; ", Line("BuildOptim int8", BuildOptimInt8), Line("BuildOptim fp32", BuildOptimFp32), Line("ORT fp32", OrtFp32), Line("ORT int8 (QDQ)", OrtInt8Qdq)));
    }
}

/// <summary>The Fashion-MNIST MLP sample (784-256-128-10, ReLU).</summary>
public class FashionMlpBenchmarks : ModelBenchmarks
{
    protected override BenchmarkModel Model => BenchmarkModels.FashionMlp;
}

/// <summary>The FashionCnn sample (small CNN: BatchNorm, depthwise conv, ReLU6, residual add).</summary>
public class FashionCnnBenchmarks : ModelBenchmarks
{
    protected override BenchmarkModel Model => BenchmarkModels.FashionCnn;
}

/// <summary>ResNet-18 at 224×224 (CNTK export from the Microsoft.ML.DnnImageFeaturizer.ResNet18 package).</summary>
public class ResNet18Benchmarks : ModelBenchmarks
{
    protected override BenchmarkModel Model => BenchmarkModels.ResNet18(Path.Combine(CompressedModel.CacheRoot, "data"));
}
