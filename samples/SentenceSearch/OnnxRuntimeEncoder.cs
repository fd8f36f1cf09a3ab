using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using BuildOptim.Runtime;
using Microsoft.ML.Tokenizers;

namespace SentenceSearch;

/// <summary>
/// The original fp32 model in ONNX Runtime, for timing it beside the compressed one on the same tokens: one thread, all
/// graph optimizations, the same tokens as the generated embedding generator (<c>BertTokenizer</c>, [CLS] … [SEP], cut at
/// the same length), the same mean pooling and unit length. Only a comparison: the app
/// needs neither ONNX Runtime nor the model file to search.
/// </summary>
public sealed class OnnxRuntimeEncoder : IDisposable
{
    private readonly SessionOptions _options;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly BertTokenizer _tokenizer;
    private readonly int _maxTokens;
    private readonly long[] _inputIds;
    private readonly long[] _attentionMask;
    private readonly long[] _tokenTypeIds;
    private readonly float[] _hiddenStates;

    private OnnxRuntimeEncoder(string modelPath, BertTokenizer tokenizer, int maxTokens)
    {
        _tokenizer = tokenizer;
        _maxTokens = maxTokens;
        _inputIds = new long[maxTokens];
        _attentionMask = new long[maxTokens];
        _tokenTypeIds = new long[maxTokens];
        _hiddenStates = new float[ArcticXsModel.LastHiddenStateLength(maxTokens)];
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
    public static OnnxRuntimeEncoder? TryCreate(BertTokenizer tokenizer, int maxTokens) =>
        ModelPath is { } path && File.Exists(path) ? new OnnxRuntimeEncoder(path, tokenizer, maxTokens) : null;

    /// <summary>Runs the original model on the text's tokens; writes the unit-length mean of its hidden states into <paramref name="embedding"/>.</summary>
    public void Encode(string text, Span<float> embedding)
    {
        var tokens = _tokenizer.EncodeToIds(text, _maxTokens, addSpecialTokens: true, out _, out _);
        int n = tokens.Count;
        for (int t = 0; t < n; t++)
        {
            _inputIds[t] = tokens[t];
            _attentionMask[t] = 1;
        }

        long[] shape = [1, n];
        using var ids = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputIds.AsMemory(0, n), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _attentionMask.AsMemory(0, n), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _tokenTypeIds.AsMemory(0, n), shape);
        int dimensions = embedding.Length;
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _hiddenStates.AsMemory(0, n * dimensions), [1, n, dimensions]);
        _session.Run(_runOptions, ["input_ids", "attention_mask", "token_type_ids"], [ids, mask, types], [_session.OutputNames[0]], [output]);
        // The pooling the generated embedding generator does: the mean over the attention mask, then unit length.
        SentenceEmbeddings.MeanPool(_hiddenStates.AsSpan(0, n * dimensions), _attentionMask.AsSpan(0, n), embedding);
        SentenceEmbeddings.Normalize(embedding);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
        _options.Dispose();
    }
}
