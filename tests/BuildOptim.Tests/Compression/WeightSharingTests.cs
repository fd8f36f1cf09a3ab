using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>Weight sharing (<c>ShareWeights</c>): k-means, the packed int8 plan, and accuracy on the real FashionMnist MLP and FashionCnn.</summary>
public sealed class WeightSharingTests(ITestOutputHelper output)
{
    private static string FashionCnn => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Models", "fashion_cnn.onnx");

    private static string FashionCnnCalibration => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "calib.npy");

    private static string FashionCnnEvaluation => Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data", "eval.npz");

    [Fact]
    public void KMeans_is_deterministic_and_beats_evenly_spaced_levels()
    {
        var random = new Random(42);
        var values = Enumerable.Range(0, 5001).Select(_ => (float)Gaussian(random)).ToArray();
        var (centroids, indices) = KMeans1D.Cluster(values, 16);
        var (again, againIndices) = KMeans1D.Cluster(values.ToArray(), 16);
        Assert.Equal(centroids.Select(BitConverter.SingleToInt32Bits), again.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(indices, againIndices);
        Assert.True(centroids.Zip(centroids.Skip(1), (a, b) => a <= b).All(x => x), "centroids ascend");

        double min = values.Min(), max = values.Max();
        var even = Enumerable.Range(0, 16).Select(j => (float)(min + ((max - min) * j / 15))).ToArray();
        double evenError = SquaredError(values, even, KMeans1D.Assign(values, even));
        double kmeansError = SquaredError(values, centroids, indices);
        output.WriteLine($"squared error: k-means {kmeansError:G4}, 16 evenly spaced levels {evenError:G4}");
        Assert.True(kmeansError < 0.7 * evenError);

        for (int i = 0; i < values.Length; i++)
        {
            double chosen = Math.Abs(values[i] - (double)centroids[indices[i]]);
            Assert.All(centroids, c => Assert.True(chosen <= Math.Abs(values[i] - (double)c), "each value goes to its nearest centroid"));
        }
    }

    [Fact]
    public void KMeans_handles_constant_and_tiny_inputs()
    {
        var (centroids, indices) = KMeans1D.Cluster([0.5f, 0.5f, 0.5f], 16);
        Assert.All(indices, i => Assert.Equal(0.5f, centroids[i]));
        var (two, twoIndices) = KMeans1D.Cluster([-1f, 2f], 4);
        Assert.Equal([-1f, 2f], twoIndices.Select(i => two[i]));
    }

    [Fact]
    public void Apply_is_deterministic_and_the_network_holds_exactly_the_shared_weights()
    {
        var model = Models.Lower(Models.FashionMlp);
        var original = model.Layers.OfType<DenseLayer>().Select(d => d.Weights.ToArray()).ToList();
        var a = WeightSharing.Apply(model, 16);
        var b = WeightSharing.Apply(model, 16);

        Assert.Equal(["/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm"], a.Layers.Keys.Order());
        foreach (var dense in a.Network.Layers.OfType<DenseLayer>())
        {
            var shared = a.Layers[dense.Name];
            var twin = b.Layers[dense.Name];
            Assert.Equal(shared.Codebook, twin.Codebook);
            Assert.Equal(shared.Indices, twin.Indices);
            Assert.Equal(shared.RowScales, twin.RowScales);
            Assert.Equal(dense.Weights, shared.Decode());
            Assert.Equal(dense.N, shared.RowScales.Length);
            Assert.True(shared.Indices.Distinct().Count() <= 16);
            Assert.All(shared.Codebook, c => Assert.InRange(c, -1f, 1f));
        }

        Assert.Equal(original, model.Layers.OfType<DenseLayer>().Select(d => d.Weights).ToList()); // the input network is untouched
        Assert.Same(model, WeightSharing.Apply(model, 0).Network);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightSharing.Apply(model, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightSharing.Apply(model, 257));
    }

    [Fact]
    public void Small_layers_and_short_rows_are_left_alone()
    {
        var network = Synthetic(new Random(3), [(ConvRows: 9, Channels: 16), (ConvRows: 0, Channels: 0)], denseK: 40, denseN: 4, tinyDense: true);
        var result = WeightSharing.Apply(network, 16);
        Assert.Equal(["dense"], result.Layers.Keys); // the 3×3 conv has rows of 9 (< 2·16), the tiny dense 30 weights (< 4·16)
        foreach (var (before, after) in network.Layers.Zip(result.Network.Layers).Where(p => p.First.Name != "dense"))
        {
            Assert.Same(before, after);
        }
    }

    [Fact]
    public void Packed_plan_is_bit_identical_to_the_plain_int8_plan_when_rows_have_their_own_codebooks()
    {
        // Rows of 288 (conv) and 300 / 256 (dense) get their own codebooks; the first layers write codes, the last floats.
        var random = new Random(11);
        foreach (var network in new[] { ConvChain(random), DenseChain(random) })
        {
            var sharing = WeightSharing.Apply(network, 16);
            Assert.Equal(2, sharing.Layers.Count);
            var calibration = new NdArray("calib", ElementKind.Float32, [16, .. network.Value(0).Shape[1..]], RandomFloats(random, 16 * network.InputLength));
            var ranges = MinMaxCalibrator.Calibrate(sharing.Network, calibration);
            var plain = PlanCompiler.Compile(sharing.Network, QuantizeMode.Int8, ranges);
            var packed = PlanCompiler.Compile(sharing.Network, QuantizeMode.Int8, ranges, sharedWeights: sharing.Layers);

            var kinds = ModelPlan.FromBytes(packed.Bytes).Ops.ToArray().Select(o => o.Kind).ToList();
            Assert.Contains(kinds, k => k is OpKind.ConvSharedU8U4ToU8 or OpKind.DenseSharedU8U4ToU8);
            Assert.Contains(kinds, k => k is OpKind.ConvSharedU8U4ToF32 or OpKind.DenseSharedU8U4ToF32);
            Assert.Equal(Compressor.RunPlan(plain.Bytes, calibration, 16), Compressor.RunPlan(packed.Bytes, calibration, 16));
            output.WriteLine($"{network.Layers[0].GetType().Name}s: plain int8 plan {plain.Bytes.Length} B, packed {packed.Bytes.Length} B");
            Assert.True(packed.Bytes.Length < 0.6 * plain.Bytes.Length);
        }
    }

    [Fact]
    public void Short_rows_share_one_int8_codebook_rounded_by_at_most_half_a_step()
    {
        var network = Synthetic(new Random(5), [(ConvRows: 0, Channels: 0)], denseK: 40, denseN: 24, tinyDense: false);
        var dense = (DenseLayer)network.Layers.Single();
        var shared = WeightSharing.Cluster(dense.Weights, dense.N, 16);
        var weights = shared.Decode();
        var packed = SharedWeightPacking.Pack(dense.Name, weights, shared, dense.K, dense.N)!;
        Assert.Equal(1, packed.CodebookCount);
        Assert.Equal(20 * 24, packed.Indices.Length);
        for (int i = 0; i < weights.Length; i++)
        {
            double scale = packed.Scales[i / dense.K];
            Assert.Equal(packed.Codebooks[shared.Indices[i]], packed.Q[i]);
            Assert.True(Math.Abs((packed.Q[i] * scale) - weights[i]) <= (scale / 2) + 1e-7, $"weight {i}");
        }
    }

    [Fact]
    public void Compiler_rejects_shared_weights_that_do_not_belong_to_the_network()
    {
        var model = Models.Lower(Models.FashionMlp);
        var sharing = WeightSharing.Apply(model, 16);
        var ranges = MinMaxCalibrator.Calibrate(model, DataSets.LoadInputs(Models.FashionCalibration, model));
        var error = Assert.Throws<InvalidOperationException>(() => PlanCompiler.Compile(model, QuantizeMode.Int8, ranges, sharedWeights: sharing.Layers));
        Assert.Contains("/fc1/Gemm", error.Message);
    }

    [Fact]
    public void FashionMlp_with_16_clusters_halves_the_weight_bytes_within_1_5_points_of_fp32()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);
        var evaluation = DataSets.LoadInputs(Models.FashionEvaluation, model);
        var labels = DataSets.LoadLabels(Models.FashionEvaluation, null, evaluation.SampleCount)!;
        var report = Measure(model, calibration, evaluation, labels, 16);
        output.WriteLine(report.ToString());

        Assert.True(report.SharedBitsPerWeight <= 4.5, $"{report.SharedBitsPerWeight:F2} bits per weight");
        Assert.True(report.SharedWeightBytes <= 0.55 * report.PlainWeightBytes);
        Assert.True(report.SharedPlanBytes < 0.6 * report.PlainPlanBytes);
        Assert.True(report.Fp32Accuracy - report.SharedAccuracy <= 1.5, $"fp32 {report.Fp32Accuracy}%, shared int8 {report.SharedAccuracy}%");
    }

    [Fact]
    public void FashionCnn_with_16_clusters_stays_within_1_5_points_of_fp32_at_4_5_bits_per_weight()
    {
        var model = Models.Lower(FashionCnn);
        var calibration = DataSets.LoadInputs(FashionCnnCalibration, model);
        var evaluation = DataSets.LoadInputs(FashionCnnEvaluation, model);
        var labels = DataSets.LoadLabels(FashionCnnEvaluation, null, evaluation.SampleCount)!;
        var report = Measure(model, calibration, evaluation, labels, 16);
        output.WriteLine(report.ToString());

        Assert.Contains("/down/Conv", report.SharedLayers); // the 3×3 stem and depthwise convs (rows of 9) stay plain int8
        Assert.True(report.AllBitsPerWeight <= 4.5, $"{report.AllBitsPerWeight:F2} bits per weight");
        Assert.True(report.Fp32Accuracy - report.SharedAccuracy <= 1.5, $"fp32 {report.Fp32Accuracy}%, shared int8 {report.SharedAccuracy}%");
    }

    private sealed record SharingReport(
        double Fp32Accuracy, double PlainAccuracy, double SharedAccuracy, int PlainPlanBytes, int SharedPlanBytes,
        long PlainWeightBytes, long SharedWeightBytes, double SharedBitsPerWeight, double AllBitsPerWeight, IReadOnlyCollection<string> SharedLayers)
    {
        public override string ToString()
            => $"top-1 fp32 {Fp32Accuracy:F1}%, int8 {PlainAccuracy:F1}%, shared int8 {SharedAccuracy:F1}%; plan {PlainPlanBytes} -> {SharedPlanBytes} B; "
             + $"weight bytes {PlainWeightBytes} -> {SharedWeightBytes}; bits/weight {SharedBitsPerWeight:F2} in shared layers, {AllBitsPerWeight:F2} over all; shared: {string.Join(", ", SharedLayers)}";
    }

    /// <summary>fp32, plain int8 and shared int8 (<c>WeightSharing.Apply</c> → calibrate → compile) on one model.</summary>
    private static SharingReport Measure(Network model, NdArray calibration, NdArray evaluation, int[] labels, int clusters)
    {
        var plain = PlanCompiler.Compile(model, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(model, calibration));
        var sharing = WeightSharing.Apply(model, clusters);
        var shared = PlanCompiler.Compile(sharing.Network, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(sharing.Network, calibration), sharedWeights: sharing.Layers);

        // Weight bytes: a layer summary's compressed bytes less bias, multiplier and shift (12 bytes per output row).
        var rows = model.Layers.Where(l => l is DenseLayer or ConvLayer).ToDictionary(l => l.Name, l => l is DenseLayer d ? d.N : ((ConvLayer)l).M);
        var counts = model.Layers.Where(l => l is DenseLayer or ConvLayer).ToDictionary(l => l.Name, l => l is DenseLayer d ? d.Weights.Length : ((ConvLayer)l).Weights.Length);
        long WeightBytes(CompiledPlan plan, Func<string, bool> which) => plan.Layers.Where(l => rows.ContainsKey(l.Name) && which(l.Name)).Sum(l => l.CompressedBytes - (12L * rows[l.Name]));
        double sharedBits = 8.0 * WeightBytes(shared, sharing.Layers.ContainsKey) / sharing.Layers.Keys.Sum(n => counts[n]);
        double allBits = 8.0 * WeightBytes(shared, _ => true) / counts.Values.Sum();
        return new SharingReport(
            Accuracy(PlanCompiler.Compile(model, QuantizeMode.None, null).Bytes, evaluation, labels),
            Accuracy(plain.Bytes, evaluation, labels),
            Accuracy(shared.Bytes, evaluation, labels),
            plain.Bytes.Length,
            shared.Bytes.Length,
            WeightBytes(plain, _ => true),
            WeightBytes(shared, _ => true),
            sharedBits,
            allBits,
            sharing.Layers.Keys.ToList());
    }

    private static double Accuracy(byte[] plan, NdArray data, int[] labels)
    {
        var outputs = Compressor.RunPlan(plan, data, data.SampleCount);
        int classes = outputs.Length / data.SampleCount, correct = 0;
        for (int s = 0; s < data.SampleCount; s++)
        {
            correct += BuildOptim.Runtime.Kernels.ArgMax(outputs.AsSpan(s * classes, classes)) == labels[s] ? 1 : 0;
        }

        return 100.0 * correct / data.SampleCount;
    }

    private static double SquaredError(float[] values, float[] centroids, byte[] indices)
        => values.Select((v, i) => Math.Pow(v - (double)centroids[indices[i]], 2)).Sum();

    private static double Gaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float[] RandomFloats(Random random, int length, double scale = 1)
        => Enumerable.Range(0, length).Select(_ => (float)(scale * ((random.NextDouble() * 2) - 1))).ToArray();

    /// <summary>Input [1, 32, 5, 5] → 3×3 conv to 32 channels (ReLU) → 3×3 conv to 4 channels (graph output).</summary>
    private static Network ConvChain(Random random)
    {
        ConvLayer Conv(string name, int input, int output, int m, FusedActivation? activation) => new()
        {
            Name = name, Inputs = [input], Output = output, C = 32, H = 5, W = 5, M = m, KH = 3, KW = 3, StrideH = 1, StrideW = 1,
            PadTop = 1, PadLeft = 1, DilationH = 1, DilationW = 1, Group = 1, OH = 5, OW = 5,
            Weights = Enumerable.Range(0, m * 288).Select(_ => (float)(0.1 * Gaussian(random))).ToArray(), Bias = RandomFloats(random, m, 0.1), Activation = activation,
        };
        return new Network
        {
            SourcePath = "synthetic",
            Values = [new(0, "input", [1, 32, 5, 5]), new(1, "hidden", [1, 32, 5, 5]), new(2, "output", [1, 4, 5, 5])],
            Inputs = [0],
            Outputs = [2],
            Layers = [Conv("conv1", 0, 1, 32, new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity)), Conv("conv2", 1, 2, 4, null)],
        };
    }

    /// <summary>Input [1, 300] → dense to 256 (ReLU) → dense to 10 (graph output).</summary>
    private static Network DenseChain(Random random)
    {
        DenseLayer Dense(string name, int input, int output, int k, int n, FusedActivation? activation) => new()
        {
            Name = name, Inputs = [input], Output = output, K = k, N = n,
            Weights = Enumerable.Range(0, k * n).Select(_ => (float)(0.1 * Gaussian(random))).ToArray(), Bias = RandomFloats(random, n, 0.1), Activation = activation,
        };
        return new Network
        {
            SourcePath = "synthetic",
            Values = [new(0, "input", [1, 300]), new(1, "hidden", [1, 256]), new(2, "output", [1, 10])],
            Inputs = [0],
            Outputs = [2],
            Layers = [Dense("fc1", 0, 1, 300, 256, new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity)), Dense("fc2", 1, 2, 256, 10, null)],
        };
    }

    /// <summary>Independent layers (not a runnable chain) to exercise <see cref="WeightSharing"/>'s layer selection.</summary>
    private static Network Synthetic(Random random, (int ConvRows, int Channels)[] convs, int denseK, int denseN, bool tinyDense)
    {
        var layers = new List<Layer>();
        foreach (var (convRows, channels) in convs.Where(c => c.Channels > 0))
        {
            layers.Add(new ConvLayer
            {
                Name = "conv", Inputs = [0], Output = 0, C = convRows / 9, H = 8, W = 8, M = channels, KH = 3, KW = 3, StrideH = 1, StrideW = 1,
                PadTop = 1, PadLeft = 1, DilationH = 1, DilationW = 1, Group = 1, OH = 8, OW = 8,
                Weights = RandomFloats(random, channels * convRows), Bias = new float[channels],
            });
        }

        layers.Add(new DenseLayer { Name = "dense", Inputs = [0], Output = 0, K = denseK, N = denseN, Weights = RandomFloats(random, denseK * denseN), Bias = new float[denseN] });
        if (tinyDense)
        {
            layers.Add(new DenseLayer { Name = "tiny", Inputs = [0], Output = 0, K = 3, N = 10, Weights = RandomFloats(random, 30), Bias = new float[10] });
        }

        return new Network { SourcePath = "synthetic", Values = [new(0, "x", [1])], Inputs = [0], Outputs = [0], Layers = layers };
    }
}
