using System.Text.Json;
using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>Near-duplicate neuron merging (<c>MergeNeurons</c>) on synthetic networks and the real FashionMnist MLP.</summary>
public sealed class NeuronMergingTests(ITestOutputHelper output) : ScratchFolderTest
{
    private static readonly FusedActivation Relu = new(ActivationKind.Relu, 0, float.PositiveInfinity);

    private static float[] Random(Random random, int n, double scale)
        => Enumerable.Range(0, n).Select(_ => (float)(scale * (random.NextDouble() * 2 - 1))).ToArray();

    private static NdArray RandomInputs(int seed, int samples, int[] sampleShape)
    {
        int length = sampleShape.Aggregate(1, (a, b) => a * b);
        return new NdArray("x", ElementKind.Float32, [samples, .. sampleShape], Random(new Random(seed), samples * length, 1));
    }

    private static byte[] Fp32Plan(Network network) => PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes;

    private static void AssertSameOutputs(Network expected, Network actual, NdArray inputs)
    {
        var reference = Compressor.RunPlan(Fp32Plan(expected), inputs, inputs.SampleCount);
        var outputs = Compressor.RunPlan(Fp32Plan(actual), inputs, inputs.SampleCount);
        Assert.Equal(reference.Length, outputs.Length);
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.True(Math.Abs(reference[i] - outputs[i]) <= 1e-4 * (1 + Math.Abs(reference[i])), $"[{i}] {outputs[i]} vs {reference[i]}");
        }
    }

    /// <summary>
    /// 6 → Dense(8, ReLU) → Dense(5, ReLU) → Dense(3). With <paramref name="duplicates"/>, hidden neuron 3 is an
    /// exact copy of neuron 1 and neuron 6 is neuron 2 with incoming weights and bias doubled (ReLU(2z) = 2·ReLU(z)).
    /// </summary>
    private static Network Mlp(bool duplicates)
    {
        var random = new Random(11);
        var w1 = Random(random, 8 * 6, 0.8);
        var b1 = Random(random, 8, 0.2);
        if (duplicates)
        {
            for (int k = 0; k < 6; k++)
            {
                w1[3 * 6 + k] = w1[1 * 6 + k];
                w1[6 * 6 + k] = 2 * w1[2 * 6 + k];
            }

            b1[3] = b1[1];
            b1[6] = 2 * b1[2];
        }

        return new Network
        {
            SourcePath = "synthetic",
            Values = [new(0, "input", [1, 6]), new(1, "h1", [1, 8]), new(2, "h2", [1, 5]), new(3, "logits", [1, 3])],
            Inputs = [0],
            Outputs = [3],
            Layers =
            [
                new DenseLayer { Name = "fc1", Inputs = [0], Output = 1, K = 6, N = 8, Weights = w1, Bias = b1, Activation = Relu },
                new DenseLayer { Name = "fc2", Inputs = [1], Output = 2, K = 8, N = 5, Weights = Random(random, 40, 0.8), Bias = Random(random, 5, 0.2), Activation = Relu },
                new DenseLayer { Name = "fc3", Inputs = [2], Output = 3, K = 5, N = 3, Weights = Random(random, 15, 0.8), Bias = Random(random, 3, 0.2) },
            ],
        };
    }

    [Fact]
    public void Exact_and_scaled_duplicate_neurons_merge_and_the_outputs_are_unchanged()
    {
        var network = Mlp(duplicates: true);
        var calibration = RandomInputs(1, 200, [6]);

        var result = NeuronMerging.Apply(network, calibration, 0.999);

        var byName = result.Layers.ToDictionary(l => l.Name);
        Assert.Equal((8, 6, "fc2"), (byName["fc1"].Before, byName["fc1"].After, byName["fc1"].Consumer));
        Assert.Equal(0, byName["fc2"].Merged);
        Assert.Contains("graph output", byName["fc3"].Constraint);
        Assert.Equal(2, result.MergedUnits);
        var dense = result.Network.Layers.OfType<DenseLayer>().ToArray();
        Assert.Equal([(6, 6), (6, 5), (5, 3)], dense.Select(d => (d.K, d.N)).ToArray());
        Assert.Equal([1, 6], result.Network.Value(1).Shape);
        Assert.Equal([1, 8], network.Value(1).Shape); // the original network is not modified

        AssertSameOutputs(network, result.Network, RandomInputs(2, 100, [6]));
    }

    [Fact]
    public void A_duplicate_conv_channel_merges_through_pooling_and_flatten()
    {
        // conv3x3 (4 channels, ReLU) -> MaxPool 2x2 -> Flatten -> Dense: channel 3 is channel 0 halved.
        var random = new Random(5);
        var weights = Random(random, 4 * 2 * 9, 0.5);
        var bias = Random(random, 4, 0.1);
        for (int k = 0; k < 18; k++)
        {
            weights[3 * 18 + k] = 0.5f * weights[k];
        }

        bias[3] = 0.5f * bias[0];
        var network = new Network
        {
            SourcePath = "synthetic",
            Values = [new(0, "input", [1, 2, 6, 6]), new(1, "c1", [1, 4, 6, 6]), new(2, "p1", [1, 4, 3, 3]), new(3, "flat", [1, 36]), new(4, "logits", [1, 3])],
            Inputs = [0],
            Outputs = [4],
            Layers =
            [
                new ConvLayer
                {
                    Name = "conv1", Inputs = [0], Output = 1, C = 2, H = 6, W = 6, M = 4, KH = 3, KW = 3, StrideH = 1, StrideW = 1,
                    PadTop = 1, PadLeft = 1, DilationH = 1, DilationW = 1, Group = 1, OH = 6, OW = 6, Weights = weights, Bias = bias, Activation = Relu,
                },
                new PoolLayer
                {
                    Name = "pool1", Inputs = [1], Output = 2, Kind = PoolKind.Max, C = 4, H = 6, W = 6, KH = 2, KW = 2, StrideH = 2, StrideW = 2,
                    PadTop = 0, PadLeft = 0, PadBottom = 0, PadRight = 0, DilationH = 1, DilationW = 1, OH = 3, OW = 3,
                },
                new ReshapeLayer { Name = "flatten", Inputs = [2], Output = 3 },
                new DenseLayer { Name = "fc", Inputs = [3], Output = 4, K = 36, N = 3, Weights = Random(random, 108, 0.5), Bias = Random(random, 3, 0.1) },
            ],
        };

        var result = NeuronMerging.Apply(network, RandomInputs(3, 64, [2, 6, 6]), 0.999);

        Assert.Equal((4, 3, "fc"), (result.Layers[0].Before, result.Layers[0].After, result.Layers[0].Consumer));
        Assert.Equal([1, 3, 3, 3], result.Network.Value(2).Shape);
        Assert.Equal(27, result.Network.Layers.OfType<DenseLayer>().Single().K);
        AssertSameOutputs(network, result.Network, RandomInputs(4, 50, [2, 6, 6]));
    }

    [Fact]
    public void Threshold_one_without_duplicates_changes_nothing()
    {
        var network = Mlp(duplicates: false);

        var result = NeuronMerging.Apply(network, RandomInputs(1, 200, [6]), 1.0);

        Assert.Equal(0, result.MergedUnits);
        Assert.Equal(Fp32Plan(network), Fp32Plan(result.Network));
    }

    [Fact]
    public void Merging_is_deterministic_and_rejects_thresholds_outside_zero_to_one()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);

        var a = NeuronMerging.Apply(model, calibration, 0.9);
        var b = NeuronMerging.Apply(model, calibration, 0.9);

        Assert.Equal(a.Layers, b.Layers);
        Assert.Equal(Fp32Plan(a.Network), Fp32Plan(b.Network));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronMerging.Apply(model, calibration, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NeuronMerging.Apply(model, calibration, 1.01));
    }

    [Fact]
    public void Fashion_mlp_merges_near_duplicates_within_one_and_a_half_points()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);
        var evaluation = DataSets.LoadInputs(Models.FashionEvaluation, model);
        var labels = DataSets.LoadLabels(Models.FashionEvaluation, null, evaluation.SampleCount)!;
        foreach (double threshold in new[] { 0.99, 0.98, 0.95, 0.9, 0.8 })
        {
            var merged = NeuronMerging.Apply(model, calibration, threshold);
            var reference = Compressor.RunPlan(Fp32Plan(model), evaluation, evaluation.SampleCount);
            var fp32 = Metrics.Compute(reference, Compressor.RunPlan(Fp32Plan(merged.Network), evaluation, evaluation.SampleCount), 10, labels);
            var int8Plan = PlanCompiler.Compile(merged.Network, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(merged.Network, calibration)).Bytes;
            var int8 = Metrics.Compute(reference, Compressor.RunPlan(int8Plan, evaluation, evaluation.SampleCount), 10, labels);
            output.WriteLine($"threshold {threshold}: {string.Join(", ", merged.Layers.Select(l => $"{l.Name} {l.Before}->{l.After}"))}; accuracy {fp32.OriginalAccuracy:P2} -> fp32 {fp32.CompressedAccuracy:P2}, int8 {int8.CompressedAccuracy:P2} ({int8Plan.Length} bytes, {evaluation.SampleCount} samples)");
        }

        var plain = Compressor.Run(Options(Path.Combine(Root, "plain")));
        var result = Compressor.Run(Options(Path.Combine(Root, "merged")) with { MergeNeurons = 0.95, MaxAccuracyDrop = 1.5 });
        int mergedNeurons = result.Report.MergedNeurons.Values.Sum();
        output.WriteLine($"int8, MergeNeurons=0.95: {mergedNeurons} neurons merged, accuracy {result.Report.Metrics!.OriginalAccuracy:P2} (fp32) -> {result.Report.Metrics.CompressedAccuracy:P2}, plan {plain.Report.CompressedBytes} -> {result.Report.CompressedBytes} bytes");

        Assert.True(result.Report.Gate.Passed, result.Report.Gate.Message);
        Assert.True(result.Report.Metrics.AccuracyDropPoints <= 1.5, $"drop {result.Report.Metrics.AccuracyDropPoints}");
        Assert.True(mergedNeurons > 0);
        Assert.True(result.Report.CompressedBytes < plain.Report.CompressedBytes, $"{result.Report.CompressedBytes} vs {plain.Report.CompressedBytes}");

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "merged", Compressor.ReportFileName)));
        Assert.Equal(0.95, report.RootElement.GetProperty("mergeNeurons").GetDouble());
        Assert.Equal(mergedNeurons, report.RootElement.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("mergedNeurons").GetInt32()));
    }

    [Fact]
    public void Fashion_cnn_merges_only_channels_outside_the_residual_block_and_passes_the_gate()
    {
        var result = Compressor.Run(Models.FashionCnnOptions(Path.Combine(Root, "cnn")) with { MaxAccuracyDrop = 1.5, MergeNeurons = 0.9 });
        output.WriteLine($"{string.Join(", ", result.Report.MergedNeurons)}; {result.SummaryLine}");

        // stem, depthwise and pointwise convs are tied by the residual Add; only the down conv (-> GAP -> Flatten -> fc) merges.
        Assert.Equal(["/down/Conv"], result.Report.MergedNeurons.Keys);
        Assert.True(result.Report.Gate.Passed, result.Report.Gate.Message);
        Assert.True(result.Report.Metrics!.AccuracyDropPoints <= 1.5);
    }

    [Fact]
    public void Merging_composes_with_neuron_pruning_and_the_gate_checks_the_result()
    {
        var result = Compressor.Run(Options(Path.Combine(Root, "both")) with { MergeNeurons = 0.95, Prune = PruneMode.Neurons, Sparsity = 0.3, MaxAccuracyDrop = 1.5 });
        var dense = result.Report.Layers.Where(l => l.Summary.Kind.StartsWith("Dense", StringComparison.Ordinal)).ToArray();
        output.WriteLine($"merge 0.95 + prune 30%: accuracy drop {result.Report.Metrics!.AccuracyDropPoints:F2} points, {result.Report.CompressedBytes} bytes, gate {result.Report.Gate.Passed}");

        Assert.True(result.Report.Gate.Evaluated);
        Assert.Equal(result.Report.Metrics.AccuracyDropPoints <= 1.5 + 1e-9, result.Report.Gate.Passed);
        Assert.Equal(3, dense.Length);
    }

    [Fact]
    public void MergeNeurons_outside_zero_to_one_is_BOPT1201_naming_the_item()
    {
        var e = Assert.Throws<CompressionException>(() => Compressor.Run(Options(Path.Combine(Root, "bad")) with { MergeNeurons = 1.5, ItemSpec = "Models/fashion_mlp.onnx" }));
        Assert.Equal(Diagnostics.InvalidOption, e.Code);
        Assert.Equal(Models.FashionMlp, e.FilePath);
        Assert.Contains("'Models/fashion_mlp.onnx': MergeNeurons '1.5' is not valid", e.Message);
    }

    [Fact]
    public void Cli_merge_neurons_option_reaches_the_report()
    {
        using var report = CompressWithCli("cli", "--merge-neurons", "0.97");
        Assert.Equal(0.97, report.RootElement.GetProperty("mergeNeurons").GetDouble());
        // The small MLP has near-duplicate hidden units at 0.97: the report says how many went, per layer.
        Assert.True(report.RootElement.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("mergedNeurons").GetInt32()) > 0);
    }

    [Theory]
    [InlineData("1.5", 2)]
    [InlineData("-0.2", 2)]
    [InlineData("often", 2)]
    public void Cli_invalid_merge_neurons_is_BOPT1201_naming_the_item(string value, int exitCode)
    {
        var stderr = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--merge-neurons", value, "--item", "Models/mlp.onnx", "--out", Path.Combine(Root, "cli-bad")],
            TextWriter.Null, stderr);

        Assert.Equal(exitCode, exit);
        string message = stderr.ToString();
        Assert.Contains("error BOPT1201", message);
        Assert.Contains("'Models/mlp.onnx'", message);
        Assert.False(Directory.Exists(Path.Combine(Root, "cli-bad")));
    }

    private static CompressionOptions Options(string dir) => Models.FashionMlpOptions(dir);
}
