using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// The 3-D convolutions and pools and the separable Resize against ONNX Runtime on small models written in code, in the
/// forms the vendored backend cases do not hold (3-D Conv has no backend case): the fp32 plan gives ONNX Runtime's outputs,
/// and the int8 plan runs them as fp32 islands.
/// </summary>
public sealed class SpatialOrtAgreementTests : ScratchFolderTest
{
    public static TheoryData<string> Models => [.. s_models.Keys];

    /// <summary>Each model: its opset, input dims after the batch, its nodes and initializers; the output is y.</summary>
    private static readonly Dictionary<string, (int Opset, int[] Dims, Action<OnnxModelBuilder> Body)> s_models = new()
    {
        ["Conv 3-D, pads, strides, dilations, then Relu"] = (13, [2, 5, 6, 7], b => b.Floats("w", Wave(4 * 2 * 27, 0.3f), 4, 2, 3, 3, 3).Floats("b", Wave(4, 0.1f), 4)
            .Node("Conv", "conv", ["x", "w", "b"], ["c"], Attr("pads", 1L, 0L, 2L, 1L, 1L, 0L), Attr("strides", 1L, 2L, 1L), Attr("dilations", 1L, 1L, 2L))
            .Node("Relu", "relu", ["c"], ["y"])),
        ["Conv 3-D depthwise, SAME_UPPER, stride 2"] = (13, [3, 4, 5, 6], b => b.Floats("w", Wave(3 * 27, 0.5f), 3, 1, 3, 3, 3)
            .Node("Conv", "conv", ["x", "w"], ["y"], Attr("group", 3L), Attr("strides", 2L, 2L, 2L), Attr("auto_pad", "SAME_UPPER"))),
        ["Conv 3-D 1x1x1 in 2 groups"] = (13, [4, 3, 4, 5], b => b.Floats("w", Wave(6 * 2, 0.7f), 6, 2, 1, 1, 1)
            .Node("Conv", "conv", ["x", "w"], ["y"], Attr("group", 2L))),
        ["ConvTranspose 3-D, strides, pads, output_padding"] = (13, [2, 3, 4, 5], b => b.Floats("w", Wave(2 * 3 * 18, 0.4f), 2, 3, 2, 3, 3).Floats("b", Wave(3, 0.2f), 3)
            .Node("ConvTranspose", "deconv", ["x", "w", "b"], ["y"], Attr("strides", 2L, 2L, 1L), Attr("pads", 0L, 1L, 1L, 0L, 1L, 1L), Attr("output_padding", 1L, 1L, 0L))),
        ["ConvTranspose 3-D, groups, output_shape"] = (13, [4, 2, 3, 3], b => b.Floats("w", Wave(4 * 1 * 8, 0.6f), 4, 1, 2, 2, 2)
            .Node("ConvTranspose", "deconv", ["x", "w"], ["y"], Attr("group", 2L), Attr("strides", 2L, 2L, 2L), Attr("output_shape", 5L, 6L, 7L))),
        ["MaxPool 3-D, ceil_mode, pads, dilations"] = (13, [2, 5, 6, 7], b => b
            .Node("MaxPool", "pool", ["x"], ["y"], Attr("kernel_shape", 3L, 2L, 3L), Attr("strides", 2L, 2L, 2L), Attr("pads", 1L, 0L, 1L, 1L, 1L, 0L), Attr("ceil_mode", 1L), Attr("dilations", 1L, 2L, 1L))),
        ["AveragePool 3-D, count_include_pad, ceil_mode"] = (13, [2, 5, 6, 7], b => b
            .Node("AveragePool", "pool", ["x"], ["y"], Attr("kernel_shape", 3L, 3L, 2L), Attr("strides", 2L, 1L, 2L), Attr("pads", 1L, 1L, 0L, 1L, 0L, 1L), Attr("count_include_pad", 1L), Attr("ceil_mode", 1L))),
        ["GlobalAveragePool and GlobalMaxPool of 5-D"] = (13, [3, 4, 5, 6], b => b
            .Node("GlobalAveragePool", "gap", ["x"], ["a"]).Node("GlobalMaxPool", "gmp", ["x"], ["m"]).Node("Add", "sum", ["a", "m"], ["y"])),
        ["Resize cubic, half_pixel, up and down"] = (13, [2, 5, 7], b => b.Floats("roi", []).Floats("scales", [1, 1, 1.7f, 0.6f])
            .Node("Resize", "resize", ["x", "roi", "scales"], ["y"], Attr("mode", "cubic"))),
        ["Resize cubic, A -0.5, exclude_outside, asymmetric"] = (13, [2, 6, 5], b => b.Floats("roi", []).Floats("scales", [1, 1, 0.5f, 2.5f])
            .Node("Resize", "resize", ["x", "roi", "scales"], ["y"], Attr("mode", "cubic"), Attr("cubic_coeff_a", -0.5f), Attr("exclude_outside", 1L), Attr("coordinate_transformation_mode", "asymmetric"))),
        ["Resize cubic, align_corners, sizes of axes 2 and 3"] = (18, [2, 6, 5], b => b.Floats("roi", []).Floats("scales", []).Int64s("sizes", [4, 9])
            .Node("Resize", "resize", ["x", "roi", "scales", "sizes"], ["y"], Attr("mode", "cubic"), Attr("coordinate_transformation_mode", "align_corners"), Attr("axes", 2L, 3L))),
        ["Resize trilinear 5-D, half_pixel"] = (13, [2, 3, 4, 5], b => b.Floats("roi", []).Floats("scales", [1, 1, 1.5f, 2, 0.6f])
            .Node("Resize", "resize", ["x", "roi", "scales"], ["y"], Attr("mode", "linear"))),
        ["Resize linear tf_crop_and_resize with extrapolation"] = (18, [2, 6, 6], b => b.Floats("roi", [-0.2f, 0.3f, 0.9f, 1.3f]).Floats("scales", []).Int64s("sizes", [5, 4])
            .Node("Resize", "resize", ["x", "roi", "scales", "sizes"], ["y"], Attr("mode", "linear"), Attr("coordinate_transformation_mode", "tf_crop_and_resize"), Attr("extrapolation_value", 2.5f), Attr("axes", 2L, 3L))),
        ["Resize cubic tf_crop_and_resize with extrapolation"] = (18, [2, 6, 6], b => b.Floats("roi", [0.1f, -0.3f, 1.2f, 0.8f]).Floats("scales", []).Int64s("sizes", [7, 5])
            .Node("Resize", "resize", ["x", "roi", "scales", "sizes"], ["y"], Attr("mode", "cubic"), Attr("coordinate_transformation_mode", "tf_crop_and_resize"), Attr("extrapolation_value", -1f), Attr("axes", 2L, 3L))),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Fp32_plan_gives_onnx_runtimes_outputs_and_int8_runs_it_as_a_float_island(string name)
    {
        var (opset, dims, body) = s_models[name];
        const int samples = 4;
        var (path, network, inputs) = OneInputModel.Write(Root, opset, dims, body, seed: 1553, samples, low: -2, width: 4);
        var expected = OrtReference.Run(path, network, inputs);
        var plan = PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes;
        var fp32 = Compressor.RunPlan(plan, inputs, samples);
        Assert.Equal(expected.Length, fp32.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(fp32[i] - expected[i]) <= 1e-5 + (1e-4 * Math.Abs(expected[i])), $"{name}: output {i} is {fp32[i]}, ONNX Runtime gives {expected[i]}");
        }

        var runner = new PlanRunner(ModelPlan.FromBytes(plan));
        var output = new float[network.OutputLength];
        Assert.Equal(0, Allocations.SteadyState(10, () => runner.Run(inputs.Sample(0), output)));

        // The layers have no int8 form: an int8 plan keeps them in float, so with nothing else to quantize it computes the same.
        if (!network.Layers.All(l => l is Conv3DLayer or ConvTranspose3DLayer or Pool3DLayer or ResizeLayer))
        {
            return;
        }

        var int8 = Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.Int8, MinMaxCalibrator.Calibrate(network, inputs)).Bytes, inputs, samples);
        Assert.Equal(fp32, int8);
    }

    [Fact]
    public void A_3d_conv_followed_by_relu_fuses_the_clamp()
    {
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "model.onnx");
        var builder = new OnnxModelBuilder();
        builder.Graph.Input[0] = FloatValue("x", null, 2, 5, 6, 7);
        s_models["Conv 3-D, pads, strides, dilations, then Relu"].Body(builder);
        builder.Graph.Output.Add(new global::Onnx.ValueInfoProto { Name = "y", Type = new global::Onnx.TypeProto { TensorType = new global::Onnx.TypeProto.Types.Tensor { ElemType = 1 } } });
        File.WriteAllBytes(path, builder.ToBytes());

        var layer = Assert.Single(OnnxFrontEnd.Load(path).Layers);
        var conv = Assert.IsType<Conv3DLayer>(layer);
        Assert.Equal(ActivationKind.Relu, conv.Activation?.Kind);
        Assert.Equal((1, 0, 2), (conv.Depth.PadBegin, conv.Height.PadBegin, conv.Width.PadBegin));
        Assert.Equal((2, 1, 2), (conv.Depth.Stride * 2, conv.Height.Stride - 1, conv.Width.Dilation));
    }

    /// <summary>Deterministic weights of both signs.</summary>
    private static float[] Wave(int count, float amplitude) => Enumerable.Range(0, count).Select(i => amplitude * MathF.Sin((i * 0.77f) + 0.3f)).ToArray();
}
