using BuildOptim.Compression.Distillation;
using BuildOptim.Compression.Pruning;
using BuildOptim.Compression.Sharing;
using BuildOptim.Compression.Training;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Compression.Training;

/// <summary>The training engine's arithmetic, loss, optimizer and weight forms (masks, shared codebooks), and its determinism.</summary>
public sealed class TrainingEngineTests
{
    [Fact]
    public void Dot_and_Dot4_sum_in_one_fixed_order_for_every_length()
    {
        var random = new Random(11);
        for (int n = 0; n <= 70; n++)
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var rows = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
            var four = new float[4];
            TrainingMath.Dot4(x, rows[0], rows[1], rows[2], rows[3], four);
            for (int r = 0; r < 4; r++)
            {
                float expected = ScalarDot(x, rows[r]);
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(TrainingMath.Dot(x, rows[r])));
                Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(four[r]));
            }

            var y = x.Select(v => v * 2).ToArray();
            var scalar = y.Select((v, i) => v + (0.3f * rows[0][i])).ToArray();
            TrainingMath.MultiplyAdd(y, rows[0], 0.3f);
            Assert.Equal(scalar, y);
        }
    }

    /// <summary>The documented order: lane j sums the elements i ≡ j (mod 8) of the whole chunks, lanes are added 0 to 7, then the tail.</summary>
    private static float ScalarDot(float[] a, float[] b)
    {
        int chunks = a.Length & ~7;
        var lanes = new float[8];
        for (int i = 0; i < chunks; i++)
        {
            lanes[i % 8] += a[i] * b[i];
        }

        float sum = lanes[0];
        for (int j = 1; j < 8; j++)
        {
            sum += lanes[j];
        }

        for (int i = chunks; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    [Theory]
    [InlineData(true, -1)]
    [InlineData(true, 2)]
    [InlineData(false, -1)]
    public void Loss_gradient_matches_finite_differences(bool classifier, int label)
    {
        var loss = new DistillationLoss(classifier, temperature: 3);
        float[] student = [0.5f, -1.2f, 2.0f, 0.1f, -0.4f];
        float[] teacher = [1.5f, -0.2f, 0.7f, 0.3f, -2.0f];
        var gradient = new float[5];
        loss.Compute(student, teacher, label, gradient, scale: 1);
        var scratch = new float[5];
        for (int i = 0; i < 5; i++)
        {
            const float h = 1e-3f;
            var plus = (float[])student.Clone();
            plus[i] += h;
            var minus = (float[])student.Clone();
            minus[i] -= h;
            double numeric = (loss.Compute(plus, teacher, label, scratch, 1) - loss.Compute(minus, teacher, label, scratch, 1)) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[i]) < 1e-3 + 1e-2 * Math.Abs(numeric), $"d/ds[{i}]: analytic {gradient[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Soft_loss_is_zero_when_the_student_matches_the_teacher()
    {
        var loss = new DistillationLoss(classifier: true, temperature: 4);
        float[] logits = [0.5f, -1.2f, 2.0f];
        var gradient = new float[3];
        Assert.Equal(0, loss.Compute(logits, logits, -1, gradient, 1), 12);
        Assert.All(gradient, g => Assert.Equal(0, g, 6));
    }

    [Fact]
    public void Training_a_small_student_raises_its_agreement_with_the_teacher_and_is_deterministic()
    {
        var (teacherNet, data) = Teacher();
        var student = StudentNetwork(seed: 2);
        var settings = new DistillationSettings { Epochs = 8, BatchSize = 16, LearningRate = 1e-2 };
        var first = Distiller.Train(student, new TrainingSetup(), data, settings);
        var second = Distiller.Train(student, new TrainingSetup(), data, settings);
        Assert.True(first.Epochs.Max(e => e.Agreement) > first.InitialAgreement + 0.2, $"agreement {first.InitialAgreement} -> {first.Epochs.Max(e => e.Agreement)}");
        Assert.Equal(Weights(first.Network), Weights(second.Network));
        Assert.Equal(first.Epochs, second.Epochs);
        Assert.NotNull(teacherNet);
    }

    [Fact]
    public void A_model_that_is_not_a_classifier_learns_the_teachers_outputs_by_mean_squared_error()
    {
        // Outputs [1, 3, 1]: not a classifier, so the loss is the MSE and the agreement the mean cosine similarity.
        var (_, data) = Teacher();
        var net = new TinyNetwork([1, 6], seed: 5);
        int h = net.Dense(net.Input, 12, new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity));
        int o = net.Dense(h, 3);
        var student = net.Build(net.Add([1, 3, 1], v => new ReshapeLayer { Name = "column", Inputs = [o], Output = v }));
        var run = Distiller.Train(student, new TrainingSetup(), data, new DistillationSettings { Epochs = 6, BatchSize = 16, LearningRate = 1e-2 });
        Assert.False(run.Classifier);
        Assert.True(run.Epochs[^1].HoldOutLoss < run.Epochs[0].HoldOutLoss);
        Assert.True(run.Epochs.Max(e => e.Agreement) > run.InitialAgreement);
        Assert.InRange(run.Epochs.Max(e => e.Agreement), 0.5, 1.0);
    }

    [Fact]
    public void Pruned_weights_stay_zero_and_the_others_learn()
    {
        var (_, data) = Teacher();
        var pruned = MagnitudePruning.Apply(StudentNetwork(seed: 3), 0.5);
        var run = Distiller.Train(pruned, new TrainingSetup(FakeInt8: true, KeepZeros: true), data, new DistillationSettings { Epochs = 3, BatchSize = 16, LearningRate = 1e-2 });
        var before = Weights(pruned);
        var after = Weights(run.Network);
        Assert.True(run.BestEpoch > 0);
        Assert.All(before.Zip(after), pair => Assert.True(pair.First != 0 || pair.Second == 0, "a pruned weight moved"));
        Assert.True(before.Zip(after).Count(pair => pair.First != 0 && pair.First != pair.Second) > before.Count(w => w != 0) / 2);
    }

    [Fact]
    public void Shared_layers_train_their_codebooks_and_keep_their_indices()
    {
        var (_, data) = Teacher();
        var sharing = WeightSharing.Apply(StudentNetwork(seed: 4), 4);
        Assert.NotEmpty(sharing.Layers);
        var run = Distiller.Train(sharing.Network, new TrainingSetup(Shared: sharing.Layers), data, new DistillationSettings { Epochs = 3, BatchSize = 16, LearningRate = 1e-2 });
        foreach (var (name, before) in sharing.Layers)
        {
            var after = run.Shared[name];
            Assert.Equal(before.Indices, after.Indices);
            Assert.Equal(before.RowScales, after.RowScales);
            Assert.NotEqual(before.Codebook, after.Codebook);
            var dense = run.Network.Layers.OfType<DenseLayer>().Single(l => l.Name == name);
            Assert.Equal(after.Decode(), dense.Weights);
        }
    }

    [Fact]
    public void A_layer_without_a_training_form_is_named()
    {
        var net = new TinyNetwork([1, 4]);
        int a = net.Dense(net.Input, 4);
        int t = net.Add([1, 4], o => new TransposeLayer { Name = "odd_transpose", Inputs = [a], Output = o, Perm = [0, 1] });
        var e = Assert.Throws<NotSupportedException>(() => new TrainingGraph(net.Build(t), 4, new TrainingSetup()));
        Assert.Contains("odd_transpose", e.Message);
        Assert.Contains("Transpose", e.Message);
    }

    /// <summary>A 6-16-3 teacher with random weights and 300 random inputs labelled by it (no labels).</summary>
    private static (Network Teacher, DistillationData Data) Teacher()
    {
        var net = new TinyNetwork([1, 6], seed: 1);
        int h = net.Dense(net.Input, 16, new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity));
        var teacher = net.Build(net.Dense(h, 3));
        var graph = new TrainingGraph(teacher, 300, new TrainingSetup());
        var random = new Random(9);
        var inputs = Enumerable.Range(0, 300 * 6).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        inputs.CopyTo(graph.Input(300));
        graph.Forward(300);
        return (teacher, new DistillationData(inputs, 6, graph.Output(300).ToArray(), 3, null));
    }

    private static Network StudentNetwork(int seed)
    {
        var net = new TinyNetwork([1, 6], seed);
        int h = net.Dense(net.Input, 12, new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity));
        return net.Build(net.Dense(h, 3));
    }

    private static float[] Weights(Network network) => network.Layers.OfType<DenseLayer>().SelectMany(d => d.Weights.Concat(d.Bias)).ToArray();
}
