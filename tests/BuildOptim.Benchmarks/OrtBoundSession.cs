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
    private readonly OrtValue _input;
    private readonly OrtValue _output;
    private readonly OrtIoBinding _binding;

    public OrtBoundSession(string modelPath, string inputName, float[] input, long[] inputShape, string outputName, float[] output, long[] outputShape)
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
        _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        _output = OrtValue.CreateTensorValueFromMemory(output, outputShape);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(inputName, _input);
        _binding.BindOutput(outputName, _output);
    }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        _input.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
