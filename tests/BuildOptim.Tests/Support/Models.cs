using BuildOptim.Compression;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests;

/// <summary>Paths to the real exported models and data the engine tests use.</summary>
internal static class Models
{
    public static string FashionMlp => Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist", "Models", "fashion_mlp.onnx");

    public static string FashionCalibration => Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist", "Data", "calib.npy");

    public static string FashionEvaluation => Path.Combine(TestPaths.RepoRoot, "samples", "FashionMnist", "Data", "eval.npz");

    public static string MlpTanh => Path.Combine(TestPaths.TestData, "models", "mlp_tanh.onnx");

    public static string MlpMatMul => Path.Combine(TestPaths.TestData, "models", "mlp_matmul.onnx");

    /// <summary>Gemm, LayerNorm and GELU written out as PyTorch exports them before opset 17 and as hand-written code orders them (layernorm_mlp.py).</summary>
    public static string LayerNormMlp => Path.Combine(TestPaths.TestData, "models", "layernorm_mlp.onnx");

    public static string LayerNormMlpCalibration => Path.Combine(TestPaths.TestData, "models", "layernorm_mlp_calib.npy");

    public static string SmallCalibration => Path.Combine(TestPaths.TestData, "models", "mlp_tanh_calib.npy");

    public static string SmallEvaluation => Path.Combine(TestPaths.TestData, "models", "mlp_eval.npz");

    public static string SmallEvaluationCsv => Path.Combine(TestPaths.TestData, "models", "mlp_eval.csv");

    public static string SmallEvaluationLabelsCsv => Path.Combine(TestPaths.TestData, "models", "mlp_eval_labels.csv");

    public static string ReferenceOutputs => Path.Combine(TestPaths.TestData, "models", "reference_outputs.npz");

    public static Network Lower(string path) => OnnxFrontEnd.Load(path);

    /// <summary>Compressing the FashionMnist MLP with its calibration and labelled evaluation data into <paramref name="outputDirectory"/>.</summary>
    public static CompressionOptions FashionMlpOptions(string outputDirectory) => new()
    {
        ModelPath = FashionMlp,
        CalibrationPath = FashionCalibration,
        EvaluationPath = FashionEvaluation,
        OutputDirectory = outputDirectory,
        Namespace = "Tests",
    };

    /// <summary>Compressing the FashionCnn sample (residual block, depthwise conv) with its calibration and evaluation data.</summary>
    public static CompressionOptions FashionCnnOptions(string outputDirectory)
    {
        string root = Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn");
        return new CompressionOptions
        {
            ModelPath = Path.Combine(root, "Models", "fashion_cnn.onnx"),
            CalibrationPath = Path.Combine(root, "Data", "calib.npy"),
            EvaluationPath = Path.Combine(root, "Data", "eval.npz"),
            OutputDirectory = outputDirectory,
        };
    }
}
