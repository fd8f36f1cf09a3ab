using Microsoft.ML.Tokenizers;

namespace SentenceSearch;

/// <summary>
/// Text → sentence embedding with the compressed Arctic-embed XS: WordPiece tokens ([CLS] … [SEP]) padded with 0 to the
/// sequence length the build fixed, attention mask 1 on the real tokens and 0 on the padding, then the mean of the real
/// tokens' hidden states, scaled to unit length (so a dot product is the cosine similarity).
/// </summary>
/// <remarks>Owns its buffers, like the model instance it wraps: one encoder per thread.</remarks>
public sealed class SentenceEncoder : IDisposable
{
    /// <summary>Tokens per input, [CLS] and [SEP] included, as <c>InputShape</c> fixed them at build time.</summary>
    public const int SequenceLength = ArcticXsModel.InputIdsLength;

    /// <summary>Values in one embedding.</summary>
    public const int Dimensions = ArcticXsModel.LastHiddenStateLength / SequenceLength;

    private readonly ArcticXsModel _model = new();
    private readonly BertTokenizer _tokenizer;
    private readonly long[] _inputIds = new long[SequenceLength];
    private readonly long[] _attentionMask = new long[SequenceLength];
    private readonly long[] _tokenTypeIds = new long[SequenceLength];
    private readonly float[] _hiddenStates = new float[ArcticXsModel.LastHiddenStateLength];

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
        Array.Clear(_inputIds);
        Array.Clear(_attentionMask);
        for (int t = 0; t < ids.Count; t++)
        {
            _inputIds[t] = ids[t];
            _attentionMask[t] = 1;
        }

        _model.Run(_inputIds, _attentionMask, _tokenTypeIds, _hiddenStates);

        // Mean over the real tokens only: the padding's hidden states are not part of the sentence.
        embedding.Clear();
        for (int t = 0; t < ids.Count; t++)
        {
            ReadOnlySpan<float> token = _hiddenStates.AsSpan(t * Dimensions, Dimensions);
            for (int d = 0; d < Dimensions; d++)
            {
                embedding[d] += token[d];
            }
        }

        // Unit length (dividing by the token count first would not change the direction).
        float squares = 0;
        foreach (float value in embedding)
        {
            squares += value * value;
        }

        float scale = 1 / MathF.Sqrt(squares);
        for (int d = 0; d < Dimensions; d++)
        {
            embedding[d] *= scale;
        }

        return (ids.Count, charsConsumed < text.TrimEnd().Length);
    }

    public void Dispose() => _model.Dispose();
}
