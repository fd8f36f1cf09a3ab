using Microsoft.ML.OnnxRuntime;

namespace BuildOptim.Benchmarks;

/// <summary>
/// An ONNX Runtime session at its fastest for batch 1 on one core: all graph optimizations, one intra-op and one
/// inter-op thread, input and output <see cref="OrtValue"/>s bound once over pinned managed arrays
/// (<see cref="OrtIoBinding"/>), so a call is <see cref="InferenceSession.RunWithBinding(RunOptions, OrtIoBinding)"/> only.
/// </summary>
public sealed class OrtBoundSession : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _values;
    private readonly OrtIoBinding _binding;

    public OrtBoundSession(string modelPath, string inputName, float[] input, long[] inputShape, string outputName, float[] output, long[] outputShape)
        : this(modelPath,
            [(inputName, OrtValue.CreateTensorValueFromMemory(input, inputShape))],
            [(outputName, OrtValue.CreateTensorValueFromMemory(output, outputShape))])
    {
    }

    /// <summary>A session bound to several inputs and outputs (e.g. a transformer's int64 ids and mask); it disposes the values.</summary>
    public OrtBoundSession(string modelPath, IReadOnlyList<(string Name, OrtValue Value)> inputs, IReadOnlyList<(string Name, OrtValue Value)> outputs)
    {
        _options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(modelPath, _options);
        _values = [.. inputs.Select(i => i.Value), .. outputs.Select(o => o.Value)];
        _binding = _session.CreateIoBinding();
        foreach (var (name, value) in inputs)
        {
            _binding.BindInput(name, value);
        }

        foreach (var (name, value) in outputs)
        {
            _binding.BindOutput(name, value);
        }
    }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
