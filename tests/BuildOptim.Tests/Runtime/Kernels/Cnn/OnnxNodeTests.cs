using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary>The float kernels against the ONNX backend node tests' expected outputs (batch looped here, as the runtime does).</summary>
public class OnnxNodeTests
{
    [Theory]
    [InlineData("test_basic_conv_with_padding")]
    [InlineData("test_basic_conv_without_padding")]
    [InlineData("test_conv_with_autopad_same")]
    [InlineData("test_conv_with_strides_and_asymmetric_padding")]
    [InlineData("test_conv_with_strides_no_padding")]
    [InlineData("test_conv_with_strides_padding")]
    public void ConvF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var (x, w) = (t.Inputs[0], t.Inputs[1]);
        var g = t.ConvGeometry(x.Dims, w.Dims);
        var y = new float[t.Output.Length];
        PerSample(x, g.InputLength, g.OutputLength, y, (xs, ys) => Kernels.ConvF32(xs, g, w.Floats, t.Inputs.Length > 2 ? t.Inputs[2].Floats : default, float.NegativeInfinity, float.PositiveInfinity, new float[Kernels.ConvF32ScratchLength(g)], ys));
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_maxpool_1d_default")]
    [InlineData("test_maxpool_2d_ceil")]
    [InlineData("test_maxpool_2d_ceil_output_size_reduce_by_one")]
    [InlineData("test_maxpool_2d_default")]
    [InlineData("test_maxpool_2d_dilations")]
    [InlineData("test_maxpool_2d_pads")]
    [InlineData("test_maxpool_2d_precomputed_pads")]
    [InlineData("test_maxpool_2d_precomputed_same_upper")]
    [InlineData("test_maxpool_2d_precomputed_strides")]
    [InlineData("test_maxpool_2d_same_lower")]
    [InlineData("test_maxpool_2d_same_upper")]
    [InlineData("test_maxpool_2d_strides")]
    public void MaxPoolF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var g = t.PoolGeometry(t.Inputs[0].Dims);
        var y = new float[t.Output.Length];
        PerSample(t.Inputs[0], g.InputLength, g.OutputLength, y, (xs, ys) => Kernels.MaxPoolF32(xs, g, ys));
        AssertMatches(t, y);
    }

    [Fact]
    public void MaxPoolU8_matches_onnx_uint8_node_test()
    {
        var t = OnnxNodeTestCase.Load("test_maxpool_2d_uint8");
        var g = t.PoolGeometry(t.Inputs[0].Dims);
        var y = new byte[g.OutputLength];
        Kernels.MaxPoolU8(t.Inputs[0].Bytes, g, y);
        Assert.Equal(t.Output.Bytes, y);
    }

    [Theory]
    [InlineData("test_averagepool_1d_default")]
    [InlineData("test_averagepool_2d_ceil")]
    [InlineData("test_averagepool_2d_ceil_last_window_starts_on_pad")]
    [InlineData("test_averagepool_2d_default")]
    [InlineData("test_averagepool_2d_dilations")]
    [InlineData("test_averagepool_2d_pads")]
    [InlineData("test_averagepool_2d_pads_count_include_pad")]
    [InlineData("test_averagepool_2d_precomputed_pads")]
    [InlineData("test_averagepool_2d_precomputed_pads_count_include_pad")]
    [InlineData("test_averagepool_2d_precomputed_same_upper")]
    [InlineData("test_averagepool_2d_precomputed_strides")]
    [InlineData("test_averagepool_2d_same_lower")]
    [InlineData("test_averagepool_2d_same_upper")]
    [InlineData("test_averagepool_2d_strides")]
    public void AveragePoolF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var g = t.PoolGeometry(t.Inputs[0].Dims);
        bool includePad = t.Int("count_include_pad", 0) != 0;
        var y = new float[t.Output.Length];
        PerSample(t.Inputs[0], g.InputLength, g.OutputLength, y, (xs, ys) => Kernels.AveragePoolF32(xs, g, includePad, ys));

        // This case's expected outputs are written by hand to 4 decimals: 0.1511 for 1.3595 / 9, 0.2841 for 2.5564 / 9
        // (a count of 4 in-bounds taps would give 0.34 and 0.64).
        AssertMatches(t, y, name == "test_averagepool_2d_ceil_last_window_starts_on_pad" ? 1e-4 : 1e-6);
    }

    [Theory]
    [InlineData("test_globalaveragepool")]
    [InlineData("test_globalaveragepool_precomputed")]
    [InlineData("test_globalmaxpool")]
    [InlineData("test_globalmaxpool_precomputed")]
    public void GlobalPoolF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var d = t.Inputs[0].Dims;
        int spatial = d[2..].Aggregate(1, (p, v) => p * v);
        var y = new float[t.Output.Length];
        PerSample(t.Inputs[0], d[1] * spatial, d[1], y, (xs, ys) =>
        {
            if (t.Node.OpType == "GlobalMaxPool")
            {
                Kernels.GlobalMaxPoolF32(xs, d[1], spatial, ys);
            }
            else
            {
                Kernels.GlobalAveragePoolF32(xs, d[1], spatial, ys);
            }
        });
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_lrn")]
    [InlineData("test_lrn_default")]
    public void LrnF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var d = t.Inputs[0].Dims;
        int spatial = d[2..].Aggregate(1, (p, v) => p * v);
        var y = new float[t.Output.Length];
        PerSample(t.Inputs[0], d[1] * spatial, d[1] * spatial, y, (xs, ys) => Kernels.LrnF32(xs, d[1], spatial, (int)t.Int("size", 0), t.Float("alpha", 1e-4f), t.Float("beta", 0.75f), t.Float("bias", 1f), ys));
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_transpose_default")]
    [InlineData("test_transpose_all_permutations_0")]
    [InlineData("test_transpose_all_permutations_1")]
    [InlineData("test_transpose_all_permutations_2")]
    [InlineData("test_transpose_all_permutations_3")]
    [InlineData("test_transpose_all_permutations_4")]
    [InlineData("test_transpose_all_permutations_5")]
    public void TransposeF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var dims = t.Inputs[0].Dims;
        var perm = t.Ints("perm", Enumerable.Range(0, dims.Length).Reverse().ToArray());
        var y = new float[t.Output.Length];
        Kernels.TransposeF32(t.Inputs[0].Floats, dims, perm, y);
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_constant_pad")]
    [InlineData("test_edge_pad")]
    [InlineData("test_reflect_pad")]
    [InlineData("test_wrap_pad")]
    public void PadF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var pads = t.Inputs[1].Longs.Select(v => (int)v).ToArray();
        float value = t.Inputs.Length > 2 ? t.Inputs[2].Floats[0] : 0;
        var mode = t.String("mode", "constant") switch
        {
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            "wrap" => PadMode.Wrap,
            _ => PadMode.Constant,
        };
        var y = new float[t.Output.Length];
        Kernels.PadF32(t.Inputs[0].Floats, t.Inputs[0].Dims, pads, mode, value, y);
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_softmax_axis_0")]
    [InlineData("test_softmax_axis_1")]
    [InlineData("test_softmax_axis_2")]
    [InlineData("test_logsoftmax_axis_0")]
    [InlineData("test_logsoftmax_axis_1")]
    [InlineData("test_logsoftmax_axis_2")]
    public void SoftmaxAxisF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var d = t.Inputs[0].Dims;
        int axis = (int)t.Int("axis", -1);
        axis = axis < 0 ? axis + d.Length : axis;
        int outer = d[..axis].Aggregate(1, (p, v) => p * v);
        int inner = d[(axis + 1)..].Aggregate(1, (p, v) => p * v);
        var y = new float[t.Output.Length];
        Kernels.SoftmaxAxisF32(t.Inputs[0].Floats, outer, d[axis], inner, t.Node.OpType == "LogSoftmax", y);
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_matmul_2d")]
    [InlineData("test_matmul_3d")]
    [InlineData("test_matmul_4d")]
    public void MatMulF32_matches_onnx_node_test(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var (a, b) = (t.Inputs[0].Dims, t.Inputs[1].Dims);
        int m = a[^2], k = a[^1], n = b[^1];
        int batch = a[..^2].Aggregate(1, (p, v) => p * v);
        var y = new float[t.Output.Length];
        Kernels.MatMulF32(t.Inputs[0].Floats, t.Inputs[1].Floats, batch, m, k, n, false, false, y);
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_add_bcast", nameof(BinaryOp.Add))]
    [InlineData("test_sub_bcast", nameof(BinaryOp.Sub))]
    [InlineData("test_mul_bcast", nameof(BinaryOp.Mul))]
    [InlineData("test_div_bcast", nameof(BinaryOp.Div))]
    [InlineData("test_prelu_broadcast", nameof(BinaryOp.PRelu))]
    [InlineData("test_prelu_example", nameof(BinaryOp.PRelu))]
    public void BinaryF32_matches_onnx_node_test(string name, string opName)
    {
        var op = Enum.Parse<BinaryOp>(opName);
        var t = OnnxNodeTestCase.Load(name);
        var shape = BroadcastShape.Create(t.Inputs[0].Dims, t.Inputs[1].Dims)!;
        var y = new float[shape.Length];
        Kernels.BinaryF32(op, t.Inputs[0].Floats, t.Inputs[1].Floats, shape, y);
        AssertMatches(t, y);
    }

    [Theory]
    [InlineData("test_batchnorm_example")]
    [InlineData("test_batchnorm_epsilon")]
    public void ChannelAffineF32_reproduces_onnx_batch_normalization(string name)
    {
        var t = OnnxNodeTestCase.Load(name);
        var d = t.Inputs[0].Dims;
        float epsilon = t.Float("epsilon", 1e-5f);
        var (gamma, beta, mean, variance) = (t.Inputs[1].Floats, t.Inputs[2].Floats, t.Inputs[3].Floats, t.Inputs[4].Floats);
        var scale = gamma.Select((s, c) => (float)(s / Math.Sqrt(variance[c] + epsilon))).ToArray();
        var shift = beta.Select((b, c) => b - (mean[c] * scale[c])).ToArray();
        int spatial = d[2..].Aggregate(1, (p, v) => p * v);
        var y = new float[t.Output.Length];
        PerSample(t.Inputs[0], d[1] * spatial, d[1] * spatial, y, (xs, ys) => Kernels.ChannelAffineF32(xs, d[1], spatial, scale, shift, ys));
        AssertMatches(t, y);
    }

    [Fact]
    public void CopyStrided_reproduces_onnx_concat()
    {
        var t = OnnxNodeTestCase.Load("test_concat_3d_axis_1");
        var y = new float[t.Output.Length];
        var d = t.Output.Dims;
        int after = d[2];
        int offset = 0;
        foreach (var input in t.Inputs)
        {
            int inner = input.Dims[1] * after;
            Kernels.CopyStrided(input.Floats, d[0], inner, y, d[1] * after, offset);
            offset += inner;
        }

        AssertMatches(t, y);
    }

    private delegate void SampleKernel(ReadOnlySpan<float> x, Span<float> y);

    private static void PerSample(NodeTensor x, int inputLength, int outputLength, float[] y, SampleKernel kernel)
    {
        int batch = x.Dims[0];
        Assert.Equal(batch * inputLength, x.Length);
        Assert.Equal(batch * outputLength, y.Length);
        for (int b = 0; b < batch; b++)
        {
            kernel(x.Floats.AsSpan(b * inputLength, inputLength), y.AsSpan(b * outputLength, outputLength));
        }
    }

    private static void AssertMatches(OnnxNodeTestCase t, float[] y, double absolute = 1e-6)
    {
        var expected = Array.ConvertAll(t.Output.Floats, v => (double)v);
        AssertClose(expected, y, default, 1e-5, absolute, t.Name);
    }
}
