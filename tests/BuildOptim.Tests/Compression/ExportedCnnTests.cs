using BuildOptim.Compression;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Compression;

/// <summary>Real PyTorch-exported CNNs in the shapes other exporters produce (tests/TestData/cnn/README.md).</summary>
public sealed class ExportedCnnTests : ScratchFolderTest
{
    private static string Cnn(string file) => Path.Combine(TestPaths.TestData, "cnn", file);

    private CompressionResult Compress(string model, string calibration, string evaluation) => Compressor.Run(new CompressionOptions
    {
        ModelPath = Cnn(model),
        CalibrationPath = Cnn(calibration),
        EvaluationPath = Cnn(evaluation),
        OutputDirectory = Path.Combine(Root, Path.GetFileNameWithoutExtension(model)),
    });

    [Fact]
    public void Nhwc_model_with_a_transpose_after_the_input_compresses_and_keeps_its_accuracy()
    {
        var network = OnnxFrontEnd.Load(Cnn("cnn_nhwc.onnx"));
        Assert.Equal([28, 28, 1], network.InputShape);
        Assert.IsType<TransposeLayer>(network.Layers[0]);

        var result = Compress("cnn_nhwc.onnx", "cnn_calib_nhwc.npy", "cnn_eval_nhwc.npz");
        Assert.True(result.Report.Gate.Passed, result.Report.Gate.Message);
        Assert.True(result.Report.Metrics!.Agreement >= 0.97);
        Assert.Contains(result.Report.Layers, l => l.Summary.Kind == "Transpose" && l.Summary.Precision == "Int8");
    }

    [Fact]
    public void Old_style_model_listing_every_initializer_as_an_input_has_one_real_input()
    {
        var graph = OnnxModelLoader.Load(Cnn("cnn_initializers_as_inputs.onnx"));
        Assert.Single(graph.Inputs);
        Assert.True(graph.OpsetVersion <= 9);
        var result = Compress("cnn_initializers_as_inputs.onnx", "cnn_calib.npy", "cnn_eval.npz");
        Assert.True(result.Report.Gate.Passed, result.Report.Gate.Message);
        Assert.True(result.Report.Metrics!.Agreement >= 0.97);
    }

    [Fact]
    public void Cnn_with_dilation_concat_prelu_hardswish_pad_and_gating_compresses_within_the_gate()
    {
        var network = OnnxFrontEnd.Load(Cnn("cnn_misc.onnx"));
        Assert.Contains(network.Layers, l => l is ConcatLayer);
        Assert.Contains(network.Layers, l => l is PadLayer);
        Assert.Contains(network.Layers, l => l is ConvLayer { DilationH: 2 });
        var result = Compress("cnn_misc.onnx", "cnn_calib.npy", "cnn_eval.npz");
        Assert.True(result.Report.Gate.Passed, result.Report.Gate.Message);
        Assert.True(result.Report.Metrics!.Agreement >= 0.95);
    }
}
