using System.Reflection;
using Microsoft.ML.OnnxRuntime;

namespace SentenceSearch;

/// <summary>
/// The original fp32 model in ONNX Runtime, for timing it beside the compressed one on the same tokens: one thread, all
/// graph optimizations, the ids a <see cref="SentenceEncoder"/> produced, the same mean pooling. Only a comparison: the app
/// needs neither ONNX Runtime nor the model file to search.
/// </summary>
public sealed class OnnxRuntimeEncoder : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _hiddenStates = new float[ArcticXsModel.LastHiddenStateLength(SentenceEncoder.SequenceLength)];

    private OnnxRuntimeEncoder(string modelPath)
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
    }

    /// <summary>The ONNX file the build compressed (assembly metadata <c>ArcticXsOnnx</c>), as extracted under obj/.</summary>
    public static string? ModelPath => typeof(OnnxRuntimeEncoder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "ArcticXsOnnx")?.Value;

    /// <summary>An encoder on the original model, or null when its file is not where the build left it (the app was moved).</summary>
    public static OnnxRuntimeEncoder? TryCreate() => ModelPath is { } path && File.Exists(path) ? new OnnxRuntimeEncoder(path) : null;

    /// <summary>Runs the original model on the ids, mask and token types; writes the unit-length mean of its hidden states into <paramref name="embedding"/>.</summary>
    public void Encode(ReadOnlyMemory<long> inputIds, ReadOnlyMemory<long> attentionMask, ReadOnlyMemory<long> tokenTypeIds, Span<float> embedding)
    {
        int n = inputIds.Length;
        long[] shape = [1, n];
        using var ids = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryOf(inputIds), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryOf(attentionMask), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryOf(tokenTypeIds), shape);
        int dimensions = embedding.Length;
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _hiddenStates.AsMemory(0, n * dimensions), [1, n, dimensions]);
        _session.Run(_runOptions, ["input_ids", "attention_mask", "token_type_ids"], [ids, mask, types], [_session.OutputNames[0]], [output]);
        SentenceEncoder.MeanPool(_hiddenStates.AsSpan(0, n * dimensions), n, embedding);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }

    // ONNX Runtime reads the inputs in place; it writes nothing to them.
    private static Memory<long> MemoryOf(ReadOnlyMemory<long> values) => System.Runtime.InteropServices.MemoryMarshal.AsMemory(values);
}
