using System.IO.Compression;
using BuildOptim.Compression;
using BuildOptim.Compression.Reporting;
using BuildOptim.Runtime;
using BuildOptim.Tests.Generator;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Tests.Compression;

/// <summary>Models with several inputs and outputs, and dynamic dimensions fixed by InputShape, through the engine and the generator.</summary>
public sealed class MultiInputCompressionTests : ScratchFolderTest
{
    private const int Samples = 64;

    /// <summary>z = Relu(W·(x + y) + b) and w = Sigmoid(x): two inputs, two outputs.</summary>
    private string TwoInputModel()
    {
        var random = new Random(3);
        float[] weights = Enumerable.Range(0, 4 * 4).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var builder = new OnnxModelBuilder()
            .Floats("W", weights, 4, 4)
            .Floats("b", [0.1f, -0.2f, 0.3f, 0f], 4)
            .Node("Add", "sum", ["x", "y"], ["s"])
            .Node("Gemm", "dense", ["s", "W", "b"], ["g"], OnnxModelBuilder.Attr("transB", 1L))
            .Node("Relu", "relu", ["g"], ["z"])
            .Node("Sigmoid", "gate", ["x"], ["w"])
            .Output("z")
            .Output("w");
        builder.Graph.Input.Add(OnnxModelBuilder.FloatValue("y", null, 4));
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "two_inputs.onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return path;
    }

    private string Npz(params (string Name, float[] Data, int[] Shape)[] arrays)
    {
        string path = Path.Combine(Root, "data.npz");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, data, shape) in arrays)
        {
            string npy = Path.Combine(Root, name + ".npy");
            NpyWriter.WriteFloat32(npy, data, shape);
            zip.CreateEntryFromFile(npy, name + ".npy");
        }

        return path;
    }

    private static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void A_two_input_two_output_model_compresses_to_int8_and_its_class_takes_one_span_per_tensor()
    {
        string model = TwoInputModel();
        string data = Npz(("x", Random(1, Samples * 4), [Samples, 4]), ("y", Random(2, Samples * 4), [Samples, 4]));
        var options = new CompressionOptions { ModelPath = model, CalibrationPath = data, OutputDirectory = Path.Combine(Root, "out"), Namespace = "Demo", MinCosine = 0.99 };

        var result = Compressor.Run(options);

        Assert.True(result.Report.Gate.Passed, result.SummaryLine);
        Assert.True(result.Report.Metrics!.MeanCosine > 0.99, result.SummaryLine);
        string descriptor = File.ReadAllText(Path.Combine(options.OutputDirectory, Compressor.DescriptorFileName));
        Assert.Contains("format=2\n", descriptor);
        Assert.Contains("input.1.name=y\n", descriptor);
        Assert.Contains("output.1.name=w\n", descriptor);

        var run = GeneratorHarness.Run(descriptor);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.CompileErrors);
        var method = run.Type("Demo.TwoInputsModel").GetMembers("Run").OfType<Microsoft.CodeAnalysis.IMethodSymbol>().Single();
        Assert.Equal(["x", "y", "z", "w"], method.Parameters.Select(p => p.Name));

        // The packed sample path the engine evaluates with equals the typed path the class calls.
        var runner = new PlanRunner(ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName)));
        float[] x = Random(5, 4), y = Random(6, 4);
        var packed = new float[8];
        runner.Run([.. x, .. y], packed);
        runner.SetInput(0, x);
        runner.SetInput(1, y);
        runner.Execute();
        float[] z = new float[4], w = new float[4];
        runner.GetOutput(0, z);
        runner.GetOutput(1, w);
        Assert.Equal(packed, z.Concat(w).ToArray());
    }

    [Fact]
    public void An_array_missing_for_an_input_or_one_too_many_is_BOPT1105_naming_them()
    {
        string model = TwoInputModel();
        string data = Npz(("x", Random(1, 16), [4, 4]), ("q", Random(2, 16), [4, 4]));
        var options = new CompressionOptions { ModelPath = model, CalibrationPath = data, OutputDirectory = Path.Combine(Root, "out") };

        var e = Assert.Throws<CompressionException>(() => Compressor.Run(options));

        Assert.Equal("BOPT1105", e.Code);
        Assert.Contains("[q]", e.Message);
    }

    /// <summary>y = Relu(x) on x [batch, ?]: the second dimension is the model's to leave open and InputShape's to fix.</summary>
    private string DynamicModel()
    {
        var builder = new OnnxModelBuilder().ReluOutput();
        builder.Graph.Input[0].Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "features" };
        builder.Graph.Output[0].Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "features" };
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "dynamic.onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return path;
    }

    [Fact]
    public void Two_different_dynamic_dimensions_need_InputShape_and_the_error_shows_the_declared_shape()
    {
        var builder = new OnnxModelBuilder().ReluOutput();
        foreach (var value in new[] { builder.Graph.Input[0], builder.Graph.Output[0] })
        {
            value.Type.TensorType.Shape.Dim[1] = new TensorShapeProto.Types.Dimension { DimParam = "height" };
            value.Type.TensorType.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "width" });
        }

        Directory.CreateDirectory(Root);
        string model = Path.Combine(Root, "two-dynamic.onnx");
        File.WriteAllBytes(model, builder.ToBytes());
        var options = new CompressionOptions { ModelPath = model, Quantize = QuantizeMode.None, OutputDirectory = Path.Combine(Root, "out") };

        var e = Assert.Throws<BuildOptim.Onnx.OnnxModelException>(() => Compressor.Run(options));
        Assert.Equal("BOPT1004", e.Code);
        Assert.Contains("[?,?,?]", e.Message);
        Assert.Contains("InputShape", e.Message);

        // One of them fixed: the other is the sequence length.
        Assert.True(Compressor.Run(options with { InputShape = "?,4,?" }).ArtifactsWritten);
        var plan = ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName));
        Assert.True(plan.HasSequenceLength);
        Assert.Equal(4 * 7, plan.GetInputLength(0, 7));
    }

    [Fact]
    public void A_dynamic_dimension_is_a_sequence_length_taken_from_the_input_or_fixed_by_InputShape()
    {
        string model = DynamicModel();
        var options = new CompressionOptions { ModelPath = model, Quantize = QuantizeMode.None, OutputDirectory = Path.Combine(Root, "out") };

        Assert.True(Compressor.Run(options).ArtifactsWritten);
        using (var runner = new PlanRunner(ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName))))
        {
            Assert.True(runner.HasSequenceLength);
            Assert.Equal(1, runner.MinSequenceLength);
            Assert.Equal(BuildOptim.Compression.Sequence.SequencePlans.MaxLengths[0], runner.MaxSequenceLength);
            foreach (int n in new[] { 9, 3, 1, 9 })
            {
                float[] x = Enumerable.Range(0, n).Select(i => i % 2 == 0 ? -i : (float)i).ToArray(), y = new float[n];
                runner.Run(x, y);
                Assert.Equal(n, runner.SequenceLength);
                Assert.Equal(x.Select(v => Math.Max(v, 0)), y);
            }
        }

        var fixedShape = Compressor.Run(options with { InputShape = "?,6" });
        Assert.True(fixedShape.ArtifactsWritten);
        Assert.Equal(6, new PlanRunner(ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName))).InputLength);

        var named = Compressor.Run(options with { InputShape = "x:1,3" });
        Assert.Equal(3, new PlanRunner(ModelPlan.FromFile(Path.Combine(options.OutputDirectory, Compressor.PlanFileName))).InputLength);
        Assert.True(named.ArtifactsWritten);
    }

    [Theory]
    [InlineData("1,6,2", "rank")]
    [InlineData("other:1,6", "not an input")]
    [InlineData("1,x", "not a positive dimension")]
    public void A_wrong_InputShape_is_a_coded_error_naming_the_problem(string inputShape, string problem)
    {
        string model = DynamicModel();
        var options = new CompressionOptions { ModelPath = model, Quantize = QuantizeMode.None, OutputDirectory = Path.Combine(Root, "out"), InputShape = inputShape };

        var e = Record.Exception(() => Compressor.Run(options));

        Assert.Contains(problem, e!.Message);
        Assert.True(e is CompressionException { Code: "BOPT1201" } or BuildOptim.Onnx.OnnxModelException { Code: "BOPT1004" }, e.ToString());
    }
}
