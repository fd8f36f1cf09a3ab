using Onnx;
using static BuildOptim.Tests.OnnxModelBuilder;

namespace BuildOptim.Tests.Onnx;

/// <summary>One malformed model: the code it must end in and the name the message must mention.</summary>
public sealed record HostileModel(string Name, string Code, string Mentions, string What, Func<byte[]> Build)
{
    public override string ToString() => Name;
}

/// <summary>
/// The corpus of hostile models (issue 13): each one is a few hundred bytes that once made the engine
/// allocate gigabytes, loop, or fail with an internal error. <see cref="HostileOnnxModelTests"/> asserts each
/// ends in its coded model error; the fuzzer (<c>Fuzz/OnnxFuzzTests</c>) mutates them as well as the real models.
/// </summary>
public static class HostileOnnxModels
{
    private const string Invalid = "BOPT1002";
    private const string Unsupported = "BOPT1004";

    public static readonly IReadOnlyList<HostileModel> All =
    [
        // Constant folding without a size limit.
        Model("constant_of_shape_40000x40000", Unsupported, "cos", "ConstantOfShape([40000, 40000]): 1.6 G elements",
            b => b.Int64s("shape", [40000, 40000]).Node("ConstantOfShape", "cos", ["shape"], ["big"])),
        Model("constant_of_shape_wraps_to_zero", Unsupported, "cos", "ConstantOfShape([65536]*4): the product wraps to 0 in a long",
            b => b.Int64s("shape", [65536, 65536, 65536, 65536]).Node("ConstantOfShape", "cos", ["shape"], ["big"])),
        Model("constant_of_shape_above_int32", Unsupported, "cos", "ConstantOfShape([3000000000])",
            b => b.Int64s("shape", [3_000_000_000]).Node("ConstantOfShape", "cos", ["shape"], ["big"])),
        Model("constant_of_shape_negative", Invalid, "cos", "ConstantOfShape([-1, 4])",
            b => b.Int64s("shape", [-1, 4]).Node("ConstantOfShape", "cos", ["shape"], ["big"])),
        Model("range_one_billion", Unsupported, "range", "Range(0, 1e9, 1) in int64: 8 GB",
            b => b.Scalar("start", 0L).Scalar("limit", 1_000_000_000L).Scalar("delta", 1L).Node("Range", "range", ["start", "limit", "delta"], ["r"])),
        Model("range_float_one_billion", Unsupported, "range", "Range(0, 1e9, 1) in float",
            b => b.Scalar("start", 0f).Scalar("limit", 1e9f).Scalar("delta", 1f).Node("Range", "range", ["start", "limit", "delta"], ["r"])),
        Model("concat_of_one_input_30000_times", Unsupported, "cat", "Concat of one 10,000-element initializer 30,000 times",
            b => b.Floats("piece", new float[10_000]).Node("Concat", "cat", Enumerable.Repeat("piece", 30_000).ToArray(), ["big"], Attr("axis", 0L))),
        Model("add_broadcast_20000x20000", Unsupported, "add", "Add of [20000, 1] and [1, 20000] constants",
            b => b.Floats("column", new float[20_000], 20_000, 1).Floats("row", new float[20_000], 1, 20_000).Node("Add", "add", ["column", "row"], ["big"])),
        Model("gather_index_beyond_int32", Invalid, "gather", "Gather index 2^32 (wrapped to 0 by an int cast)",
            b => b.Floats("data", [1, 2, 3]).Int64s("index", [4_294_967_296]).Node("Gather", "gather", ["data", "index"], ["picked"])),
        Model("transpose_constant_bad_perm", Invalid, "transpose", "Transpose of a constant with perm [0, 5]",
            b => b.Floats("data", [1, 2, 3, 4], 2, 2).Node("Transpose", "transpose", ["data"], ["t"], Attr("perm", 0L, 5L))),
        Model("slice_step_zero", Invalid, "slice", "Slice with step 0",
            b => b.Floats("data", [1, 2, 3, 4]).Int64s("starts", [0]).Int64s("ends", [4]).Int64s("axes", [0]).Int64s("steps", [0])
                .Node("Slice", "slice", ["data", "starts", "ends", "axes", "steps"], ["s"])),
        Model("unsqueeze_axis_out_of_range", Invalid, "unsqueeze", "Unsqueeze of a constant at axis 10",
            b => b.Floats("data", [1, 2]).Int64s("axes", [10]).Node("Unsqueeze", "unsqueeze", ["data", "axes"], ["u"])),
        Model("reshape_constant_wraps_to_zero", Unsupported, "reshape", "Reshape of an empty constant to [65536]*4 (the product wraps to 0)",
            b => b.Floats("empty", [], 0).Int64s("shape", [65536, 65536, 65536, 65536]).Node("Reshape", "reshape", ["empty", "shape"], ["r"])),
        Model("concat_without_inputs", Invalid, "cat", "Concat with no inputs",
            b => b.Node("Concat", "cat", [], ["c"], Attr("axis", 0L))),

        // Range with delta 0 or non-finite bounds.
        Model("range_delta_zero", Invalid, "range", "Range(0, 10, 0) in int64",
            b => b.Scalar("start", 0L).Scalar("limit", 10L).Scalar("delta", 0L).Node("Range", "range", ["start", "limit", "delta"], ["r"])),
        Model("range_float_delta_zero", Invalid, "range", "Range(0, 10, 0) in float",
            b => b.Scalar("start", 0f).Scalar("limit", 10f).Scalar("delta", 0f).Node("Range", "range", ["start", "limit", "delta"], ["r"])),
        Model("range_nan_start", Invalid, "range", "Range(NaN, 10, 1)",
            b => b.Scalar("start", float.NaN).Scalar("limit", 10f).Scalar("delta", 1f).Node("Range", "range", ["start", "limit", "delta"], ["r"])),
        Model("range_infinite_limit", Invalid, "range", "Range(0, +Inf, 1)",
            b => b.Scalar("start", 0f).Scalar("limit", float.PositiveInfinity).Scalar("delta", 1f).Node("Range", "range", ["start", "limit", "delta"], ["r"])),

        // Sizes taken from the model, unchecked.
        Model("initializer_dim_above_int32", Unsupported, "w", "an initializer of dims [3000000000]",
            b => b.Initializer(new TensorProto { Name = "w", DataType = 1, Dims = { 3_000_000_000 } })),
        Model("initializer_dims_wrap_to_zero", Unsupported, "w", "an initializer of dims [65536]*4 and no data: 2^64 elements wrap to 0",
            b => b.Initializer(new TensorProto { Name = "w", DataType = 1, Dims = { 65536, 65536, 65536, 65536 } })),
        Model("input_dim_above_int32", Unsupported, "wide", "a graph input of shape [batch, 3000000000]",
            b => b.Node("Relu", "relu_wide", ["wide"], ["unused"]), extraInput: FloatValue("wide", null, 3_000_000_000)),
        Model("gemm_scalar_weight", Invalid, "gemm", "Gemm whose weight is a 0-d scalar",
            b => b.Scalar("w", 2f).Node("Gemm", "gemm", ["x", "w"], ["g"])),
        Model("matmul_scalar_weight", Invalid, "matmul", "MatMul whose weight is a 0-d scalar",
            b => b.Scalar("w", 2f).Node("MatMul", "matmul", ["x", "w"], ["m"])),
        Model("gemm_bias_does_not_broadcast", Invalid, "gemm", "Gemm with a [3, 3] bias for a [1, 2] product",
            b => b.Floats("w", new float[8], 4, 2).Floats("c", new float[9], 3, 3).Node("Gemm", "gemm", ["x", "w", "c"], ["g"])),
        Model("pad_output_beyond_int32", Unsupported, "pad", "Pad by 2,000,000,000 on both sides (the int sum overflows)",
            b => b.Int64s("pads", [0, 2_000_000_000, 0, 2_000_000_000]).Node("Pad", "pad", ["x", "pads"], ["p"])),
        Model("pad_crops_more_than_the_axis", Invalid, "pad", "Pad by -10 on an axis of 4",
            b => b.Int64s("pads", [0, -10, 0, 0]).Node("Pad", "pad", ["x", "pads"], ["p"])),
        Model("reshape_dim_above_int32", Unsupported, "reshape", "Reshape to [1, 5000000000]",
            b => b.Int64s("shape", [1, 5_000_000_000]).Node("Reshape", "reshape", ["x", "shape"], ["r"])),
        Model("reshape_inconsistent", Invalid, "reshape", "Reshape of 4 elements to [3]",
            b => b.Int64s("shape", [1, 3]).Node("Reshape", "reshape", ["x", "shape"], ["r"])),
        Model("softmax_axis_out_of_range", Invalid, "softmax", "Softmax over axis 5 of a 2-D tensor",
            b => b.Node("Softmax", "softmax", ["x"], ["s"], Attr("axis", 5L))),
        Model("flatten_axis_beyond_int32", Invalid, "flatten", "Flatten at axis 2^33 (wrapped to 0 by an int cast)",
            b => b.Node("Flatten", "flatten", ["x"], ["f"], Attr("axis", 8_589_934_592L))),
        Model("batchnorm_short_variance", Invalid, "bn", "BatchNormalization with one variance for four channels",
            b => b.Floats("s", [1, 1, 1, 1]).Floats("bias", [0, 0, 0, 0]).Floats("mean", [0, 0, 0, 0]).Floats("var", [1])
                .Node("BatchNormalization", "bn", ["x", "s", "bias", "mean", "var"], ["n"])),
        Model("clip_empty_bound", Invalid, "clip", "Clip whose min is an empty tensor",
            b => b.Floats("min", [], 0).Node("Clip", "clip", ["x", "min"], ["c"])),
        Model("conv_stride_zero", Invalid, "conv", "Conv with strides [0, 0]",
            b => Conv(b, Attr("strides", 0L, 0L))),
        Model("conv_group_zero", Invalid, "conv", "Conv with group 0",
            b => Conv(b, Attr("group", 0L))),
        Model("conv_kernel_shape_disagrees_with_weights", Invalid, "conv", "Conv with kernel_shape [-1, -1] and 1x1 weights",
            b => Conv(b, Attr("kernel_shape", -1L, -1L))),
        Model("conv_negative_pads", Invalid, "conv", "Conv with pads [-5, -5, -5, -5]",
            b => Conv(b, Attr("pads", -5L, -5L, -5L, -5L))),
        Model("maxpool_dilation_beyond_int32_window", Invalid, "pool", "MaxPool whose dilated window (2^31-1)·2 overflows an int",
            b => b.Int64s("shape", [1, 1, 2, 2]).Node("Reshape", "to_image", ["x", "shape"], ["image"])
                .Node("MaxPool", "pool", ["image"], ["p"], Attr("kernel_shape", 3L, 3L), Attr("dilations", int.MaxValue, int.MaxValue))),
        Model("maxpool_3d_dilation_beyond_int32_window", Invalid, "pool3d", "3-D MaxPool whose dilated window (2^31-1)·2 overflows an int",
            b => Volume(b).Node("MaxPool", "pool3d", ["volume"], ["p"], Attr("kernel_shape", 3L, 3L, 3L), Attr("dilations", 1L, int.MaxValue, int.MaxValue))),
        Model("averagepool_3d_pads_million", Unsupported, "pool3d", "3-D AveragePool of a 1x2x2 volume padded by 10^6 on every side: 8·10^18 outputs",
            b => Volume(b).Node("AveragePool", "pool3d", ["volume"], ["p"], Attr("kernel_shape", 1L, 1L, 1L), Attr("pads", 1_000_000L, 1_000_000L, 1_000_000L, 1_000_000L, 1_000_000L, 1_000_000L))),
        Model("conv_3d_stride_reach_beyond_int32", Unsupported, "conv3d", "3-D Conv with strides 2^31-1: output 1 · stride reaches past int32",
            b => Volume(b).Floats("cw3", new float[2], 2, 1, 1, 1, 1)
                .Node("Conv", "conv3d", ["volume", "cw3"], ["c"], Attr("strides", int.MaxValue, int.MaxValue, int.MaxValue))),
        Model("conv_3d_kernel_bigger_than_padded_input", Invalid, "conv3d", "3-D Conv with a 1x3x3 kernel over a 1x2x2 volume",
            b => Volume(b).Floats("cw3", new float[18], 2, 1, 1, 3, 3).Node("Conv", "conv3d", ["volume", "cw3"], ["c"])),
        Model("convtranspose_3d_output_shape_huge", Unsupported, "deconv3d", "3-D ConvTranspose with output_shape [100000, 100000, 100000]",
            b => Volume(b).Floats("tw3", new float[2], 1, 2, 1, 1, 1)
                .Node("ConvTranspose", "deconv3d", ["volume", "tw3"], ["t"], Attr("output_shape", 100_000L, 100_000L, 100_000L))),
        Model("convtranspose_3d_negative_output_padding", Invalid, "deconv3d", "3-D ConvTranspose with output_padding [-1, 0, 0]",
            b => Volume(b).Floats("tw3", new float[2], 1, 2, 1, 1, 1)
                .Node("ConvTranspose", "deconv3d", ["volume", "tw3"], ["t"], Attr("output_padding", -1L, 0L, 0L))),
        Model("resize_cubic_scales_100000", Unsupported, "resize", "cubic Resize of a 2x2 image by 100000 on both axes: 4·10^10 outputs",
            b => Volume(b).Floats("roi", []).Floats("scales", [1, 1, 1, 100_000, 100_000])
                .Node("Resize", "resize", ["volume", "roi", "scales"], ["r"], Attr("mode", "cubic"))),
        Model("resize_tf_crop_and_resize_without_roi", Invalid, "resize", "tf_crop_and_resize Resize with an empty roi",
            b => Volume(b).Floats("roi", []).Floats("scales", [1, 1, 1, 2, 2])
                .Node("Resize", "resize", ["volume", "roi", "scales"], ["r"], Attr("mode", "linear"), Attr("coordinate_transformation_mode", "tf_crop_and_resize"))),
        Model("lrn_size_zero", Invalid, "lrn", "LRN of size 0",
            b => b.Node("LRN", "lrn", ["x"], ["l"], Attr("size", 0L))),
        Model("node_without_outputs", Invalid, "silent", "a node with no outputs",
            b => b.Node("Relu", "silent", ["x"], [])),
        Model("constant_tensor_attribute_without_tensor", Unsupported, "k", "a Constant whose TENSOR attribute holds no tensor",
            b => b.Node("Constant", "k", [], ["kv"], new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor })),

        // Sparse initializers.
        Model("sparse_initializer_external_data", Unsupported, "secret", "a sparse initializer whose values live in ../../etc/passwd",
            b => b.Graph.SparseInitializer.Add(Sparse("secret", [4], [0], [1f], external: "../../etc/passwd"))),
        Model("sparse_initializer_index_out_of_range", Invalid, "sp", "a sparse initializer with index 100 in a tensor of 4",
            b => b.Graph.SparseInitializer.Add(Sparse("sp", [4], [100], [1f]))),
        Model("sparse_initializer_coordinate_out_of_range", Invalid, "sp", "a sparse initializer with coordinate (0, 7) in a [2, 2] tensor",
            b => b.Graph.SparseInitializer.Add(Sparse("sp", [2, 2], [0, 7], [1f], coordinates: true))),
        Model("sparse_initializer_dims_too_large", Unsupported, "sp", "a sparse initializer of dims [100000, 100000]",
            b => b.Graph.SparseInitializer.Add(Sparse("sp", [100_000, 100_000], [0], [1f]))),

        // The data path on runtime tensors.
        Model("tile_runtime_100000x100000", Unsupported, "tile", "Tile of x [1, 4] by [100000, 100000]",
            b => b.Int64s("repeats", [100_000, 100_000]).Node("Tile", "tile", ["x", "repeats"], ["t"])),
        Model("tile_negative_repeats", Invalid, "tile", "Tile of x by [1, -2]",
            b => b.Int64s("repeats", [1, -2]).Node("Tile", "tile", ["x", "repeats"], ["t"])),
        Model("tile_constant_one_billion", Unsupported, "tile", "Tile of a 4-element constant 10^9 times",
            b => b.Floats("k", [1, 2, 3, 4]).Int64s("repeats", [1_000_000_000]).Node("Tile", "tile", ["k", "repeats"], ["t"])),
        Model("expand_runtime_beyond_int32", Unsupported, "expand", "Expand of x to [3000000000, 4]",
            b => b.Int64s("shape", [3_000_000_000, 4]).Node("Expand", "expand", ["x", "shape"], ["e"])),
        Model("expand_does_not_broadcast", Invalid, "expand", "Expand of x [1, 4] to [3]",
            b => b.Int64s("shape", [3]).Node("Expand", "expand", ["x", "shape"], ["e"])),
        Model("split_sizes_do_not_add_up", Invalid, "split", "Split of an axis of 4 into [3, 3]",
            b => b.Int64s("split", [3, 3]).Node("Split", "split", ["x", "split"], ["a", "b"], Attr("axis", 1L))),
        Model("split_num_outputs_zero", Invalid, "split", "Split with num_outputs 0",
            b => b.Node("Split", "split", ["x"], ["a"], Attr("axis", 1L), Attr("num_outputs", 0L))),
        Model("gather_float_indices", Invalid, "gather", "Gather of x by float indices",
            b => b.Floats("i", [0.5f]).Node("Gather", "gather", ["x", "i"], ["g"], Attr("axis", 1L))),
        Model("gather_runtime_index_beyond_int32", Invalid, "gather", "Gather of x at constant index 2^32",
            b => b.Int64s("i", [4_294_967_296]).Node("Gather", "gather", ["x", "i"], ["g"], Attr("axis", 1L))),
        Model("where_does_not_broadcast", Invalid, "where", "Where of x [1, 4] with a [3] operand",
            b => b.Floats("c", [1, 0, 1]).Node("Where", "where", ["c", "x", "x"], ["w"])),
        Model("slice_runtime_axis_twice", Invalid, "slice", "Slice of x on axis 1 twice",
            b => b.Int64s("starts", [0, 1]).Int64s("ends", [2, 3]).Int64s("axes", [1, 1]).Node("Slice", "slice", ["x", "starts", "ends", "axes"], ["s"])),
    ];

    /// <summary>A sparse initializer: <paramref name="indices"/> linear, or [NNZ, rank] coordinates.</summary>
    public static SparseTensorProto Sparse(string name, long[] dims, long[] indices, float[] values, string? external = null, bool coordinates = false)
    {
        var valuesTensor = new TensorProto { Name = name, DataType = 1, Dims = { values.Length } };
        if (external is null)
        {
            valuesTensor.FloatData.AddRange(values);
        }
        else
        {
            valuesTensor.DataLocation = TensorProto.Types.DataLocation.External;
            valuesTensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = external });
        }

        var indexTensor = new TensorProto { Name = name + "_indices", DataType = 7, Int64Data = { indices } };
        indexTensor.Dims.AddRange(coordinates ? [values.Length, dims.Length] : [values.Length]);
        var sparse = new SparseTensorProto { Values = valuesTensor, Indices = indexTensor };
        sparse.Dims.AddRange(dims);
        return sparse;
    }

    /// <summary>x [batch, 4] reshaped to [1, 4, 1, 1], then a 1x1 Conv with 2 output channels and <paramref name="attribute"/>.</summary>
    private static void Conv(OnnxModelBuilder b, AttributeProto attribute)
        => b.Int64s("shape", [1, 4, 1, 1]).Floats("cw", new float[8], 2, 4, 1, 1)
            .Node("Reshape", "to_image", ["x", "shape"], ["image"])
            .Node("Conv", "conv", ["image", "cw"], ["c"], attribute);

    /// <summary>x [batch, 4] reshaped to the volume [1, 1, 1, 2, 2].</summary>
    private static OnnxModelBuilder Volume(OnnxModelBuilder b)
        => b.Int64s("volume_shape", [1, 1, 1, 2, 2]).Node("Reshape", "to_volume", ["x", "volume_shape"], ["volume"]);

    private static HostileModel Model(string name, string code, string mentions, string what, Action<OnnxModelBuilder> hostile, ValueInfoProto? extraInput = null)
        => new(name, code, mentions, what, () =>
        {
            var builder = new OnnxModelBuilder();
            if (extraInput is not null)
            {
                builder.Graph.Input.Add(extraInput);
            }

            hostile(builder);
            return builder.ReluOutput().ToBytes();
        });
}
