using BuildOptim.Compression.Training;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Compression.Training;

/// <summary>
/// Every layer's backward pass against central finite differences of its forward pass. The checked loss is
/// <c>L = Σ c·y</c> over the outputs of a batch of 3 with fixed random <c>c</c>; each layer under test sits behind a
/// Dense layer, so that its input gradient is checked through that layer's weight gradient.
/// </summary>
public sealed class GradientCheckTests
{
    private const int Batch = 3;

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 3)]
    public void Dense_gradients_match_finite_differences(bool relu, int rowsPerSample)
    {
        var net = new TinyNetwork(rowsPerSample == 1 ? [1, 7] : [1, rowsPerSample, 7]);
        int hidden = net.Dense(net.Input, 6, relu ? new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity) : null);
        Check(net.Build(net.Dense(hidden, 5)));
    }

    [Theory]
    [InlineData(ActivationKind.Relu, 0f, 0f)]
    [InlineData(ActivationKind.LeakyRelu, 0.1f, 0f)]
    [InlineData(ActivationKind.Sigmoid, 0f, 0f)]
    [InlineData(ActivationKind.Tanh, 0f, 0f)]
    [InlineData(ActivationKind.Clip, -0.3f, 0.4f)]
    [InlineData(ActivationKind.HardSigmoid, 0.2f, 0.5f)]
    [InlineData(ActivationKind.HardSwish, 0f, 0f)]
    [InlineData(ActivationKind.Elu, 1f, 0f)]
    [InlineData(ActivationKind.Selu, 1.67f, 1.05f)]
    [InlineData(ActivationKind.Softplus, 0f, 0f)]
    [InlineData(ActivationKind.Softsign, 0f, 0f)]
    public void Activation_gradients_match_finite_differences(ActivationKind kind, float alpha, float beta)
    {
        var net = new TinyNetwork([1, 5]);
        int hidden = net.Dense(net.Input, 8);
        int activated = net.Add([1, 8], o => new ActivationLayer { Name = "act", Inputs = [hidden], Output = o, Kind = kind, Alpha = alpha, Beta = beta });
        Check(net.Build(net.Dense(activated, 4)));
    }

    [Theory]
    [InlineData(BinaryKind.Add, true)]
    [InlineData(BinaryKind.Sub, true)]
    [InlineData(BinaryKind.Mul, true)]
    [InlineData(BinaryKind.Div, false)]
    [InlineData(BinaryKind.Add, false)]
    [InlineData(BinaryKind.Mul, false)]
    [InlineData(BinaryKind.PRelu, false)]
    public void Binary_gradients_match_finite_differences_with_broadcasting(BinaryKind kind, bool twoComputedOperands)
    {
        var net = new TinyNetwork([1, 6]);
        int a = net.Dense(net.Input, 6);
        int reshaped = net.Add([1, 2, 3], o => new ReshapeLayer { Name = "reshape", Inputs = [a], Output = o });
        int b;
        if (twoComputedOperands)
        {
            b = net.Dense(net.Input, 3);
        }
        else
        {
            b = net.Constant([3]);
            if (kind == BinaryKind.Div)
            {
                b = net.Add([3], o => new ConstantLayer { Name = "divisor", Inputs = [], Output = o, Data = [1.5f, -2f, 0.8f] });
            }
        }

        int combined = net.Add([1, 2, 3], o => new BinaryLayer { Name = "binary", Inputs = [reshaped, b], Output = o, Kind = kind });
        int flat = net.Add([1, 6], o => new ReshapeLayer { Name = "flatten", Inputs = [combined], Output = o });
        Check(net.Build(net.Dense(flat, 4)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Softmax_gradients_match_finite_differences(bool log)
    {
        var net = new TinyNetwork([1, 4]);
        int logits = net.Dense(net.Input, 6);
        int grid = net.Add([1, 2, 3], o => new ReshapeLayer { Name = "grid", Inputs = [logits], Output = o });
        int soft = net.Add([1, 2, 3], o => new SoftmaxLayer { Name = "softmax", Inputs = [grid], Output = o, Outer = 1, AxisSize = 2, Inner = 3, Log = log });
        int flat = net.Add([1, 6], o => new ReshapeLayer { Name = "flatten", Inputs = [soft], Output = o });
        Check(net.Build(net.Dense(flat, 3)));
    }

    [Fact]
    public void Channel_affine_gradients_match_finite_differences()
    {
        var net = new TinyNetwork([1, 4]);
        int x = net.Dense(net.Input, 6);
        int grid = net.Add([1, 2, 3], o => new ReshapeLayer { Name = "grid", Inputs = [x], Output = o });
        int affine = net.Add([1, 2, 3], o => new ChannelAffineLayer { Name = "bn", Inputs = [grid], Output = o, Scale = [1.5f, -0.5f], Shift = [0.1f, 0.2f] });
        int flat = net.Add([1, 6], o => new ReshapeLayer { Name = "flatten", Inputs = [affine], Output = o });
        Check(net.Build(net.Dense(flat, 3)));
    }

    [Theory]
    [InlineData(1, 1, 0, 1)]
    [InlineData(2, 2, 1, 1)]
    [InlineData(1, 1, 1, 2)]
    [InlineData(1, 2, 1, 4)]
    public void Conv_gradients_match_finite_differences(int stride, int dilation, int pad, int group)
    {
        const int c = 4, h = 5, w = 6, m = 4, k = 3;
        int oh = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
        int ow = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
        var net = new TinyNetwork([1, 8]);
        int x = net.Dense(net.Input, c * h * w);
        int image = net.Add([1, c, h, w], o => new ReshapeLayer { Name = "image", Inputs = [x], Output = o });
        int conv = net.Add([1, m, oh, ow], o => new ConvLayer
        {
            Name = "conv", Inputs = [image], Output = o, C = c, H = h, W = w, M = m, KH = k, KW = k,
            StrideH = stride, StrideW = stride, PadTop = pad, PadLeft = pad, DilationH = dilation, DilationW = dilation,
            Group = group, OH = oh, OW = ow, Weights = net.Random(m * c / group * k * k, 0.3), Bias = net.Random(m, 0.1),
            Activation = group == 1 && stride == 1 ? new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity) : null,
        });
        int flat = net.Add([1, m * oh * ow], o => new ReshapeLayer { Name = "flatten", Inputs = [conv], Output = o });
        Check(net.Build(net.Dense(flat, 3)));
    }

    [Theory]
    [InlineData(PoolKind.Max, false)]
    [InlineData(PoolKind.Average, false)]
    [InlineData(PoolKind.Average, true)]
    public void Pool_gradients_match_finite_differences(PoolKind kind, bool countIncludePad)
    {
        var net = new TinyNetwork([1, 5]);
        int x = net.Dense(net.Input, 2 * 5 * 5);
        int image = net.Add([1, 2, 5, 5], o => new ReshapeLayer { Name = "image", Inputs = [x], Output = o });
        int pool = net.Add([1, 2, 3, 3], o => new PoolLayer
        {
            Name = "pool", Inputs = [image], Output = o, Kind = kind, C = 2, H = 5, W = 5, KH = 2, KW = 2, StrideH = 2, StrideW = 2,
            PadTop = 0, PadLeft = 0, PadBottom = 1, PadRight = 1, DilationH = 1, DilationW = 1, OH = 3, OW = 3, CountIncludePad = countIncludePad,
        });
        int global = net.Add([1, 2, 1, 1], o => new GlobalPoolLayer { Name = "global", Inputs = [pool], Output = o, Kind = kind, C = 2, Spatial = 9 });
        int flat = net.Add([1, 2], o => new ReshapeLayer { Name = "flatten", Inputs = [global], Output = o });
        int mixed = net.Add([1, 18], o => new ReshapeLayer { Name = "pooled", Inputs = [pool], Output = o });
        int both = net.Dense(mixed, 2);
        int sum = net.Add([1, 2], o => new BinaryLayer { Name = "sum", Inputs = [both, flat], Output = o, Kind = BinaryKind.Add });
        Check(net.Build(sum));
    }

    [Fact]
    public void Fake_int8_weights_are_the_plans_weights_and_pass_the_gradient_straight_through()
    {
        var net = new TinyNetwork([1, 9]);
        var network = net.Build(net.Dense(net.Input, 5));
        var dense = (DenseLayer)network.Layers[0];
        var graph = new TrainingGraph(network, Batch, new TrainingSetup(FakeInt8: true));
        var weights = graph.Parameters[0];
        var (q, scales) = BuildOptim.Compression.Planning.WeightQuantizer.QuantizeRows(dense.Weights, dense.K, dense.N);
        for (int i = 0; i < q.Length; i++)
        {
            Assert.Equal((float)(q[i] * scales[i / dense.K]), weights.Effective[i]);
        }

        var free = new TrainingGraph(network, Batch, new TrainingSetup());
        var fakeGradient = Gradients(graph, Inputs(graph), OutputWeights(graph))[0];
        Assert.Equal(Gradients(free, Inputs(free), OutputWeights(free))[0].Length, fakeGradient.Length);
        Assert.Equal(weights.Gradient, weights.ValueGradient);
    }

    /// <summary>Compares the analytic gradient of every parameter with central differences, on up to 24 entries each.</summary>
    private static void Check(Network network)
    {
        var graph = new TrainingGraph(network, Batch, new TrainingSetup(), trainOnLogits: false);
        var input = Inputs(graph);
        var c = OutputWeights(graph);
        var analytic = Gradients(graph, input, c);
        var random = new Random(5);
        double center = Loss(graph, input, c);
        for (int p = 0; p < graph.Parameters.Count; p++)
        {
            var parameter = graph.Parameters[p];
            int checkedCount = 0, kinks = 0;
            foreach (int i in Enumerable.Range(0, parameter.Values.Length).OrderBy(_ => random.Next()).Take(24))
            {
                float original = parameter.Values[i];
                const float h = 4e-3f;
                parameter.Values[i] = original + h;
                double plus = Loss(graph, input, c);
                parameter.Values[i] = original - h;
                double minus = Loss(graph, input, c);
                parameter.Values[i] = original;
                double numeric = (plus - minus) / (2 * h);
                double tolerance = 2e-3 + 2e-2 * Math.Abs(numeric);

                // A step across a kink (ReLU at 0, a clip bound, a max changing hands) has one-sided slopes that differ: not a test of the gradient.
                if (Math.Abs((plus - center) / h - (center - minus) / h) > 2 * tolerance)
                {
                    kinks++;
                    continue;
                }

                checkedCount++;
                Assert.True(Math.Abs(numeric - analytic[p][i]) <= tolerance,
                    $"{parameter.Name}[{i}]: analytic {analytic[p][i]:G6}, numeric {numeric:G6}");
            }

            Assert.True(checkedCount >= kinks, $"{parameter.Name}: {kinks} of its sampled entries sit at kinks");
        }
    }

    internal static float[] Inputs(TrainingGraph graph)
    {
        var random = new Random(3);
        return Enumerable.Range(0, Batch * graph.InputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static float[] OutputWeights(TrainingGraph graph)
    {
        var random = new Random(4);
        return Enumerable.Range(0, Batch * graph.OutputLength).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static double Loss(TrainingGraph graph, float[] input, float[] c)
    {
        graph.Refresh();
        input.CopyTo(graph.Input(Batch));
        graph.Forward(Batch);
        var y = graph.Output(Batch);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += (double)c[i] * y[i];
        }

        return sum;
    }

    private static float[][] Gradients(TrainingGraph graph, float[] input, float[] c)
    {
        Loss(graph, input, c);
        c.CopyTo(graph.OutputGradient(Batch));
        graph.Backward(Batch);
        return graph.Parameters.Select(p => (float[])p.ValueGradient.Clone()).ToArray();
    }
}
