using BuildOptim.Compression;
using BuildOptim.Compression.Export;
using BuildOptim.Runtime;
using BuildOptim.TestShared;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Onnx;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// The ONNX export of a dynamic int8 plan (a text model's, <c>EmitOnnx</c>): ONNX Runtime runs it with its own dynamic
/// quantization kernels, and its embeddings agree with the plan's.
/// </summary>
public sealed class DynamicQdqExportTests(ITestOutputHelper output) : ScratchFolderTest
{
    private const int Sequence = 16;

    private static readonly string[] s_sentences =
    [
        "hello",
        "How do I reset my password?",
        "The quick brown fox jumps over the lazy dog near the river bank.",
        "where is the nearest train station",
        "compress models at build time",
        "Quarterly revenue grew 12% to $4.2 billion.",
        "She sells sea shells by the sea shore.",
        "int8 matrix multiplication on AVX-512",
        "What is the capital of Australia?",
        "I love this phone, but the battery life is terrible!",
    ];

    [Fact]
    public void ArcticXs_int8_export_runs_in_onnx_runtime_with_its_dynamic_quantization_and_agrees_with_the_plan()
    {
        Directory.CreateDirectory(Root);
        string texts = Path.Combine(Root, "texts.txt");
        File.WriteAllLines(texts, s_sentences);
        var options = new CompressionOptions
        {
            ModelPath = ArcticXs.ModelPath,
            InputShape = $"input_ids:1,{Sequence};attention_mask:1,{Sequence};token_type_ids:1,{Sequence}",
            CalibrationPath = texts,
            TokenizerPath = ArcticXs.VocabPath,
            Gate = GateMode.Warning,
            EmitOnnx = true,
            OutputDirectory = Path.Combine(Root, "int8"),
        };

        // The gate evaluated, so WeightBits="Auto" narrows the 36 dense layers to 7 bits, as a build does.
        var result = Compressor.Run(options);
        Assert.Equal(36, result.Report.SevenBitLayers.Count);

        string exported = Path.Combine(options.OutputDirectory, QdqExporter.FileName);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(exported));
        Assert.Equal(36, model.Graph.Node.Count(n => n.OpType == "MatMulInteger"));
        Assert.Equal(36, model.Graph.Node.Count(n => n.OpType == "DynamicQuantizeLinear"));

        // The 7-bit weights in int8 containers, within [−63, 63]; ONNX Runtime still quantizes the activations to 8 bits.
        var dense = model.Graph.Initializer.Where(t => t.Name.Contains("_weight_quantized", StringComparison.Ordinal)).ToList();
        Assert.Equal(36, dense.Count);
        Assert.All(dense, t => Assert.True(t.RawData.All(b => (sbyte)b is >= -63 and <= 63), t.Name));
        Assert.Contains(dense, t => t.RawData.Any(b => (sbyte)b == 63 || (sbyte)b == -63));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "QuantizeLinear");
        // The word embeddings: one int8 table, no float copy.
        var tables = model.Graph.Initializer.Where(t => t.Dims.Count == 2 && t.Dims[0] > 30000 && t.Dims[1] > 1).Select(t => (TensorProto.Types.DataType)t.DataType).ToList();
        Assert.Equal([TensorProto.Types.DataType.Int8], tables);
        long exportedBytes = new FileInfo(exported).Length;
        Assert.True(exportedBytes < new FileInfo(ArcticXs.ModelPath).Length * 0.3, $"export {exportedBytes} bytes");

        using var runner = new PlanRunner(ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName)));
        string optimized = Path.Combine(Root, "optimized.onnx");
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = 1,
            OptimizedModelFilePath = optimized,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(exported, sessionOptions);
        var fused = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("ONNX Runtime's optimized graph: " + string.Join(", ", fused.OrderByDescending(g => g.Value).Select(g => $"{g.Key} ×{g.Value}")));

        // ONNX Runtime runs every dense layer in its fused dynamic-quantization kernels (Q, K and V share one quantization of
        // their input), and fuses the LayerNorms with their residual Adds and the Gelus as it does in the fp32 model.
        Assert.False(fused.ContainsKey("MatMulInteger"));
        Assert.Equal(36, fused.GetValueOrDefault("DynamicQuantizeMatMul") + fused.GetValueOrDefault("MatMulIntegerToFloat"));
        Assert.True(fused.GetValueOrDefault("SkipLayerNormalization") + fused.GetValueOrDefault("LayerNormalization") == 13, "LayerNorms not fused");
        Assert.Equal(6, fused.GetValueOrDefault("Gelu") + fused.GetValueOrDefault("BiasGelu"));

        var tokenizer = BertTokenizer.Create(ArcticXs.VocabPath);
        int hidden = runner.GetOutputLength(0) / Sequence;
        var cosines = new List<double>();
        var ortVersusFp32 = new List<double>();
        var planVersusFp32 = new List<double>();
        using var original = new InferenceSession(ArcticXs.ModelPath);
        foreach (string sentence in s_sentences)
        {
            var ids = tokenizer.EncodeToIds(sentence).Select(i => (long)i).Take(Sequence).ToArray();
            long[] paddedIds = new long[Sequence], mask = new long[Sequence], types = new long[Sequence];
            ids.CopyTo(paddedIds, 0);
            Array.Fill(mask, 1L, 0, ids.Length);
            runner.SetInput(0, paddedIds);
            runner.SetInput(1, mask);
            runner.SetInput(2, types);
            runner.Execute();
            var ours = new float[runner.GetOutputLength(0)];
            runner.GetOutput(0, ours);

            using var idValue = OrtValue.CreateTensorValueFromMemory(paddedIds, [1, Sequence]);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [1, Sequence]);
            using var typeValue = OrtValue.CreateTensorValueFromMemory(types, [1, Sequence]);
            using var outputs = session.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], [session.OutputNames[0]]);
            var theirs = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            cosines.Add(TransformerTests.Cosine(TransformerTests.MeanPool(ours, hidden, ids.Length), TransformerTests.MeanPool(theirs, hidden, ids.Length)));

            // The original in fp32 on the sentence at its own length.
            using var ownIds = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
            using var ownMask = OrtValue.CreateTensorValueFromMemory(mask[..ids.Length], [1, ids.Length]);
            using var ownTypes = OrtValue.CreateTensorValueFromMemory(types[..ids.Length], [1, ids.Length]);
            using var fp32 = original.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [ownIds, ownMask, ownTypes], [original.OutputNames[0]]);
            var reference = TransformerTests.MeanPool(fp32[0].GetTensorDataAsSpan<float>().ToArray(), hidden, ids.Length);
            ortVersusFp32.Add(TransformerTests.Cosine(reference, TransformerTests.MeanPool(theirs, hidden, ids.Length)));
            planVersusFp32.Add(TransformerTests.Cosine(reference, TransformerTests.MeanPool(ours, hidden, ids.Length)));
        }

        output.WriteLine($"ORT int8 (the export) vs the int8 plan, cosine of the mean-pooled embeddings: mean {cosines.Average():F5}, worst {cosines.Min():F5}");
        output.WriteLine($"against ORT fp32: ORT int8 mean {ortVersusFp32.Average():F5} (worst {ortVersusFp32.Min():F5}); the plan mean {planVersusFp32.Average():F5} (worst {planVersusFp32.Min():F5})");

        // ONNX Runtime quantizes each layer's input with one scale for all tokens to 8 bits, the plan each token with its
        // own to 7: they agree closely, not exactly, and the plan's per-token scales are the closer of the two to fp32.
        // Measured: export vs plan 0.9983, ORT int8 vs fp32 0.9982, the plan 0.9990 (1 − cosine bounded at 1.7× those).
        Assert.True(cosines.Average() >= 0.997, $"mean cosine to the plan {cosines.Average():F5} ({string.Join(", ", cosines.Select(c => c.ToString("F4")))})");
        Assert.True(ortVersusFp32.Average() >= 0.997, $"ORT int8: mean cosine to fp32 {ortVersusFp32.Average():F5}");
        Assert.True(planVersusFp32.Average() >= ortVersusFp32.Average(), $"plan {planVersusFp32.Average():F5} vs ORT int8 {ortVersusFp32.Average():F5}");
    }

    [Fact]
    public void EmitOnnx_on_a_plan_that_keeps_the_sequence_dynamic_is_BOPT1203_and_writes_nothing()
    {
        // The export's shapes are fixed at lowering: a plan that runs at the length of its inputs has no one graph to write.
        string first = Path.Combine(Root, "first");
        var result = Compressor.Run(Models.FashionMlpOptions(first) with { Gate = GateMode.Off });
        var network = Models.Lower(Models.FashionMlp);
        var options = Models.FashionMlpOptions(Path.Combine(Root, "dynamic")) with { EmitOnnx = true };
        byte[] plan = File.ReadAllBytes(Path.Combine(first, Compressor.PlanFileName));

        var e = Assert.Throws<CompressionException>(() => BuildOptim.Compression.Artifacts.CompressionArtifacts.Write(
            options, network, [], plan, result.Report, result.SummaryLine, null, [], new HashSet<string>(), new SequenceLengths(2, 16, [])));

        Assert.Equal("BOPT1203", e.Code);
        Assert.Contains("InputShape", e.Message);
        Assert.False(Directory.Exists(options.OutputDirectory) && Directory.EnumerateFiles(options.OutputDirectory).Any());
    }
}
