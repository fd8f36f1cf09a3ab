using BuildOptim.Compression;
using Onnx;

namespace BuildOptim.Tests.Generator;

/// <summary>
/// The generated <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> on a real compressed text encoder (a tiny
/// BERT-shaped graph: token and type embeddings, masked, at a dynamic sequence length), against the same model run and
/// mean-pooled by hand.
/// </summary>
public sealed class EmbeddingGeneratorTests : ScratchFolderTest
{
    private static readonly string[] s_vocabulary =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "dog", "runs", "fast", "a", "big", "red"];

    private const string HarnessSource = """
        using System;
        using System.Linq;
        using Demo;
        using Microsoft.Extensions.AI;
        using Microsoft.ML.Tokenizers;

        public static class Harness
        {
            public static float[][] Generate(string vocabPath, string[] texts)
            {
                using IEmbeddingGenerator<string, Embedding<float>> generator = new TinyBertModelEmbeddingGenerator(BertTokenizer.Create(vocabPath));
                var embeddings = generator.GenerateAsync(texts).GetAwaiter().GetResult();
                return embeddings.Select(e => e.Vector.ToArray()).ToArray();
            }

            public static float[] ByHand(string vocabPath, string text)
            {
                var ids = BertTokenizer.Create(vocabPath).EncodeToIds(text, 512, addSpecialTokens: true, out _, out _);
                int n = ids.Count;
                using var model = new TinyBertModel();
                var hidden = new float[TinyBertModel.LastHiddenStateLength(n)];
                model.Run(ids.Select(i => (long)i).ToArray(), Enumerable.Repeat(1L, n).ToArray(), new long[n], hidden);
                int d = hidden.Length / n;
                var mean = new double[d];
                for (int t = 0; t < n; t++)
                {
                    for (int j = 0; j < d; j++)
                    {
                        mean[j] += hidden[t * d + j] / n;
                    }
                }

                double norm = Math.Sqrt(mean.Sum(v => v * v));
                return mean.Select(v => (float)(v / norm)).ToArray();
            }

            public static object[] Describe(string vocabPath, string text)
            {
                using var generator = new TinyBertModelEmbeddingGenerator(BertTokenizer.Create(vocabPath), normalize: false, maxInstances: 2);
                var metadata = (EmbeddingGeneratorMetadata)generator.GetService(typeof(EmbeddingGeneratorMetadata))!;
                var embedding = new float[TinyBertModelEmbeddingGenerator.Dimensions];
                int tokens = generator.Embed(text, embedding);
                bool refused = false;
                try { generator.GenerateAsync([text], new EmbeddingGenerationOptions { Dimensions = 7 }).GetAwaiter().GetResult(); }
                catch (NotSupportedException) { refused = true; }
                using var short3 = new TinyBertModelEmbeddingGenerator(BertTokenizer.Create(vocabPath), maxTokens: 3);
                int cut = short3.Embed("the cat sat on the mat", new float[TinyBertModelEmbeddingGenerator.Dimensions]);
                return [TinyBertModelEmbeddingGenerator.Dimensions, metadata.DefaultModelId!, metadata.DefaultModelDimensions!, tokens, embedding, refused, generator.GetService(typeof(IEmbeddingGenerator)) is not null,
                    cut, short3.MaxTokens, generator.MaxTokens == TinyBertModelEmbeddingGenerator.DefaultMaxTokens && TinyBertModelEmbeddingGenerator.DefaultMaxTokens == Math.Min(TinyBertModel.MaxSequenceLength, 512)];
            }
        }
        """;

    [Fact]
    public void The_embedding_generator_gives_the_vector_of_the_model_run_and_mean_pooled_by_hand()
    {
        var (descriptor, plan) = CompressTinyBert();
        string vocab = Path.Combine(Root, "vocab.txt");
        File.WriteAllLines(vocab, s_vocabulary);
        string resource = descriptor.Split('\n').Single(l => l.StartsWith("resourceName=", StringComparison.Ordinal))["resourceName=".Length..];
        using var model = ExecutionTests.LoadedModel.Compile(descriptor, plan, HarnessSource, resource, withServices: true);
        string[] texts = ["the cat sat on the mat", "a big red dog runs fast", "cat"];

        var generated = model.Call<float[][]>("Generate", vocab, texts);

        Assert.Equal(texts.Length, generated.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            float[] byHand = model.Call<float[]>("ByHand", vocab, texts[i]);
            Assert.Equal(byHand, generated[i], (a, b) => Math.Abs(a - b) <= 1e-6f);
            Assert.Equal(1.0, Math.Sqrt(generated[i].Sum(v => (double)v * v)), 5);
        }

        Assert.NotEqual(generated[0], generated[1]);
    }

    [Fact]
    public void The_embedding_generator_describes_itself_and_embeds_into_a_span()
    {
        var (descriptor, plan) = CompressTinyBert();
        string vocab = Path.Combine(Root, "vocab.txt");
        File.WriteAllLines(vocab, s_vocabulary);
        string resource = descriptor.Split('\n').Single(l => l.StartsWith("resourceName=", StringComparison.Ordinal))["resourceName=".Length..];
        using var model = ExecutionTests.LoadedModel.Compile(descriptor, plan, HarnessSource, resource, withServices: true);

        var result = model.Call<object[]>("Describe", vocab, "the cat sat");

        Assert.Equal(4, (int)result[0]);
        Assert.Equal("tiny_bert.onnx", (string)result[1]);
        Assert.Equal(4, (int)result[2]);
        Assert.Equal(5, (int)result[3]); // [CLS] the cat sat [SEP]
        float[] unnormalized = (float[])result[4];
        Assert.NotEqual(1.0, Math.Sqrt(unnormalized.Sum(v => (double)v * v)), 3);
        Assert.True((bool)result[5]); // other dimensions are refused
        Assert.True((bool)result[6]);
        Assert.Equal(3, (int)result[7]); // maxTokens cuts the text: [CLS] the [SEP]
        Assert.Equal(3, (int)result[8]);
        Assert.True((bool)result[9]);
    }

    /// <summary>
    /// input_ids, attention_mask, token_type_ids [1, tokens] int64 → (W[input_ids] + T[token_type_ids]) · mask → last_hidden_state [1, tokens, 4].
    /// </summary>
    private (string Descriptor, byte[] Plan) CompressTinyBert()
    {
        var random = new Random(8);
        float[] words = [.. Enumerable.Range(0, 16 * 4).Select(_ => (float)random.NextDouble() * 2 - 1)];
        float[] types = [.. Enumerable.Range(0, 2 * 4).Select(_ => (float)random.NextDouble() * 0.2f)];
        var builder = new TypedModel()
            .Input("input_ids", new long[3], 1, 3)
            .Input("attention_mask", new long[3], 1, 3)
            .Input("token_type_ids", new long[3], 1, 3)
            .Initializer("W", words, 16, 4)
            .Initializer("T", types, 2, 4)
            .Initializer("axes", new long[] { 2 }, 1)
            .Node("Gather", ["W", "input_ids"], ["words"])
            .Node("Gather", ["T", "token_type_ids"], ["types"])
            .Node("Add", ["words", "types"], ["sum"])
            .Node("Cast", ["attention_mask"], ["maskf"], OnnxModelBuilder.Attr("to", 1L))
            .Node("Unsqueeze", ["maskf", "axes"], ["mask3"])
            .Node("Mul", ["sum", "mask3"], ["last_hidden_state"])
            .Output("last_hidden_state");
        foreach (var input in builder.Graph.Input)
        {
            input.Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "tokens" };
        }

        Directory.CreateDirectory(Root);
        string modelPath = Path.Combine(Root, "tiny_bert.onnx");
        File.WriteAllBytes(modelPath, builder.ToBytes());
        var options = new CompressionOptions { ModelPath = modelPath, Quantize = QuantizeMode.None, Namespace = "Demo", OutputDirectory = Path.Combine(Root, "out") };
        Assert.True(Compressor.Run(options).ArtifactsWritten);
        return (File.ReadAllText(Path.Combine(options.OutputDirectory, Compressor.DescriptorFileName)), File.ReadAllBytes(Path.Combine(options.OutputDirectory, Compressor.PlanFileName)));
    }
}
