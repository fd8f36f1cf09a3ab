using BuildOptim.Compression;
using BuildOptim.Runtime.Data;
using Google.Protobuf;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>DESIGN.md: <c>Calibration</c> may be a folder of ONNX <c>test_data_set_*</c> directories.</summary>
public sealed class TestDataFolderTests : ScratchFolderTest
{
    /// <summary>Writes the samples of <paramref name="data"/> as test data sets of <paramref name="perSet"/> samples each.</summary>
    private string WriteSets(NdArray data, int perSet, string name = "input")
    {
        string folder = Path.Combine(Root, "sets");
        for (int set = 0; set * perSet < data.SampleCount; set++)
        {
            int count = Math.Min(perSet, data.SampleCount - set * perSet);
            var tensor = new global::Onnx.TensorProto { Name = name, DataType = 1, Dims = { count, data.SampleLength } };
            tensor.FloatData.AddRange(data.Data.AsSpan(set * perSet * data.SampleLength, count * data.SampleLength).ToArray());
            string dir = Path.Combine(folder, $"test_data_set_{set}");
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, "input_0.pb"), tensor.ToByteArray());
        }

        return folder;
    }

    [Fact]
    public void A_folder_of_test_data_sets_calibrates_exactly_like_the_same_samples_in_an_npy()
    {
        var calibration = DataFile.Read(Models.SmallCalibration).Single();
        string folder = WriteSets(calibration, perSet: 7);

        CompressWithCli("npy");
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--calibration", folder, "--gate", "Off", "--out", Path.Combine(Root, "folder")], TextWriter.Null, TextWriter.Null);

        Assert.Equal(0, exit);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Root, "npy", Compressor.PlanFileName)), File.ReadAllBytes(Path.Combine(Root, "folder", Compressor.PlanFileName)));
    }

    [Fact]
    public void Sets_of_different_shapes_or_a_folder_without_sets_are_BOPT1102_naming_the_file()
    {
        Directory.CreateDirectory(Path.Combine(Root, "empty"));
        var errors = new StringWriter();
        Assert.Equal(1, BuildOptim.Cli.CommandLine.Run(["compress", Models.MlpTanh, "--calibration", Path.Combine(Root, "empty"), "--out", Path.Combine(Root, "o")], TextWriter.Null, errors));
        Assert.Contains("error BOPT1102", errors.ToString());
        Assert.Contains("test_data_set_*", errors.ToString());

        var calibration = DataFile.Read(Models.SmallCalibration).Single();
        string folder = WriteSets(calibration, perSet: 7);
        var odd = new global::Onnx.TensorProto { Name = "input", DataType = 1, Dims = { 1, 3 }, FloatData = { 1, 2, 3 } };
        File.WriteAllBytes(Path.Combine(folder, "test_data_set_1", "input_0.pb"), odd.ToByteArray());
        errors = new StringWriter();
        Assert.Equal(1, BuildOptim.Cli.CommandLine.Run(["compress", Models.MlpTanh, "--calibration", folder, "--out", Path.Combine(Root, "o")], TextWriter.Null, errors));
        Assert.Contains("error BOPT1102", errors.ToString());
        Assert.Contains(Path.Combine("test_data_set_1", "input_0.pb"), errors.ToString());
    }
}
