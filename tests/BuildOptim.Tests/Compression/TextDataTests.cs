using BuildOptim.Compression.Evaluation;
using BuildOptim.Tests.Tasks;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// A .txt data file is tokenized as the app tokenizes it (BertTokenizer with its special tokens: [CLS] … [SEP]), so the
/// calibration lengths and the gate's inputs are those the model sees at run time.
/// </summary>
public sealed class TextDataTests : IDisposable
{
    private static readonly string[] s_vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat"];

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Write(string name, IEnumerable<string> lines)
    {
        string path = _folder.Touch(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void The_longest_text_counts_its_CLS_and_SEP_tokens()
    {
        string vocabulary = Write("vocab.txt", s_vocabulary);
        string texts = Write("texts.txt", ["the cat", "the cat sat", ""]);

        // [CLS] the cat sat [SEP]
        Assert.Equal(5, TextData.LongestTokenCount(texts, vocabulary));
    }
}
