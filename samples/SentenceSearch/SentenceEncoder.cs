using Microsoft.ML.Tokenizers;

namespace SentenceSearch;

/// <summary>
/// Text → sentence embedding with the compressed Arctic-embed XS: WordPiece tokens ([CLS] … [SEP]) at their own count (the
/// model takes the sequence length from the spans: no padding), attention mask 1, then the mean of the tokens' hidden
/// states, scaled to unit length (so a dot product is the cosine similarity).
/// </summary>
/// <remarks>Owns its buffers, like the model instance it wraps: one encoder per thread.</remarks>
public sealed class SentenceEncoder : IDisposable
{
    /// <summary>At most this many tokens, [CLS] and [SEP] included (the model takes up to <see cref="ArcticXsModel.MaxSequenceLength"/>).</summary>
    public const int SequenceLength = 128;

    /// <summary>Values in one embedding: the hidden state of one token.</summary>
    public static readonly int Dimensions = ArcticXsModel.LastHiddenStateLength(SequenceLength) / SequenceLength;

    private readonly ArcticXsModel _model = new();
    private readonly BertTokenizer _tokenizer;
    private readonly long[] _inputIds = new long[SequenceLength];
    private readonly long[] _attentionMask = new long[SequenceLength];
    private readonly long[] _tokenTypeIds = new long[SequenceLength];
    private readonly float[] _hiddenStates = new float[ArcticXsModel.LastHiddenStateLength(SequenceLength)];
    private int _count;

    public SentenceEncoder()
    {
        // The vocabulary is a resource of this assembly, like the model.
        using Stream vocab = typeof(SentenceEncoder).Assembly.GetManifestResourceStream("vocab.txt")
            ?? throw new InvalidOperationException("vocab.txt is not embedded in this assembly.");
        _tokenizer = BertTokenizer.Create(vocab);
    }

    /// <summary>Writes the unit-length embedding of <paramref name="text"/> into <paramref name="embedding"/>.</summary>
    /// <returns>The number of tokens the model read, [CLS] and [SEP] included; and whether the text was cut to fit.</returns>
    public (int Tokens, bool Truncated) Encode(string text, Span<float> embedding)
    {
        // At most SequenceLength ids, [CLS] and [SEP] included; a longer text is cut.
        var ids = _tokenizer.EncodeToIds(text, SequenceLength, addSpecialTokens: true, out _, out int charsConsumed);
        int n = ids.Count;
        for (int t = 0; t < n; t++)
        {
            _inputIds[t] = ids[t];
            _attentionMask[t] = 1;
        }

        // n tokens in, n hidden states out: the first call at each n prepares the model for it, later ones allocate nothing.
        _model.Run(_inputIds.AsSpan(0, n), _attentionMask.AsSpan(0, n), _tokenTypeIds.AsSpan(0, n), _hiddenStates.AsSpan(0, ArcticXsModel.LastHiddenStateLength(n)));

        _count = n;
        MeanPool(_hiddenStates.AsSpan(0, ArcticXsModel.LastHiddenStateLength(n)), n, embedding);
        return (ids.Count, charsConsumed < text.TrimEnd().Length);
    }

    /// <summary>The ids, attention mask and token types the last <see cref="Encode"/> ran on.</summary>
    public (ReadOnlyMemory<long> InputIds, ReadOnlyMemory<long> AttentionMask, ReadOnlyMemory<long> TokenTypeIds) LastInputs
        => (_inputIds.AsMemory(0, _count), _attentionMask.AsMemory(0, _count), _tokenTypeIds.AsMemory(0, _count));

    /// <summary>The mean of <paramref name="tokens"/> hidden states, scaled to unit length (dividing by the count first would not change the direction).</summary>
    public static void MeanPool(ReadOnlySpan<float> hiddenStates, int tokens, Span<float> embedding)
    {
        int dimensions = embedding.Length;
        embedding.Clear();
        for (int t = 0; t < tokens; t++)
        {
            ReadOnlySpan<float> token = hiddenStates.Slice(t * dimensions, dimensions);
            for (int d = 0; d < dimensions; d++)
            {
                embedding[d] += token[d];
            }
        }

        float squares = 0;
        foreach (float value in embedding)
        {
            squares += value * value;
        }

        float scale = 1 / MathF.Sqrt(squares);
        for (int d = 0; d < dimensions; d++)
        {
            embedding[d] *= scale;
        }
    }

    public void Dispose() => _model.Dispose();
}
