using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Xunit.Abstractions;

namespace BuildOptim.Tests.Compression;

/// <summary>
/// The QDQ export (<see cref="QdqExporter"/>): ONNX Runtime loads it and, on real models, its predictions
/// agree with the BuildOptim int8 plan and stay close to the fp32 original.
/// </summary>
public sealed class QdqExportTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "bopt-qdq-" + Guid.NewGuid().ToString("N"));
    private readonly ITestOutputHelper _output;

    public QdqExportTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Model, calibration and evaluation files; the convolutional ones only when they have been generated.</summary>
    public static TheoryData<string, string, string> Cases()
    {
        string models = Path.Combine(TestPaths.TestData, "models");
        string cnn = Path.Combine(TestPaths.TestData, "cnn");
        string fashionCnn = Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn");
        var candidates = new[]
        {
            (Models.FashionMlp, Models.FashionCalibration, Models.FashionEvaluation),
            (Models.MlpTanh, Models.SmallCalibration, Models.SmallEvaluation),
            (Models.MlpMatMul, Models.SmallCalibration, Models.SmallEvaluation),
            (Models.LayerNormMlp, Models.LayerNormMlpCalibration, Models.LayerNormMlpCalibration),
            (Path.Combine(fashionCnn, "Models", "fashion_cnn.onnx"), Path.Combine(fashionCnn, "Data", "calib.npy"), Path.Combine(fashionCnn, "Data", "eval.npz")),
            (Path.Combine(cnn, "cnn_nhwc.onnx"), Path.Combine(cnn, "cnn_calib_nhwc.npy"), Path.Combine(cnn, "cnn_eval_nhwc.npz")),
            (Path.Combine(cnn, "cnn_misc.onnx"), Path.Combine(cnn, "cnn_calib.npy"), Path.Combine(cnn, "cnn_eval.npz")),
            (Path.Combine(cnn, "cnn_initializers_as_inputs.onnx"), Path.Combine(cnn, "cnn_calib.npy"), Path.Combine(cnn, "cnn_eval.npz")),
            (ExportedFamilyTests.Family("mobilenet_v3_small_clip.onnx"), Path.Combine(fashionCnn, "Data", "calib.npy"), Path.Combine(fashionCnn, "Data", "eval.npz")),
            (ExportedFamilyTests.Family("audio_kws.onnx"), ExportedFamilyTests.Family("audio_calib.npy"), ExportedFamilyTests.Family("audio_eval.npz")),
        };
        var data = new TheoryData<string, string, string>();
        foreach (var (model, calibration, evaluation) in candidates.Where(c => File.Exists(c.Item1) && File.Exists(c.Item2) && File.Exists(c.Item3)))
        {
            data.Add(Relative(model), Relative(calibration), Relative(evaluation));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Qdq_model_runs_in_onnx_runtime_agreeing_with_the_int8_plan_and_close_to_fp32(string model, string calibration, string evaluation)
    {
        string modelPath = Path.Combine(TestPaths.RepoRoot, model);
        var network = Models.Lower(modelPath);
        var ranges = MinMaxCalibrator.Calibrate(network, DataSets.LoadInputs(Path.Combine(TestPaths.RepoRoot, calibration), network));
        var samples = DataSets.LoadInputs(Path.Combine(TestPaths.RepoRoot, evaluation), network);
        var plan = PlanCompiler.Compile(network, QuantizeMode.Int8, ranges);

        var planOutputs = Compressor.RunPlan(plan.Bytes, samples, samples.SampleCount);
        byte[] qdq = QdqExporter.Export(network, ranges).ToByteArray();
        var qdqOutputs = RunOnnxRuntime(qdq, network, samples, u8u8OnAvx2: true);
        var saturatingOutputs = RunOnnxRuntime(qdq, network, samples);
        var unfusedOutputs = RunOnnxRuntime(qdq, network, samples, optimization: GraphOptimizationLevel.ORT_DISABLE_ALL);
        var fp32Outputs = OrtReference.Run(modelPath, network, samples);

        var versusPlan = Metrics.Compute(planOutputs, qdqOutputs, network.OutputLength, null);
        var versusFp32 = Metrics.Compute(fp32Outputs, qdqOutputs, network.OutputLength, null);
        var unfusedVersusPlan = Metrics.Compute(planOutputs, unfusedOutputs, network.OutputLength, null);
        var saturatingVersusPlan = Metrics.Compute(planOutputs, saturatingOutputs, network.OutputLength, null);
        _output.WriteLine($"{model}: ORT int8 vs int8 plan: agreement {versusPlan.Agreement:P2}, cosine {versusPlan.MeanCosine:F5}; "
            + $"unfused (ORT_DISABLE_ALL) vs plan: agreement {unfusedVersusPlan.Agreement:P2}, cosine {unfusedVersusPlan.MeanCosine:F5}; "
            + $"ORT int8 default (u8s8) vs plan: agreement {saturatingVersusPlan.Agreement:P2}, cosine {saturatingVersusPlan.MeanCosine:F5}; "
            + $"ORT int8 vs fp32: agreement {versusFp32.Agreement:P2}, cosine {versusFp32.MeanCosine:F5}");

        // Run as the QDQ semantics define it (DequantizeLinear → float op → QuantizeLinear), the export is the plan.
        Assert.True(unfusedVersusPlan.MeanCosine >= 0.9999, $"unfused QDQ: cosine to the int8 plan {unfusedVersusPlan.MeanCosine}");

        // ORT's fused int8 kernels requantize in float, so codes may differ by one step here and there.
        if (Compressor.IsClassifier(network))
        {
            Assert.True(unfusedVersusPlan.Agreement >= 0.99, $"unfused QDQ: top-1 agreement with the int8 plan {unfusedVersusPlan.Agreement:P2} < 99%");
            Assert.True(versusPlan.Agreement >= 0.97, $"top-1 agreement with the int8 plan {versusPlan.Agreement:P2} < 97%");
        }

        Assert.True(versusPlan.MeanCosine >= 0.99, $"cosine to the int8 plan {versusPlan.MeanCosine}");
        Assert.True(versusFp32.MeanCosine >= 0.99, $"cosine to fp32 {versusFp32.MeanCosine}");
    }

    [Fact]
    public void Qdq_export_of_a_plan_with_shared_weights_is_that_plan()
    {
        // ShareWeights replaces each layer's weights by its clusters' centroids before calibration; the export must carry
        // the same weights the plan's codebooks hold, so that run as QDQ defines it, it computes the plan.
        string dir = Path.Combine(_root, "shared");
        var result = Compressor.Run(Models.FashionMlpOptions(dir) with { ShareWeights = 16, EmitOnnx = true, Gate = GateMode.Off });
        Assert.NotEmpty(result.Report.SharedLayers);

        var network = Models.Lower(Models.FashionMlp);
        var samples = DataSets.LoadInputs(Models.FashionEvaluation, network);
        var planOutputs = NpyReader.Read(Path.Combine(dir, Compressor.EvaluationOutputsFileName)).Data;
        var qdq = File.ReadAllBytes(Path.Combine(dir, QdqExporter.FileName));
        var unfused = RunOnnxRuntime(qdq, network, samples, optimization: GraphOptimizationLevel.ORT_DISABLE_ALL);
        var versusPlan = Metrics.Compute(planOutputs, unfused, network.OutputLength, null);
        Assert.True(versusPlan.MeanCosine >= 0.9999, $"unfused QDQ with shared weights: cosine to the int8 plan {versusPlan.MeanCosine}");
        Assert.True(versusPlan.Agreement >= 0.99, $"unfused QDQ with shared weights: top-1 agreement {versusPlan.Agreement:P2}");

        // And it is not the unshared model's export: the weights really are the centroids.
        string plainDir = Path.Combine(_root, "plain");
        Compressor.Run(Models.FashionMlpOptions(plainDir) with { EmitOnnx = true, Gate = GateMode.Off });
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(plainDir, QdqExporter.FileName)), qdq);
    }

    [Fact]
    public void Qdq_model_keeps_a_float_input_with_a_symbolic_batch_and_int8_per_channel_weights()
    {
        var (network, ranges) = FashionMlp();

        var model = QdqExporter.Export(network, ranges);

        Assert.Equal(QdqExporter.Opset, model.OpsetImport.Single().Version);
        var input = model.Graph.Input.Single();
        Assert.Equal(network.InputName, input.Name);
        Assert.Equal((int)TensorProto.Types.DataType.Float, input.Type.TensorType.ElemType);
        Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal("batch", model.Graph.Output.Single().Type.TensorType.Shape.Dim[0].DimParam);

        var gemms = model.Graph.Node.Where(n => n.OpType == "Gemm").ToList();
        Assert.Equal(3, gemms.Count);
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        var producers = model.Graph.Node.ToDictionary(n => n.Output[0]);
        foreach (var gemm in gemms)
        {
            Assert.Equal(1, gemm.Attribute.Single(a => a.Name == "transB").I);
            var weights = producers[gemm.Input[1]];
            Assert.Equal("DequantizeLinear", weights.OpType);
            Assert.Equal(0, weights.Attribute.Single(a => a.Name == "axis").I);
            Assert.Equal((int)TensorProto.Types.DataType.Int8, initializers[weights.Input[0]].DataType);
            Assert.Equal(initializers[weights.Input[0]].Dims[0], initializers[weights.Input[1]].Dims.Single());
            Assert.All(initializers[weights.Input[2]].RawData.ToByteArray(), b => Assert.Equal(0, b));

            // The activation feeding the int8 Gemm comes through QuantizeLinear → DequantizeLinear (uint8).
            var activation = producers[gemm.Input[0]];
            Assert.Equal("DequantizeLinear", activation.OpType);
            Assert.Equal((int)TensorProto.Types.DataType.Uint8, initializers[activation.Input[2]].DataType);
            Assert.Equal("QuantizeLinear", producers[activation.Input[0]].OpType);
        }

        // The fused ReLUs are nodes again; the logits leave float, as the plan writes them.
        Assert.Equal(2, model.Graph.Node.Count(n => n.OpType == "Relu"));
        Assert.Equal("Gemm", producers[network.OutputName].OpType);
    }

    [Fact]
    public void Qdq_model_quantizes_the_tensors_the_plan_quantizes_with_the_same_parameters()
    {
        var (network, ranges) = FashionMlp();
        var assignment = CodeAssignment.Compile(network, ranges, null);
        var plan = PlanCompiler.Compile(network, QuantizeMode.Int8, ranges);

        var model = QdqExporter.Export(network, ranges);

        foreach (var summary in plan.Layers)
        {
            var layer = network.Layers.Single(l => l.Name == summary.Name);
            Assert.Equal(summary.Precision == "Int8", assignment.RunsInt8(layer));
        }

        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var quantize in model.Graph.Node.Where(n => n.OpType == "QuantizeLinear"))
        {
            var value = network.Values.Single(v => quantize.Input[0] == v.Name || quantize.Input[0] == v.Name + "_float");
            var expected = assignment.ParamsOf(value.Id);
            Assert.Equal(expected.Scale, BitConverter.ToSingle(initializers[quantize.Input[1]].RawData.Span));
            Assert.Equal(expected.ZeroPoint, initializers[quantize.Input[2]].RawData.Span[0]);
        }
    }

    [Fact]
    public void Layers_kept_in_fp32_are_exported_with_float_weights()
    {
        var (network, ranges) = FashionMlp();
        string first = network.Layers.OfType<DenseLayer>().First().Name;

        var model = QdqExporter.Export(network, ranges, new HashSet<string> { first });

        var gemm = model.Graph.Node.Single(n => n.OpType == "Gemm" && n.Name == first);
        var weights = model.Graph.Initializer.Single(t => t.Name == gemm.Input[1]);
        Assert.Equal((int)TensorProto.Types.DataType.Float, weights.DataType);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == network.InputName);
    }

    [Fact]
    public void Qdq_model_expands_a_constant_concatenated_beside_computed_inputs_to_their_batch()
    {
        // A class token [1, 1, 4] in front of [batch, 2, 4]: at batch 1 the lowering sees a constant.
        var builder = new OnnxModelBuilder().Floats("token", [0.5f, -1f, 2f, 0.25f], 1, 1, 4)
            .Node("Relu", "relu", ["x"], ["r"]).Node("Concat", "concat", ["token", "r"], ["y"], OnnxModelBuilder.Attr("axis", 1L));
        builder.Graph.Input[0] = OnnxModelBuilder.FloatValue("x", null, 2, 4);
        builder.Graph.Output.Add(OnnxModelBuilder.FloatValue("y", null, 3, 4));
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, "token.onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        var network = Models.Lower(path);
        var random = new Random(7);
        var samples = new NdArray("x", ElementKind.Float32, [50, 2, 4], Enumerable.Range(0, 400).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray());
        var ranges = MinMaxCalibrator.Calibrate(network, samples);

        var model = QdqExporter.Export(network, ranges);
        var plan = Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.Int8, ranges).Bytes, samples, 50);
        var batched = RunOnnxRuntime(model.ToByteArray(), network, samples, batch: 25, optimization: GraphOptimizationLevel.ORT_DISABLE_ALL);

        Assert.Contains(model.Graph.Node, n => n.OpType == "Expand");
        Assert.Equal(plan.Length, batched.Length);
        for (int i = 0; i < plan.Length; i++)
        {
            Assert.True(Math.Abs(plan[i] - batched[i]) <= 1e-5f * (1 + Math.Abs(plan[i])), $"[{i}] {batched[i]} vs plan {plan[i]}");
        }
    }

    [Fact]
    public void Qdq_model_of_the_tiny_vit_is_at_batch_1_and_runs_as_the_int8_plan()
    {
        string fashionData = Path.Combine(TestPaths.RepoRoot, "samples", "FashionCnn", "Data");
        var network = Models.Lower(ExportedFamilyTests.Family("tiny_vit.onnx"));
        var ranges = MinMaxCalibrator.Calibrate(network, DataSets.LoadInputs(Path.Combine(fashionData, "calib.npy"), network));
        var samples = DataSets.LoadInputs(Path.Combine(fashionData, "eval.npz"), network);
        var model = QdqExporter.Export(network, ranges);

        // Multi-head attention reshapes to [sequence, batch × heads, head width]: the export declares batch 1 (see usage.md).
        Assert.Equal(1, model.Graph.Input.Single().Type.TensorType.Shape.Dim[0].DimValue);
        Assert.Equal(1, model.Graph.Output.Single().Type.TensorType.Shape.Dim[0].DimValue);
        var plan = Compressor.RunPlan(PlanCompiler.Compile(network, QuantizeMode.Int8, ranges).Bytes, samples, 200);
        var unfused = RunOnnxRuntime(model.ToByteArray(), network, samples, batch: 1, count: 200, optimization: GraphOptimizationLevel.ORT_DISABLE_ALL);
        var versusPlan = Metrics.Compute(plan, unfused, network.OutputLength, null);
        Assert.True(versusPlan.MeanCosine >= 0.9999, $"unfused QDQ: cosine to the int8 plan {versusPlan.MeanCosine}");
        Assert.True(versusPlan.Agreement >= 0.99, $"unfused QDQ: top-1 agreement with the int8 plan {versusPlan.Agreement:P2}");
    }

    [Fact]
    public void Qdq_model_runs_a_batch_through_its_symbolic_batch_dimension()
    {
        var (network, ranges) = FashionMlp();
        var samples = DataSets.LoadInputs(Models.FashionEvaluation, network);
        byte[] qdq = QdqExporter.Export(network, ranges).ToByteArray();

        var batched = RunOnnxRuntime(qdq, network, samples, batch: 25, count: 50);
        var single = RunOnnxRuntime(qdq, network, samples, batch: 1, count: 50);

        Assert.Equal(single.Length, batched.Length);
        for (int i = 0; i < single.Length; i++)
        {
            Assert.True(Math.Abs(single[i] - batched[i]) <= 1e-4f * (1 + Math.Abs(single[i])), $"[{i}] {batched[i]} vs {single[i]}");
        }
    }

    [Fact]
    public void Cli_compress_with_emit_onnx_writes_model_qdq_onnx_beside_the_plan()
    {
        string withFlag = Path.Combine(_root, "with");
        string without = Path.Combine(_root, "without");
        string[] common = ["compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--evaluation", Models.SmallEvaluation, "--gate", "Off"];

        int exitWith = BuildOptim.Cli.CommandLine.Run([.. common, "--emit-onnx", "--out", withFlag], TextWriter.Null, TextWriter.Null);
        int exitWithout = BuildOptim.Cli.CommandLine.Run([.. common, "--out", without], TextWriter.Null, TextWriter.Null);

        Assert.Equal(0, exitWith);
        Assert.Equal(0, exitWithout);
        string qdq = Path.Combine(withFlag, QdqExporter.FileName);
        Assert.True(File.Exists(qdq));
        Assert.False(File.Exists(Path.Combine(without, QdqExporter.FileName)));
        using var session = new InferenceSession(qdq);
        Assert.Equal("x", session.InputMetadata.Keys.Single());
        Assert.True(File.Exists(Path.Combine(withFlag, Compressor.PlanFileName)));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("false", false)]
    [InlineData("", false)]
    public void EmitOnnx_metadata_becomes_the_emit_onnx_flag_of_the_cli(string metadata, bool flag)
    {
        Directory.CreateDirectory(_root);
        string model = Path.Combine(_root, "mlp.onnx");
        string calibration = Path.Combine(_root, "calib.npy");
        File.WriteAllText(model, "");
        File.WriteAllText(calibration, "");
        var item = new Microsoft.Build.Utilities.TaskItem("mlp.onnx");
        item.SetMetadata("Calibration", "calib.npy");
        item.SetMetadata("EmitOnnx", metadata);
        var diagnostics = new List<BuildOptim.Tasks.TaskDiagnostic>();

        var request = BuildOptim.Tasks.ModelMetadata.Validate(item, _root, "App.csproj", "App", "Error", "BuildOptim.mlp.bopt", Path.Combine(_root, "out"), diagnostics);

        Assert.Empty(diagnostics);
        Assert.Equal(flag, BuildOptim.Tasks.CompressArguments.Build("buildoptim.dll", request!).Contains("--emit-onnx"));
    }

    [Fact]
    public void EmitOnnx_metadata_other_than_true_or_false_is_a_coded_error()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllText(Path.Combine(_root, "mlp.onnx"), "");
        File.WriteAllText(Path.Combine(_root, "calib.npy"), "");
        var item = new Microsoft.Build.Utilities.TaskItem("mlp.onnx");
        item.SetMetadata("Calibration", "calib.npy");
        item.SetMetadata("EmitOnnx", "yes");
        var diagnostics = new List<BuildOptim.Tasks.TaskDiagnostic>();

        var request = BuildOptim.Tasks.ModelMetadata.Validate(item, _root, "App.csproj", "App", "Error", "BuildOptim.mlp.bopt", Path.Combine(_root, "out"), diagnostics);

        Assert.Null(request);
        var error = Assert.Single(diagnostics);
        Assert.StartsWith("BOPT", error.Code);
        Assert.Contains("EmitOnnx 'yes'", error.Message);
    }

    private static (Network Network, Dictionary<int, TensorRange> Ranges) FashionMlp()
    {
        var network = Models.Lower(Models.FashionMlp);
        return (network, MinMaxCalibrator.Calibrate(network, DataSets.LoadInputs(Models.FashionCalibration, network)));
    }

    /// <summary>Runs a model held in memory with the settings the benchmarks use (all graph optimizations, one thread).</summary>
    /// <param name="u8u8OnAvx2">
    /// <c>session.x64quantprecision</c>: on x64 without VNNI, ONNX Runtime's u8 × s8 kernels sum pairs of products with
    /// <c>vpmaddubsw</c>, which saturates at 16 bits (2 · 255 · 127 &gt; 32767); this option makes it convert such weights
    /// to u8 and use its exact u8 × u8 kernels (BuildOptim's kernels widen to 16 bits first and cannot saturate).
    /// </param>
    private static float[] RunOnnxRuntime(byte[] model, Network network, NdArray samples, int batch = 50, int? count = null, GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL, bool u8u8OnAvx2 = false)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = optimization,
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (u8u8OnAvx2)
        {
            options.AddSessionConfigEntry("session.x64quantprecision", "1");
        }

        using var session = new InferenceSession(model, options);
        int total = count ?? samples.SampleCount;
        batch = network.DynamicBatch ? batch : 1;
        var result = new float[(long)total * network.OutputLength];
        using var runOptions = new RunOptions();
        for (int start = 0; start < total; start += batch)
        {
            int n = Math.Min(batch, total - start);
            var chunk = samples.Data.AsSpan(start * network.InputLength, n * network.InputLength).ToArray();
            using var input = OrtValue.CreateTensorValueFromMemory(chunk, [n, .. network.InputShape.Select(d => (long)d)]);
            using var outputs = session.Run(runOptions, [network.InputName], [input], [network.OutputName]);
            outputs[0].GetTensorDataAsSpan<float>().CopyTo(result.AsSpan(start * network.OutputLength));
        }

        return result;
    }

    private static string Relative(string path) => Path.GetRelativePath(TestPaths.RepoRoot, path);
}
