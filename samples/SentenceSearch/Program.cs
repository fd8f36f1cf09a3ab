// Semantic search over a small FAQ with a BERT sentence encoder that BuildOptim compressed at build time.
//   dotnet run -- how do I get my money back    one query from the command line
//   dotnet run                                  type queries (an empty line quits)
//   echo "my parcel is late" | dotnet run       one query per line of standard input; none: a few demo queries
using System.Diagnostics;
using Microsoft.ML.Tokenizers;
using SentenceSearch;

const int Matches = 3;
const int MaxTokens = 128; // texts are cut here ([CLS] and [SEP] included): it bounds the work per query
int dimensions = ArcticXsModelEmbeddingGenerator.Dimensions;
string[] demoQueries = ["i forgot my password", "my parcel arrived broken", "does the app need an internet connection"];

// What the build compressed (dotnet run does not show the build's output), and where it lives now.
Console.WriteLine(ArcticXsModel.CompressionSummary);
using (Stream plan = typeof(ArcticXsModel).Assembly.GetManifestResourceStream(ArcticXsModel.ResourceName)!)
{
    Console.WriteLine($"Embedded plan {ArcticXsModel.ResourceName}: {plan.Length / 1048576.0:F1} MB in the app's assembly; "
        + $"each sentence at its own token count ({ArcticXsModel.MinSequenceLength} to {ArcticXsModel.MaxSequenceLength}; cut at {MaxTokens}), {dimensions}-dimensional embeddings");
}

// The generated IEmbeddingGenerator<string, Embedding<float>> (Microsoft.Extensions.AI): WordPiece tokens, the model at
// each text's own token count, mean pooling and unit length. The vocabulary travels in this assembly, like the model.
BertTokenizer tokenizer;
using (Stream vocab = typeof(ArcticXsModel).Assembly.GetManifestResourceStream("vocab.txt")!)
{
    tokenizer = BertTokenizer.Create(vocab);
}

using var encoder = new ArcticXsModelEmbeddingGenerator(tokenizer, maxInstances: 1, maxTokens: MaxTokens);

// The document set: an FAQ embedded in this assembly, one entry per line, embedded once at startup.
string[] faq = ReadFaq();
var index = new float[faq.Length * dimensions];
var stopwatch = Stopwatch.StartNew();
for (int i = 0; i < faq.Length; i++)
{
    encoder.Embed(faq[i], index.AsSpan(i * dimensions, dimensions));
}

Console.WriteLine($"Embedded {faq.Length} FAQ entries in {stopwatch.Elapsed.TotalMilliseconds:F0} ms "
    + $"({stopwatch.Elapsed.TotalMilliseconds / faq.Length:F1} ms each, the first one included)");

// The original fp32 model in ONNX Runtime, to time it beside the compressed one on every query (not needed to search).
stopwatch.Restart();
using var reference = OnnxRuntimeEncoder.TryCreate(tokenizer, MaxTokens);
Console.WriteLine(reference is null
    ? $"The original model is not at {OnnxRuntimeEncoder.ModelPath}: no ONNX Runtime timing beside the queries."
    : $"ONNX Runtime loaded the original fp32 model in {stopwatch.Elapsed.TotalMilliseconds:F0} ms, to time it on the same tokens.");

var query = new float[dimensions];
var referenceQuery = new float[dimensions];
var scores = new float[faq.Length];
if (args.Length > 0)
{
    Search(string.Join(' ', args), echo: true);
}
else if (!Console.IsInputRedirected)
{
    while (true)
    {
        Console.Write("\nSearch the FAQ (empty line to quit)> ");
        string? line = Console.ReadLine();
        if (string.IsNullOrWhiteSpace(line))
        {
            break;
        }

        Search(line, echo: false);
    }
}
else
{
    var lines = new List<string>();
    while (Console.ReadLine() is { } line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            lines.Add(line);
        }
    }

    if (lines.Count == 0)
    {
        Console.WriteLine("No query on the command line or standard input: a few demo queries.");
        lines.AddRange(demoQueries);
    }

    lines.ForEach(line => Search(line, echo: true));
}

// Prints the closest FAQ entries to the text; echo repeats the text (it is not on the screen when it came from args or a pipe).
void Search(string text, bool echo)
{
    long start = Stopwatch.GetTimestamp();
    int tokens = encoder.Embed(text, query);
    bool truncated = tokens == MaxTokens; // at the limit: a longer text was cut
    TimeSpan elapsed = Stopwatch.GetElapsedTime(start);

    // Unit-length embeddings: the dot product is the cosine similarity.
    for (int i = 0; i < faq.Length; i++)
    {
        ReadOnlySpan<float> entry = index.AsSpan(i * dimensions, dimensions);
        float dot = 0;
        for (int d = 0; d < entry.Length; d++)
        {
            dot += entry[d] * query[d];
        }

        scores[i] = dot;
    }

    if (echo)
    {
        Console.WriteLine($"\n> {text}");
    }

    foreach (int i in Enumerable.Range(0, faq.Length).OrderByDescending(i => scores[i]).Take(Matches))
    {
        Console.WriteLine($"  {scores[i]:F3}  {faq[i]}");
    }

    Console.WriteLine($"  (query embedded in {elapsed.TotalMilliseconds:F1} ms: {tokens} tokens"
        + (truncated ? $", cut to {MaxTokens}" : "") + ")");
    if (reference is not null)
    {
        CompareWithOnnxRuntime(text, tokens);
    }
}

// Both engines on the query's tokens, one thread each, after a first call (which prepares each for the length): the best
// of a few calls of each (tokenizing and pooling included), and how close the two embeddings are.
void CompareWithOnnxRuntime(string text, int tokens)
{
    const int Calls = 10;
    reference.Encode(text, referenceQuery);
    double ours = double.MaxValue, theirs = double.MaxValue;
    // Each engine's calls in a row: alternating, each would find its weights pushed out of the cache by the other's.
    for (int i = 0; i < Calls; i++)
    {
        long start = Stopwatch.GetTimestamp();
        encoder.Embed(text, query);
        ours = Math.Min(ours, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    for (int i = 0; i < Calls; i++)
    {
        long start = Stopwatch.GetTimestamp();
        reference.Encode(text, referenceQuery);
        theirs = Math.Min(theirs, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    float cosine = 0;
    for (int d = 0; d < query.Length; d++)
    {
        cosine += query[d] * referenceQuery[d];
    }

    Console.WriteLine($"  BuildOptim int8 {ours:F2} ms, ONNX Runtime fp32 {theirs:F2} ms on the same {tokens} tokens (best of {Calls}): "
        + $"{theirs / ours:F1}x faster; embeddings' cosine {cosine:F4}");
}

static string[] ReadFaq()
{
    using Stream stream = typeof(ArcticXsModel).Assembly.GetManifestResourceStream("faq.txt")!;
    using var reader = new StreamReader(stream);
    return reader.ReadToEnd().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
