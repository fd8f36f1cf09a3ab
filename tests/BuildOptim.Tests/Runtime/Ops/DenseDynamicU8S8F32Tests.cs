using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;

namespace BuildOptim.Tests.Runtime.Ops;

/// <summary>
/// The dynamic int8 plan of a sequence model (<see cref="DynamicQuantization"/>): dense layers become
/// <see cref="OpKind.DenseDynamicU8S8F32"/>, the embedding table <see cref="OpKind.GatherRowsS8F32"/>, and the plan computes
/// the float model within quantization error, the same bit for bit at every parallelism, without allocating.
/// </summary>
public sealed class DenseDynamicU8S8F32Tests : ScratchFolderTest
{
    private const int Rows = 13;

    [Theory]
    [InlineData(8)]
    [InlineData(7)]
    public void A_sequence_models_int8_plan_has_int8_dense_layers_and_embeddings_and_stays_near_the_float_model(int bits)
    {
        var (path, table, w1, b1, w2, b2) = TokenModels.Write(Root, Rows);
        var network = OnnxFrontEnd.Load(path);
        Assert.True(DynamicQuantization.Applies(network));
        var compiled = PlanCompiler.Compile(WithWeightBits(network, bits), QuantizeMode.Int8, new Dictionary<int, TensorRange>());
        var plan = ModelPlan.FromBytes(compiled.Bytes);
        var ops = plan.Ops.ToArray();
        Assert.Equal(2, ops.Count(o => o.Kind == (bits == 7 ? OpKind.DenseDynamicU7S7F32 : OpKind.DenseDynamicU8S8F32)));
        Assert.All(compiled.Layers.Where(l => l.Kind.StartsWith("Dense", StringComparison.Ordinal)), l => Assert.Equal(bits, l.WeightBits));
        Assert.Single(ops, o => o.Kind == OpKind.GatherRowsS8F32);
        Assert.DoesNotContain(ops, o => o.Kind == OpKind.Constant && o.P[0] == table.Length);
        Assert.All(compiled.Layers.Where(l => l.Kind.StartsWith("Dense", StringComparison.Ordinal)), l => Assert.Equal("Int8", l.Precision));

        var ids = Ids(new Random(1));
        using var runner = new PlanRunner(plan);
        var y = new float[Rows * TokenModels.Hidden];
        runner.Run(ids, y);

        const int H = TokenModels.Hidden, I = TokenModels.Inner;
        double worst = 0, largest = 0;
        for (int r = 0; r < Rows; r++)
        {
            var e = table.AsSpan((int)ids[r] * H, H).ToArray();
            var h = new double[I];
            for (int j = 0; j < I; j++)
            {
                double sum = b1[j];
                for (int k = 0; k < H; k++)
                {
                    sum += e[k] * (double)w1[(k * I) + j];
                }

                h[j] = Math.Max(0, sum);
            }

            for (int n = 0; n < H; n++)
            {
                double expected = b2[n];
                for (int j = 0; j < I; j++)
                {
                    expected += h[j] * w2[(j * H) + n];
                }

                worst = Math.Max(worst, Math.Abs(y[(r * H) + n] - expected));
                largest = Math.Max(largest, Math.Abs(expected));
            }
        }

        // Three roundings of about 1/255 of a range each (table, activations, weights): within 3 % of the largest output;
        // 7-bit layers round activations and weights to 1/127 of their ranges, twice the step: within 5 %.
        Assert.True(worst <= (bits == 7 ? 0.05 : 0.03) * largest, $"worst error {worst} of outputs up to {largest}");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(7)]
    public void Every_parallelism_gives_the_single_thread_outputs_bit_for_bit_without_allocating(int bits)
    {
        var (path, _, _, _, _, _) = TokenModels.Write(Root, Rows);
        var plan = ModelPlan.FromBytes(PlanCompiler.Compile(WithWeightBits(OnnxFrontEnd.Load(path), bits), QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes);
        var ids = Ids(new Random(2));
        using var serial = new PlanRunner(plan);
        var expected = new float[serial.OutputLength];
        serial.Run(ids, expected);
        Assert.Equal(0, Allocations.SteadyState(100, () => serial.Run(ids, expected)));

        foreach (int parallelism in new[] { 2, 3, 8 })
        {
            using var runner = new PlanRunner(plan, parallelism, parallelMinimumMacs: 0);
            Assert.True(runner.ScratchBytes > serial.ScratchBytes, "each helper has its own scratch");
            var actual = new float[expected.Length];
            runner.Run(ids, actual);
            Assert.Equal(expected, actual);
            Assert.Equal(0, Allocations.SteadyState(100, () => runner.Run(ids, actual)));
        }
    }

    [Fact]
    public void Plans_are_byte_identical_compile_to_compile()
    {
        var (path, _, _, _, _, _) = TokenModels.Write(Root, Rows);
        var first = PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes;
        var second = PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes;
        Assert.Equal(first, second);
    }

    [Fact]
    public void A_7_bit_layer_whose_weights_leave_63_is_refused_at_load_and_8_bit_plans_still_load()
    {
        // The 8-bit plan's dense ops relabelled as 7-bit ones: their weights reach ±127, which the vpmaddubsw kernel would
        // saturate on, so the runner refuses the plan instead of computing something else.
        var (path, _, _, _, _, _) = TokenModels.Write(Root, Rows);
        byte[] bytes = PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes;
        using (new PlanRunner(ModelPlan.FromBytes(bytes)))
        {
        }

        var record = new int[] { (int)OpKind.DenseDynamicU8S8F32, 1, 1, 6, 3 }.SelectMany(BitConverter.GetBytes).ToArray();
        int relabelled = 0;
        for (int at = bytes.AsSpan().IndexOf(record); at >= 0; at = bytes.AsSpan().IndexOf(record))
        {
            BitConverter.GetBytes((int)OpKind.DenseDynamicU7S7F32).CopyTo(bytes, at);
            relabelled++;
        }

        Assert.Equal(2, relabelled);
        var plan = ModelPlan.FromBytes(bytes);
        var e = Assert.Throws<InvalidDataException>(() => new PlanRunner(plan));
        Assert.Contains("outside [-63, 63]", e.Message);
    }

    [Theory]
    [InlineData(new[] { 4, 65537, 8, 0, 0, 0 }, "above 65536")]
    [InlineData(new[] { 4, 8, 8, 0, 0, 7 }, "does not fuse")]
    [InlineData(new[] { 4, 8, 8, 0, 0 }, "")]
    public void Parameters_outside_the_kernels_range_are_refused(int[] p, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => DenseDynamicU8S8F32Parameters.Decode(p));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_embedding_index_outside_the_table_is_refused_on_every_call()
    {
        var (path, _, _, _, _, _) = TokenModels.Write(Root, Rows);
        using var runner = new PlanRunner(ModelPlan.FromBytes(PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes));
        var ids = Ids(new Random(3));
        ids[5] = TokenModels.Vocabulary;
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Run(ids, new float[runner.OutputLength]));
    }

    [Fact]
    public void A_Gelu_that_alone_reads_a_dense_layer_runs_in_its_epilogue_with_the_same_bits()
    {
        // Embeddings → MatMul + bias, with and without a Gelu after it: the fused op's outputs are the Gelu of the other's.
        var random = new Random(4);
        float[] table = Enumerable.Range(0, TokenModels.Vocabulary * TokenModels.Hidden).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] w = Enumerable.Range(0, TokenModels.Hidden * TokenModels.Inner).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] b = Enumerable.Range(0, TokenModels.Inner).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        ModelPlan Plan(bool gelu)
        {
            var builder = new OnnxModelBuilder(features: Rows, opset: 20)
                .Floats("table", table, TokenModels.Vocabulary, TokenModels.Hidden)
                .Int64s("shape", [1, Rows], 2)
                .Floats("W", w, TokenModels.Hidden, TokenModels.Inner)
                .Floats("b", b, TokenModels.Inner)
                .Node("Reshape", "ids", ["x", "shape"], ["i"])
                .Node("Cast", "to_int", ["i"], ["c"], OnnxModelBuilder.Attr("to", 7L))
                .Node("Gather", "embed", ["table", "c"], ["e"])
                .Node("MatMul", "up", ["e", "W"], ["u"])
                .Node("Add", "up_bias", ["u", "b"], [gelu ? "ub" : "y"]);
            builder = gelu ? builder.Node("Gelu", "gelu", ["ub"], ["y"]) : builder;
            string path = Path.Combine(Root, gelu ? "gelu.onnx" : "plain.onnx");
            Directory.CreateDirectory(Root);
            File.WriteAllBytes(path, builder.Output("y", Rows * TokenModels.Inner).ToBytes());
            return ModelPlan.FromBytes(PlanCompiler.Compile(OnnxFrontEnd.Load(path), QuantizeMode.Int8, new Dictionary<int, TensorRange>()).Bytes);
        }

        var fused = Plan(gelu: true);
        var dense = Assert.Single(fused.Ops.ToArray(), o => o.Kind == OpKind.DenseDynamicU8S8F32);
        Assert.Equal(Activation.Gelu, DenseDynamicU8S8F32Parameters.Decode(dense.P).Activation);
        Assert.DoesNotContain(fused.Ops.ToArray(), o => o.Kind == OpKind.ActivationF32);

        var ids = Ids(new Random(5));
        var expected = new float[Rows * TokenModels.Inner];
        using (var plain = new PlanRunner(Plan(gelu: false)))
        {
            plain.Run(ids, expected);
        }

        BuildOptim.Runtime.Kernels.ActivationF32(expected, Activation.Gelu, expected);
        var actual = new float[expected.Length];
        using var runner = new PlanRunner(fused);
        runner.Run(ids, actual);
        Assert.Equal(expected, actual);
    }

    /// <summary>The network with <paramref name="bits"/>-bit weight codes on every dense layer (<c>WeightBits</c>).</summary>
    private static BuildOptim.Onnx.Ir.Network WithWeightBits(BuildOptim.Onnx.Ir.Network network, int bits)
        => network.With(network.Layers.Select(l => l is BuildOptim.Onnx.Ir.DenseLayer d ? d with { WeightBits = bits } : l).ToList());

    private static float[] Ids(Random random) => Enumerable.Range(0, Rows).Select(_ => (float)random.Next(TokenModels.Vocabulary)).ToArray();
}
