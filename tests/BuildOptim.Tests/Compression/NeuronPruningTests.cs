using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>Structured pruning (<c>Prune="Neurons"</c>) on the real FashionMnist MLP and FashionCnn exports.</summary>
public sealed class NeuronPruningTests(ITestOutputHelper output)
{
    private static string FashionCnn => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Models", "fashion_cnn.onnx");

    private static string FashionCnnCalibration => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "calib.npy");

    private static string FashionCnnEvaluation => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "eval.npz");

    private static double Accuracy(byte[] plan, NdArray data, int[] labels)
    {
        var outputs = Compressor.RunPlan(plan, data, data.SampleCount);
        int classes = outputs.Length / data.SampleCount, correct = 0;
        for (int s = 0; s < data.SampleCount; s++)
        {
            if (BuildOptim.Runtime.Kernels.ArgMax(outputs.AsSpan(s * classes, classes)) == labels[s])
            {
                correct++;
            }
        }

        return 100.0 * correct / data.SampleCount;
    }

    private static double Fp32Accuracy(Network network, NdArray data, int[] labels)
        => Accuracy(PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes, data, labels);

    private static double Int8Accuracy(Network network, NdArray calibration, NdArray data, int[] labels)
        => Accuracy(PlanCompiler.Compile(network, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(network, calibration)).Bytes, data, labels);

    /// <summary>Every layer's input and output values have the lengths its parameters imply.</summary>
    private static void AssertShapesConsistent(Network network)
    {
        foreach (var layer in network.Layers)
        {
            switch (layer)
            {
                case DenseLayer d:
                    Assert.Equal(d.N * d.K, d.Weights.Length);
                    Assert.Equal(d.N, d.Bias.Length);
                    Assert.Equal(d.K, network.Value(d.Inputs[0]).Shape[^1]);
                    Assert.Equal(d.N, network.Value(d.Output).Shape[^1]);
                    break;
                case ConvLayer c:
                    Assert.Equal(c.M * (c.C / c.Group) * c.KH * c.KW, c.Weights.Length);
                    Assert.Equal(c.M, c.Bias.Length);
                    Assert.Equal(c.C, network.Value(c.Inputs[0]).Shape[1]);
                    Assert.Equal(c.M, network.Value(c.Output).Shape[1]);
                    break;
                case PoolLayer p:
                    Assert.Equal(p.C, network.Value(p.Inputs[0]).Shape[1]);
                    Assert.Equal(p.C, network.Value(p.Output).Shape[1]);
                    break;
                case GlobalPoolLayer g:
                    Assert.Equal(g.C, network.Value(g.Inputs[0]).Shape[1]);
                    Assert.Equal(g.C, network.Value(g.Output).Shape[1]);
                    break;
                case ActivationLayer or ReshapeLayer:
                    Assert.Equal(network.Value(layer.Inputs[0]).Length, network.Value(layer.Output).Length);
                    break;
            }
        }
    }

    [Fact]
    public void Pruning_half_the_mlp_neurons_keeps_accuracy_and_refit_helps()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);
        var evaluation = DataSets.LoadInputs(Models.FashionEvaluation, model);
        var labels = DataSets.LoadLabels(Models.FashionEvaluation, null, evaluation.SampleCount)!;

        var refit = NeuronPruning.Apply(model, calibration, 0.5);
        var plain = NeuronPruning.Apply(model, calibration, 0.5, refit: false);

        // 784-256-128-10: both hidden layers lose half their neurons, the logits layer is a graph output.
        var dense = model.Layers.OfType<DenseLayer>().ToArray();
        Assert.Equal(3, dense.Length);
        var summary = refit.Layers.ToDictionary(l => l.Name);
        Assert.Equal((256, 128), (summary[dense[0].Name].Before, summary[dense[0].Name].After));
        Assert.Equal((128, 64), (summary[dense[1].Name].Before, summary[dense[1].Name].After));
        Assert.True(summary[dense[0].Name].Refit && summary[dense[1].Name].Refit);
        Assert.Equal(10, summary[dense[2].Name].After);
        Assert.Contains("graph output", summary[dense[2].Name].Constraint);
        Assert.Equal(128 + 64, refit.RemovedUnits);

        var prunedDense = refit.Network.Layers.OfType<DenseLayer>().ToArray();
        Assert.Equal([(784, 128), (128, 64), (64, 10)], prunedDense.Select(d => (d.K, d.N)).ToArray());
        AssertShapesConsistent(refit.Network);
        AssertShapesConsistent(plain.Network);
        Assert.Equal([1, 256], model.Value(dense[0].Output).Shape); // the original network is not modified

        double original = Fp32Accuracy(model, evaluation, labels);
        double withRefit = Fp32Accuracy(refit.Network, evaluation, labels);
        double withoutRefit = Fp32Accuracy(plain.Network, evaluation, labels);
        double int8 = Int8Accuracy(refit.Network, calibration, evaluation, labels);

        var originalPlan = PlanCompiler.Compile(model, QuantizeMode.None, null).Bytes.Length;
        var prunedPlan = PlanCompiler.Compile(refit.Network, QuantizeMode.None, null).Bytes.Length;
        var originalInt8 = PlanCompiler.Compile(model, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(model, calibration)).Bytes.Length;
        var prunedInt8 = PlanCompiler.Compile(refit.Network, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(refit.Network, calibration)).Bytes.Length;
        output.WriteLine($"fp32 accuracy: original {original:F2}%, pruned 50% with refit {withRefit:F2}%, without refit {withoutRefit:F2}%; int8 after pruning {int8:F2}%");
        output.WriteLine($"plan bytes: fp32 {originalPlan} -> {prunedPlan}; int8 {originalInt8} -> {prunedInt8}");

        Assert.True(withRefit >= original - 1.5, $"pruned {withRefit:F2}% vs original {original:F2}%");
        Assert.True(withRefit >= withoutRefit, $"refit {withRefit:F2}% < no refit {withoutRefit:F2}%");
        Assert.True(int8 >= original - 2.5, $"int8 pruned {int8:F2}% vs original {original:F2}%");
        Assert.True(prunedPlan < originalPlan * 0.6, $"fp32 plan {prunedPlan} vs {originalPlan}");
        Assert.True(prunedInt8 < originalInt8 * 0.6, $"int8 plan {prunedInt8} vs {originalInt8}");
    }

    [Fact]
    public void Refit_reduces_the_reconstruction_error_of_the_next_layer_on_calibration_data()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);
        var reference = Compressor.RunPlan(PlanCompiler.Compile(model, QuantizeMode.None, null).Bytes, calibration, calibration.SampleCount);
        double Error(Network n)
        {
            var outputs = Compressor.RunPlan(PlanCompiler.Compile(n, QuantizeMode.None, null).Bytes, calibration, calibration.SampleCount);
            return outputs.Zip(reference, (a, b) => (double)(a - b) * (a - b)).Sum();
        }

        double refit = Error(NeuronPruning.Apply(model, calibration, 0.5).Network);
        double plain = Error(NeuronPruning.Apply(model, calibration, 0.5, refit: false).Network);
        output.WriteLine($"squared logit error on calibration: refit {refit:G4}, no refit {plain:G4}");
        Assert.True(refit < 0.5 * plain, $"refit {refit} vs plain {plain}");
    }

    [Fact]
    public void Cnn_residual_block_is_constrained_and_the_rest_prunes_compiles_and_runs()
    {
        var model = Models.Lower(FashionCnn);
        var calibration = DataSets.LoadInputs(FashionCnnCalibration, model);
        var evaluation = DataSets.LoadInputs(FashionCnnEvaluation, model);
        var labels = DataSets.LoadLabels(FashionCnnEvaluation, null, evaluation.SampleCount)!;

        var result = NeuronPruning.Apply(model, calibration, 0.5);
        foreach (var l in result.Layers)
        {
            output.WriteLine($"{l.Name} {l.Kind}: {l.Before} -> {l.After} consumer={l.Consumer} refit={l.Refit} {l.Constraint}");
        }

        // stem conv -> maxpool -> [residual block: dw3x3 -> pw1x1 -> Add(x, ·) -> ReLU] -> down conv -> GAP -> Flatten -> fc
        var convs = model.Layers.OfType<ConvLayer>().ToArray();
        Assert.Equal(4, convs.Length);
        var byName = result.Layers.ToDictionary(l => l.Name);
        var stem = byName[convs[0].Name];
        var depthwise = byName[convs[1].Name];
        var pointwise = byName[convs[2].Name];
        var down = byName[convs[3].Name];
        Assert.False(stem.Pruned);      // its pooled output feeds both the depthwise conv and the residual add
        Assert.NotNull(stem.Constraint);
        Assert.False(depthwise.Pruned);  // depthwise: output channels tied to input channels
        Assert.Equal("DepthwiseConv", depthwise.Kind);
        Assert.False(pointwise.Pruned);  // read by the residual Add
        Assert.Contains("Binary", pointwise.Constraint);
        Assert.True(down.Pruned);        // -> ReLU6 (fused) -> GlobalAveragePool -> Flatten -> fc
        Assert.Equal((convs[3].M, convs[3].M / 2), (down.Before, down.After)); // 32 -> 16
        Assert.True(down.Refit);
        Assert.Equal(model.Layers.OfType<DenseLayer>().Single().Name, down.Consumer);

        var pruned = result.Network;
        AssertShapesConsistent(pruned);
        Assert.Equal(down.After, pruned.Layers.OfType<DenseLayer>().Single().K);
        Assert.Equal(down.After, pruned.Layers.OfType<GlobalPoolLayer>().Single().C);

        double original = Fp32Accuracy(model, evaluation, labels);
        double fp32 = Fp32Accuracy(pruned, evaluation, labels);
        double plain = Fp32Accuracy(NeuronPruning.Apply(model, calibration, 0.5, refit: false).Network, evaluation, labels);
        double int8 = Int8Accuracy(pruned, calibration, evaluation, labels);
        output.WriteLine($"fp32 accuracy: original {original:F2}%, pruned 50% with refit {fp32:F2}%, without refit {plain:F2}%; int8 after pruning {int8:F2}%");
        Assert.True(fp32 >= original - 5, $"pruned {fp32:F2}% vs original {original:F2}%");
        Assert.True(int8 >= original - 6, $"int8 pruned {int8:F2}% vs original {original:F2}%");
        Assert.True(PlanCompiler.Compile(pruned, QuantizeMode.None, null).Bytes.Length < PlanCompiler.Compile(model, QuantizeMode.None, null).Bytes.Length);
    }

    [Fact]
    public void Pruning_a_conv_read_by_a_conv_drops_input_channels_and_refits_through_padding_and_stride()
    {
        // The CNN's stem (-> MaxPool -> ...) is constrained by the residual block; a synthetic chain
        // conv3x3 -> ReLU -> MaxPool -> conv3x3 (stride 2, pad 1) -> GAP -> Flatten -> Dense exercises the conv consumer.
        var random = new Random(7);
        float[] Randn(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(scale * (random.NextDouble() * 2 - 1))).ToArray();
        var values = new List<NetworkValue>
        {
            new(0, "input", [1, 2, 8, 8]),
            new(1, "c1", [1, 8, 8, 8]),
            new(2, "r1", [1, 8, 8, 8]),
            new(3, "p1", [1, 8, 4, 4]),
            new(4, "c2", [1, 6, 2, 2]),
            new(5, "flat", [1, 24]),
            new(6, "logits", [1, 3]),
        };
        ConvLayer Conv(string name, int input, int output, int c, int h, int m, int stride, int oh, FusedActivation? act) => new()
        {
            Name = name, Inputs = [input], Output = output, C = c, H = h, W = h, M = m, KH = 3, KW = 3,
            StrideH = stride, StrideW = stride, PadTop = 1, PadLeft = 1, DilationH = 1, DilationW = 1, Group = 1,
            OH = oh, OW = oh, Weights = Randn(m * c * 9, 0.5), Bias = Randn(m, 0.1), Activation = act,
        };
        var network = new Network
        {
            SourcePath = "synthetic",
            Values = values,
            Inputs = [0],
            Outputs = [6],
            Layers =
            [
                Conv("conv1", 0, 1, 2, 8, 8, 1, 8, null),
                new ActivationLayer { Name = "relu1", Inputs = [1], Output = 2, Kind = ActivationKind.Relu },
                new PoolLayer
                {
                    Name = "pool1", Inputs = [2], Output = 3, Kind = PoolKind.Max, C = 8, H = 8, W = 8, KH = 2, KW = 2, StrideH = 2, StrideW = 2,
                    PadTop = 0, PadLeft = 0, PadBottom = 0, PadRight = 0, DilationH = 1, DilationW = 1, OH = 4, OW = 4,
                },
                Conv("conv2", 3, 4, 8, 4, 6, 2, 2, new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity)),
                new ReshapeLayer { Name = "flatten", Inputs = [4], Output = 5 },
                new DenseLayer { Name = "fc", Inputs = [5], Output = 6, K = 24, N = 3, Weights = Randn(72, 0.5), Bias = Randn(3, 0.1) },
            ],
        };
        var calibration = new NdArray("calib", ElementKind.Float32, [64, 2, 8, 8], Randn(64 * 128, 1));

        var result = NeuronPruning.Apply(network, calibration, 0.5);
        var byName = result.Layers.ToDictionary(l => l.Name);
        Assert.Equal((8, 4, "conv2", true), (byName["conv1"].Before, byName["conv1"].After, byName["conv1"].Consumer, byName["conv1"].Refit));
        Assert.Equal((6, 3, "fc", true), (byName["conv2"].Before, byName["conv2"].After, byName["conv2"].Consumer, byName["conv2"].Refit));
        var pruned = result.Network;
        AssertShapesConsistent(pruned);
        Assert.Equal([1, 4, 4, 4], pruned.Value(3).Shape);
        Assert.Equal([1, 12], pruned.Value(5).Shape); // Flatten: 3 channels × 2×2
        Assert.Equal(12, pruned.Layers.OfType<DenseLayer>().Single().K);

        // Both precisions compile and run; the refit beats plain dropping on the calibration data.
        var reference = Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes, calibration, calibration.SampleCount);
        double Error(Network n) => Compressor.RunPlan(PlanCompiler.Compile(n, QuantizeMode.None, null).Bytes, calibration, calibration.SampleCount)
            .Zip(reference, (a, b) => (double)(a - b) * (a - b)).Sum();
        double refit = Error(pruned), plain = Error(NeuronPruning.Apply(network, calibration, 0.5, refit: false).Network);
        output.WriteLine($"squared error: refit {refit:G4}, plain {plain:G4}");
        Assert.True(refit < plain);
        var int8 = PlanCompiler.Compile(pruned, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(pruned, calibration));
        Assert.Equal(calibration.SampleCount * 3, Compressor.RunPlan(int8.Bytes, calibration, calibration.SampleCount).Length);
    }

    [Fact]
    public void Pruning_is_deterministic_and_zero_sparsity_changes_nothing()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);
        var a = NeuronPruning.Apply(model, calibration, 0.3);
        var b = NeuronPruning.Apply(model, calibration, 0.3);
        Assert.Equal(PlanCompiler.Compile(a.Network, QuantizeMode.None, null).Bytes, PlanCompiler.Compile(b.Network, QuantizeMode.None, null).Bytes);
        Assert.Equal([180, 90], a.Layers.Where(l => l.Pruned).Select(l => l.After).ToArray()); // 256 - floor(76.8), 128 - floor(38.4)

        var none = NeuronPruning.Apply(model, calibration, 0);
        Assert.All(none.Layers, l => Assert.Equal(l.Before, l.After));
        Assert.Equal(PlanCompiler.Compile(model, QuantizeMode.None, null).Bytes, PlanCompiler.Compile(none.Network, QuantizeMode.None, null).Bytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronPruning.Apply(model, calibration, 1.0));
    }

    [Fact]
    public void Least_squares_recovers_a_known_linear_map()
    {
        var random = new Random(42);
        const int rows = 400, n = 17, m = 5;
        var x = new double[rows, n];
        var y = new double[rows, m];
        var w = new double[m, n];
        var b = new double[m];
        for (int o = 0; o < m; o++)
        {
            b[o] = random.NextDouble() * 4 - 2;
            for (int i = 0; i < n; i++)
            {
                w[o, i] = random.NextDouble() * 2 - 1;
            }
        }

        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < n; i++)
            {
                x[r, i] = random.NextDouble() * 3 + (i % 3); // non-centred columns: the intercept matters
            }

            for (int o = 0; o < m; o++)
            {
                double t = b[o];
                for (int i = 0; i < n; i++)
                {
                    t += w[o, i] * x[r, i];
                }

                y[r, o] = t;
            }
        }

        var (exactW, exactB) = NormalEquations.Fit(x, y, ridgeFactor: 0);
        var (ridgeW, ridgeB) = NormalEquations.Fit(x, y); // default ridge 1e-3 · trace / n: a tiny shrinkage
        for (int o = 0; o < m; o++)
        {
            Assert.Equal(b[o], exactB[o], 1e-9);
            Assert.Equal(b[o], ridgeB[o], 0.05);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(w[o, i], exactW[o * n + i], 1e-9);
                Assert.Equal(w[o, i], ridgeW[o * n + i], 0.01);
            }
        }
    }

    [Fact]
    public void Cholesky_solves_a_symmetric_positive_definite_system_and_rejects_an_indefinite_one()
    {
        double[] a = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3];
        double[] x = [1, -2, 3];
        var rhs = new double[3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                rhs[i] += a[i * 3 + j] * x[j];
            }
        }

        var l = (double[])a.Clone();
        Assert.True(Cholesky.Factor(l, 3));
        Cholesky.Solve(l, 3, rhs, 1);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(x[i], rhs[i], 1e-12);
        }

        Assert.False(Cholesky.Factor([1, 2, 2, 1], 2));
    }
}
