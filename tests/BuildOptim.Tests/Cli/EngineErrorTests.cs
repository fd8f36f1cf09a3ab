using BuildOptim.Compression;
using BuildOptim.Compression.Artifacts;
using BuildOptim.Compression.Reporting;
using BuildOptim.Runtime.Data;
using BuildOptim.Tests.Generator;

namespace BuildOptim.Tests.Cli;

/// <summary>Mistakes in data and metadata get their own coded error naming the file and item, never a usage error or an internal one.</summary>
public sealed class EngineErrorTests : ScratchFolderTest
{
    private (int Exit, string Errors) Cli(params string[] args)
    {
        var errors = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(args, TextWriter.Null, errors);
        return (exit, errors.ToString());
    }

    [Fact]
    public void Calibration_data_out_of_int8_scale_is_BOPT1110_naming_the_file_and_the_sample_and_leaves_nothing_behind()
    {
        var calibration = DataFile.Read(Models.SmallCalibration).Single();
        float[] data = [.. calibration.Data];
        data[3 * calibration.SampleLength + 1] = 3e38f;
        Directory.CreateDirectory(Root);
        string path = Path.Combine(Root, "calib.npy");
        NpyWriter.WriteFloat32(path, data, [calibration.SampleCount, calibration.SampleLength]);
        string output = Path.Combine(Root, "out");

        var (exit, errors) = Cli("compress", Models.MlpTanh, "--calibration", path, "--item", "Models/mlp.onnx", "--out", output);

        Assert.Equal(1, exit);
        Assert.StartsWith(path + ": error BOPT1110:", errors);
        Assert.Contains("Models/mlp.onnx", errors);
        Assert.Contains("sample 3", errors);
        Assert.DoesNotContain("Usage:", errors);
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any());
        Assert.Empty(Directory.GetDirectories(Root, "*tmp*"));
    }

    [Theory]
    [InlineData("class", "keyword")]
    [InlineData("Run", "member")]
    [InlineData("A-B", "letter")]
    public void An_invalid_class_name_is_refused_before_the_model_is_even_read(string className, string why)
    {
        var (exit, errors) = Cli("compress", Path.Combine(Root, "missing.onnx"), "--quantize", "None", "--class-name", className, "--out", Path.Combine(Root, "out"));

        Assert.Equal(2, exit);
        Assert.Contains("error BOPT1201", errors);
        Assert.Contains(why, errors);
    }

    [Fact]
    public void NaN_weights_with_ShareWeights_are_a_model_error_naming_the_layer_not_a_bad_option()
    {
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Models.MlpTanh));
        var weights = proto.Graph.Initializer.First(t => t.Dims.Count == 2);
        if (weights.FloatData.Count > 0)
        {
            weights.FloatData[0] = float.NaN;
        }
        else
        {
            byte[] raw = weights.RawData.ToByteArray();
            BitConverter.TryWriteBytes(raw.AsSpan(0, 4), float.NaN);
            weights.RawData = Google.Protobuf.ByteString.CopyFrom(raw);
        }

        Directory.CreateDirectory(Root);
        string model = Path.Combine(Root, "nan.onnx");
        File.WriteAllBytes(model, Google.Protobuf.MessageExtensions.ToByteArray(proto));

        var (exit, errors) = Cli("compress", model, "--calibration", Models.SmallCalibration, "--share-weights", "4", "--gate", "Off", "--out", Path.Combine(Root, "out"));

        Assert.Equal(1, exit);
        Assert.StartsWith(model + ": error BOPT1002:", errors);
        Assert.Contains("NaN or infinite weights", errors);
        Assert.DoesNotContain("Usage:", errors);
    }

    [Fact]
    public void A_bad_option_is_still_a_usage_error()
    {
        var (exit, errors) = Cli("compress", Models.MlpTanh, "--sparsity", "lots", "--out", Path.Combine(Root, "out"));

        Assert.Equal(2, exit);
        Assert.Contains("error BOPT1201", errors);
        Assert.Contains("Usage:", errors);
    }

    [Fact]
    public void Two_descriptors_generating_the_same_class_report_BOPT4004_and_the_other_classes_are_still_generated()
    {
        string Descriptor(string ns, string sourceModel) => GeneratorHarness.Descriptor(("namespace", ns), ("sourceModel", sourceModel), ("className", "SameModel"));
        var texts = new[]
        {
            new InMemoryAdditionalText("/obj/a/model.boptgen", Descriptor("App", "a.onnx")),
            new InMemoryAdditionalText("/obj/b/model.boptgen", Descriptor("App", "b.onnx")),
            new InMemoryAdditionalText("/obj/c/model.boptgen", Descriptor("Other", "c.onnx")),
        };

        var driver = GeneratorHarness.CreateDriver(texts).RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(), out var output, out var diagnostics);

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("BOPT4004", diagnostic.Id);
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("'b.onnx'", message);
        Assert.Contains("'a.onnx'", message);
        Assert.Contains("App.SameModel", message);
        Assert.Equal(2, driver.GetRunResult().Results.Single().GeneratedSources.Length);
        Assert.NotNull(output.GetTypeByMetadataName("App.SameModel"));
        Assert.NotNull(output.GetTypeByMetadataName("Other.SameModel"));
    }

    [Fact]
    public void Artifact_names_are_the_only_names_a_manifest_can_reach()
    {
        string dir = Path.Combine(Root, "out");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(dir, ArtifactWriter.ManifestFileName), "notes.txt\n../outside.txt\n" + Compressor.PlanFileName + "\n");
        File.WriteAllText(Path.Combine(Root, "outside.txt"), "mine");
        File.WriteAllText(Path.Combine(dir, Compressor.PlanFileName), "old");

        ArtifactWriter.Delete(dir);

        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "notes.txt")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Root, "outside.txt")));
        Assert.False(File.Exists(Path.Combine(dir, Compressor.PlanFileName)));
    }

    [Fact]
    public void Run_plan_with_data_of_the_wrong_length_is_BOPT1105_naming_the_file()
    {
        CompressPlan();
        string data = Path.Combine(Root, "short.npy");
        NpyWriter.WriteFloat32(data, new float[20], [2, 10]);
        var (exit, errors) = Cli("run-plan", Path.Combine(Root, "plan", Compressor.PlanFileName), "--input", data, "--out", Path.Combine(Root, "o.npy"));

        Assert.Equal(1, exit);
        Assert.StartsWith(data + ": error BOPT1105:", errors);
        Assert.False(File.Exists(Path.Combine(Root, "o.npy")));
    }

    [Fact]
    public void Profile_with_a_file_holding_only_labels_is_a_data_error_not_an_internal_one()
    {
        CompressPlan();
        string labels = Path.Combine(Root, "labels.npz");
        using (var zip = System.IO.Compression.ZipFile.Open(labels, System.IO.Compression.ZipArchiveMode.Create))
        {
            string npy = Path.Combine(Root, "labels.npy");
            NpyWriter.WriteFloat32(npy, [1, 2, 3], [3]);
            System.IO.Compression.ZipFileExtensions.CreateEntryFromFile(zip, npy, "labels.npy");
        }

        var (exit, errors) = Cli("profile", Path.Combine(Root, "plan", Compressor.PlanFileName), "--input", labels, "--runs", "1");

        Assert.Equal(1, exit);
        Assert.Contains("error BOPT1102", errors);
        Assert.DoesNotContain("BOPT3001", errors);
    }

    [Fact]
    public void A_structure_the_plan_compiler_cannot_express_is_BOPT1004_naming_the_layer_not_an_internal_error()
    {
        var builder = new OnnxModelBuilder()
            .Int64s("rank8", [1, 1, 1, 1, 1, 1, 2, 2], 8)
            .Int64s("back", [1, 4], 2)
            .Node("Reshape", "up", ["x", "rank8"], ["r"])
            .Node("Transpose", "transpose_rank8", ["r"], ["t"], OnnxModelBuilder.Attr("perm", 7, 6, 5, 4, 3, 2, 1, 0))
            .Node("Reshape", "down", ["t", "back"], ["y"])
            .Output("y");
        Directory.CreateDirectory(Root);
        string model = Path.Combine(Root, "rank8.onnx");
        File.WriteAllBytes(model, builder.ToBytes());

        var (exit, errors) = Cli("compress", model, "--quantize", "None", "--out", Path.Combine(Root, "out"));

        Assert.Equal(1, exit);
        Assert.StartsWith(model + ": error BOPT1004:", errors);
        Assert.Contains("transpose_rank8", errors);
    }

    [Fact]
    public void Evaluating_on_the_calibration_data_without_labels_warns_twice_and_held_out_labelled_data_not_at_all()
    {
        var (exit, errors) = Cli("compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--out", Path.Combine(Root, "a"));
        Assert.Equal(0, exit);
        Assert.Contains(Models.SmallCalibration + ": warning BOPT1208:", errors);
        Assert.Contains("warning BOPT1209:", errors);

        (exit, errors) = Cli("compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--evaluation", Models.SmallEvaluation, "--max-accuracy-drop", "100", "--out", Path.Combine(Root, "b"));
        Assert.Equal(0, exit);
        Assert.DoesNotContain("warning", errors);

        (exit, errors) = Cli("compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--min-agreement", "0.5", "--out", Path.Combine(Root, "c"));
        Assert.Equal(0, exit);
        Assert.DoesNotContain("BOPT1208", errors);
    }

    [Theory]
    [InlineData(392, "The model wants 2× the values")]
    [InlineData(1568, "Each row holds 2 samples' worth")]
    public void Data_of_the_wrong_shape_names_the_metadata_the_item_both_shapes_and_the_likely_fix(int length, string hint)
    {
        Directory.CreateDirectory(Root);
        string data = Path.Combine(Root, "eval.npy");
        NpyWriter.WriteFloat32(data, new float[4 * length], [4, length]);

        var (exit, errors) = Cli("compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--evaluation", data, "--item", "Models/mlp.onnx", "--out", Path.Combine(Root, "out"));

        Assert.Equal(1, exit);
        Assert.Contains($"error BOPT1105: Evaluation data '{data}' of 'Models/mlp.onnx': array", errors);
        Assert.Contains($"[4,{length}] ({length} values per sample)", errors);
        Assert.Contains("is [batch,1,28,28] (784 values per sample)", errors);
        Assert.Contains(hint, errors);
    }

    private void CompressPlan()
        => Assert.Equal(0, Cli("compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--gate", "Off", "--out", Path.Combine(Root, "plan")).Exit);
}
