using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Generator;
using BuildOptim.Onnx;
using Microsoft.CodeAnalysis;

namespace BuildOptim.Tests.Generator;

/// <summary>Format-2 descriptors: one typed Run parameter per graph input, then one Span&lt;float&gt; per output (DESIGN.md).</summary>
public sealed class MultiTensorTests
{
    private const string MiniLmDescriptor = """
        format=2
        className=MiniLmModel
        namespace=Search
        resourceName=BuildOptim.minilm.bopt
        sourceModel=minilm.onnx
        inputs=3
        input.0.name=input_ids
        input.0.type=int64
        input.0.shape=9
        input.0.length=9
        input.1.name=attention_mask
        input.1.type=int64
        input.1.shape=9
        input.1.length=9
        input.2.name=token_type_ids
        input.2.type=int64
        input.2.shape=9
        input.2.length=9
        outputs=2
        output.0.name=last_hidden_state
        output.0.type=float32
        output.0.shape=9,384
        output.0.length=3456
        output.1.name=pooler_output
        output.1.type=float32
        output.1.shape=384
        output.1.length=384
        dynamicBatch=true
        classifier=false
        precision=Float32
        """;

    [Fact]
    public void A_sentence_encoder_gets_the_Run_signature_of_the_contract()
    {
        var run = GeneratorHarness.Run(MiniLmDescriptor);

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        var type = run.Type("Search.MiniLmModel");
        var method = type.GetMembers("Run").OfType<IMethodSymbol>().Single();
        Assert.Equal(
            "Run(ReadOnlySpan<long> inputIds, ReadOnlySpan<long> attentionMask, ReadOnlySpan<long> tokenTypeIds, Span<float> lastHiddenState, Span<float> poolerOutput)",
            method.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat).Replace("void ", "", StringComparison.Ordinal).Replace("MiniLmModel.", "", StringComparison.Ordinal));
        Assert.Equal(3456, type.GetMembers("LastHiddenStateLength").OfType<IFieldSymbol>().Single().ConstantValue);
        Assert.Empty(type.GetMembers("Predict"));
        Assert.Contains(type.AllInterfaces, i => i.ToDisplayString() == "System.IDisposable");
    }

    [Theory]
    [InlineData("input_ids", "inputIds")]
    [InlineData("0", "input0")]
    [InlineData("class", "inputClass")]
    [InlineData("x\u2028class Evil {}", "xClassEvil")]
    [InlineData("::", "input")]
    public void Parameter_names_are_derived_from_the_model_names_never_copied(string name, string identifier)
        => Assert.Equal(identifier, Parser.ParameterName(name, "input", new HashSet<string>()));

    [Fact]
    public void Names_that_derive_to_the_same_parameter_are_numbered()
    {
        var taken = new HashSet<string>();
        Assert.Equal(["aB", "aB2", "aB3"], new[] { "a_b", "a-b", "a.b" }.Select(n => Parser.ParameterName(n, "input", taken)));
    }

    [Fact]
    public void An_integer_and_a_boolean_input_run_through_the_embedded_plan_without_allocating()
    {
        // The backend test's Add (x + y, [3,4,5]), declared with an int64 and a bool input.
        var graph = OnnxModelLoader.Load(Path.Combine(TestPaths.TestData, "onnx-node", "test_add", "model.onnx"));
        var network = OnnxFrontEnd.Import(graph, new Dictionary<string, int[]> { ["x"] = [3, 4, 5], ["y"] = [3, 4, 5] });
        byte[] plan = PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes;
        const string descriptor = """
            format=2
            className=AdderModel
            namespace=Demo
            resourceName=BuildOptim.adder.bopt
            inputs=2
            input.0.name=x
            input.0.type=int64
            input.0.shape=3,4,5
            input.0.length=60
            input.1.name=y
            input.1.type=bool
            input.1.shape=3,4,5
            input.1.length=60
            outputs=1
            output.0.name=sum
            output.0.shape=3,4,5
            output.0.length=60
            precision=Float32
            """;
        const string harness = """
            using System;
            using Demo;

            public static class Harness
            {
                public static float[] Run(long[] x, bool[] y)
                {
                    var sum = new float[AdderModel.SumLength];
                    new AdderModel().Run(x, y, sum);
                    return sum;
                }

                public static long Allocated(long[] x, bool[] y)
                {
                    var model = new AdderModel();
                    var sum = new float[AdderModel.SumLength];
                    long fewest = long.MaxValue;
                    for (int round = 0; round < 6 && fewest != 0; round++)
                    {
                        long before = GC.GetAllocatedBytesForCurrentThread();
                        for (int i = 0; i < 200; i++)
                        {
                            model.Run(x, y, sum);
                        }

                        fewest = round == 0 ? long.MaxValue : Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
                    }

                    return fewest;
                }

                public static void WrongLength() => new AdderModel().Run(new long[59], new bool[60], new float[60]);
            }
            """;
        using var model = ExecutionTests.LoadedModel.Compile(descriptor, plan, harness, "BuildOptim.adder.bopt");
        long[] x = Enumerable.Range(0, 60).Select(i => (long)i * 1000).ToArray();
        bool[] y = Enumerable.Range(0, 60).Select(i => i % 2 == 1).ToArray();

        Assert.Equal(Enumerable.Range(0, 60).Select(i => i * 1000f + (i % 2)), model.Call<float[]>("Run", x, y));
        Assert.Equal(0L, model.Call<long>("Allocated", x, y));
        var error = Assert.Throws<ArgumentException>(() => model.Call<object>("WrongLength"));
        Assert.Equal("x", error.ParamName);
    }

    [Fact]
    public void A_model_with_a_sequence_length_takes_it_from_its_spans_and_sizes_its_outputs_by_it()
    {
        // Relu on [batch, tokens]: the engine's own descriptor and plan, through the generator, compiled and run.
        var builder = new OnnxModelBuilder().ReluOutput();
        builder.Graph.Input[0].Type.TensorType.Shape.Dim[1] = new global::Onnx.TensorShapeProto.Types.Dimension { DimParam = "tokens" };
        builder.Graph.Output[0].Type.TensorType.Shape.Dim[1] = new global::Onnx.TensorShapeProto.Types.Dimension { DimParam = "tokens" };
        string root = Path.Combine(Path.GetTempPath(), "buildoptim-sequence-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            string modelPath = Path.Combine(root, "relu.onnx");
            File.WriteAllBytes(modelPath, builder.ToBytes());
            var options = new CompressionOptions { ModelPath = modelPath, Quantize = QuantizeMode.None, OutputDirectory = Path.Combine(root, "out"), ClassName = "TokenModel", Namespace = "Demo" };
            Assert.True(Compressor.Run(options).ArtifactsWritten);
            string descriptor = File.ReadAllText(Path.Combine(options.OutputDirectory, Compressor.DescriptorFileName));
            Assert.Contains("input.0.sequence=0,1,0", descriptor);
            const string harness = """
                using System;
                using Demo;

                public static class Harness
                {
                    public static float[] Run(float[] x)
                    {
                        var y = new float[TokenModel.YLength(x.Length)];
                        new TokenModel().Run(x, y);
                        return y;
                    }

                    public static long Allocated(float[] x)
                    {
                        var model = new TokenModel();
                        var y = new float[TokenModel.YLength(x.Length)];
                        var shorter = new float[x.Length - 1];
                        long fewest = long.MaxValue;
                        for (int round = 0; round < 6 && fewest != 0; round++)
                        {
                            long before = GC.GetAllocatedBytesForCurrentThread();
                            for (int i = 0; i < 200; i++)
                            {
                                model.Run(x, y);
                                model.Run(shorter.AsSpan(), y.AsSpan(0, shorter.Length));
                            }

                            fewest = round == 0 ? long.MaxValue : Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
                        }

                        return fewest;
                    }

                    public static int[] Limits() => [TokenModel.MinSequenceLength, TokenModel.MaxSequenceLength];

                    public static void WrongOutput() => new TokenModel().Run(new float[5], new float[4]);

                    public static void TooLong() => new TokenModel().Run(new float[TokenModel.MaxSequenceLength + 1], new float[1]);
                }
                """;
            string resource = options.EffectiveResourceName;
            using var model = ExecutionTests.LoadedModel.Compile(descriptor, File.ReadAllBytes(Path.Combine(options.OutputDirectory, Compressor.PlanFileName)), harness, resource);

            foreach (int n in new[] { 7, 2, 30, 1 })
            {
                float[] x = Enumerable.Range(0, n).Select(i => i % 3 == 0 ? -i - 1f : i).ToArray();
                Assert.Equal(x.Select(v => Math.Max(v, 0f)), model.Call<float[]>("Run", x));
            }

            Assert.Equal(0L, model.Call<long>("Allocated", new float[12]));
            Assert.Equal([1, BuildOptim.Compression.Sequence.SequencePlans.MaxLengths[0]], model.Call<int[]>("Limits"));
            Assert.Equal("y", Assert.Throws<ArgumentException>(() => model.Call<object>("WrongOutput")).ParamName);
            Assert.Equal("x", Assert.Throws<ArgumentException>(() => model.Call<object>("TooLong")).ParamName);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
