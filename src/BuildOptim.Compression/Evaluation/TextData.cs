using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using Microsoft.ML.Tokenizers;

namespace BuildOptim.Compression.Evaluation;

/// <summary>
/// Text data for a text model: a <c>.txt</c> file, one text per line, tokenized with a BERT WordPiece vocabulary
/// (<c>Tokenizer</c> metadata) into the arrays the model's inputs are named after — <c>input_ids</c> ([CLS] … [SEP],
/// padded with 0 or cut to the input's length), <c>attention_mask</c> (1 for tokens, 0 for padding) and
/// <c>token_type_ids</c> (0) — so that a .NET user needs no numpy to calibrate or evaluate a text model.
/// </summary>
internal static class TextData
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string TokenTypeIds = "token_type_ids";

    /// <summary>At most this many lines are read.</summary>
    public const int MaxTexts = 100_000;

    public static bool IsText(string path) => path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);

    /// <summary>Tokens in the longest text of <paramref name="path"/> ([CLS] and [SEP] included): the sequence length of a model that keeps it dynamic.</summary>
    public static int LongestTokenCount(string path, string tokenizerPath)
    {
        var tokenizer = Create(tokenizerPath);
        int longest = 0;
        foreach (string line in File.ReadLines(path).Where(l => l.Trim().Length > 0).Take(MaxTexts))
        {
            longest = Math.Max(longest, tokenizer.EncodeToIds(line).Count);
        }

        return longest;
    }

    private static BertTokenizer Create(string tokenizerPath)
    {
        try
        {
            return BertTokenizer.Create(tokenizerPath);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, tokenizerPath, $"Tokenizer '{tokenizerPath}' is not a readable BERT WordPiece vocab.txt: {e.Message}");
        }
    }

    /// <exception cref="DataFormatException">BOPT1102 for an empty file, a model without an <c>input_ids</c> input, or an unreadable vocabulary.</exception>
    public static IReadOnlyList<NdArray> Read(string path, string tokenizerPath, Network model)
    {
        var idsValue = model.Inputs.Select(model.Value).FirstOrDefault(v => v.Name == InputIds)
            ?? throw new DataFormatException(DataErrorCodes.Malformed, path, $"'{path}' is text, but the model has no '{InputIds}' input to tokenize it into (its inputs: {string.Join(", ", model.Inputs.Select(i => model.Value(i).Name))}).");
        int length = idsValue.Length;
        var tokenizer = Create(tokenizerPath);

        var lines = File.ReadLines(path).Where(l => l.Trim().Length > 0).Take(MaxTexts).ToList();
        if (lines.Count == 0)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, path, $"'{path}' holds no text (one text per line).");
        }

        var ids = new float[(long)lines.Count * length];
        var mask = new float[ids.Length];
        for (int s = 0; s < lines.Count; s++)
        {
            var tokens = tokenizer.EncodeToIds(lines[s]);
            int count = Math.Min(tokens.Count, length);
            for (int t = 0; t < count; t++)
            {
                ids[((long)s * length) + t] = tokens[t];
                mask[((long)s * length) + t] = 1;
            }
        }

        int[] shape = [lines.Count, length];
        return
        [
            new NdArray(InputIds, ElementKind.Int64, shape, ids, path),
            new NdArray(AttentionMask, ElementKind.Int64, shape, mask, path),
            new NdArray(TokenTypeIds, ElementKind.Int64, shape, new float[ids.Length], path),
        ];
    }
}
