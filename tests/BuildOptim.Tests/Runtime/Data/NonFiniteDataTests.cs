using System.IO.Compression;
using System.Text.Json;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Reporting;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>NaN and infinity: refused in input data (BOPT1107), written as null in report.json.</summary>
public sealed class NonFiniteDataTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    /// <summary>The small MLP (10 classes) compressed with its own calibration set and <paramref name="evaluation"/>.</summary>
    private CompressionOptions MlpOptions(string evaluation, string? labels = null) => HostileData.MlpOptions(Path.Combine(_scratch.Path, "out"), evaluation, labels);

    [Fact]
    public void Calibration_with_an_infinity_is_refused_with_BOPT1107_naming_file_sample_and_element()
    {
        NdArray calibration = NpyReader.Read(Models.SmallCalibration);
        float[] values = (float[])calibration.Data.Clone();
        values[(5 * 784) + 100] = float.PositiveInfinity;
        string path = _scratch.Write("calib.npy", HostileData.Float32Npy(values, 64, 1, 28, 28));

        var error = Assert.Throws<DataFormatException>(() => Compressor.Run(MlpOptions(Models.SmallEvaluation) with { CalibrationPath = path }));

        Assert.Equal("BOPT1107", error.Code);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Contains("sample 5, element 100", error.Message);
        Assert.Contains("Infinity", error.Message);
    }

    [Fact]
    public void Evaluation_of_nothing_but_NaN_is_refused_with_BOPT1107_at_sample_0()
    {
        float[] nan = Enumerable.Repeat(float.NaN, 20 * 784).ToArray();
        string path = _scratch.Write("eval.npz", HostileData.Zip(CompressionLevel.Optimal, ("x.npy", HostileData.Float32Npy(nan, 20, 784))));

        var error = Assert.Throws<DataFormatException>(() => Compressor.Run(MlpOptions(path)));

        Assert.Equal("BOPT1107", error.Code);
        Assert.Contains("array 'x'", error.Message);
        Assert.Contains("sample 0, element 0 is NaN", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_scratch.Path, "out")));
    }

    [Fact]
    public void Csv_inputs_with_NaN_are_refused_with_BOPT1107()
    {
        string row = string.Join(',', Enumerable.Repeat("0.5", 784));
        string path = _scratch.WriteText("eval.csv", $"{row}\n{row}\n0.5,NaN,{row[8..]}\n");

        var error = Assert.Throws<DataFormatException>(() => DataSets.LoadInputs(path, Models.Lower(Models.MlpTanh)));

        Assert.Equal("BOPT1107", error.Code);
        Assert.Contains("sample 2, element 1 is NaN", error.Message);
    }

    [Fact]
    public void FindNonFinite_finds_the_first_NaN_or_infinity_at_every_position_and_length()
    {
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001))];
        for (int length = 0; length <= 70; length++)
        {
            var clean = new NdArray("x", ElementKind.Float32, [length], Enumerable.Range(0, length).Select(i => i * 1e36f).ToArray());
            Assert.Null(clean.FindNonFinite());
            for (int at = 0; at < length; at++)
            {
                float[] data = (float[])clean.Data.Clone();
                data[at] = specials[at % specials.Length];
                if (at + 3 < length)
                {
                    data[at + 3] = float.NaN; // a later one must not win
                }
                Assert.Equal((at, 0), new NdArray("x", ElementKind.Float32, [length], data).FindNonFinite());
            }
        }
    }

    [Fact]
    public void FindNonFinite_gives_sample_and_element_and_accepts_extremes_and_subnormals()
    {
        float[] data = [float.MaxValue, float.MinValue, float.Epsilon, -0f, 1, 2, 3, float.NegativeInfinity];
        var array = new NdArray("x", ElementKind.Float32, [2, 2, 2], data, "d.npy");

        Assert.Equal((1, 3), array.FindNonFinite());
        var error = DataAssert.Fails("BOPT1107", "d.npy", array.ThrowIfNonFinite);
        Assert.Contains("sample 1, element 3 is -Infinity", error.Message);
    }

    [Fact]
    public void Report_json_writes_null_for_NaN_and_infinite_metrics_instead_of_throwing()
    {
        var metrics = new Metrics(3, double.NaN, 0.5, double.NaN, double.PositiveInfinity, double.NaN, double.NegativeInfinity);
        var gate = new GateResult(true, false, "accuracyDrop", double.PositiveInfinity, double.NaN, "BOPT2001", "failed");
        var options = new CompressionOptions { ModelPath = "m.onnx", OutputDirectory = "out", MaxAccuracyDrop = double.PositiveInfinity };
        var report = new CompressionReport("m.onnx", "MModel", "Int8", 100, 10, 10, metrics, gate, [], options, "1.0.0");

        using var json = JsonDocument.Parse(report.ToJson());

        var root = json.RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("original").GetProperty("accuracy").ValueKind);
        Assert.Equal(0.5, root.GetProperty("compressed").GetProperty("accuracy").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("accuracyDropPoints").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("maxAbsError").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("cosine").GetProperty("min").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("gate").GetProperty("threshold").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("gate").GetProperty("value").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("options").GetProperty("maxAccuracyDrop").ValueKind);
    }
}
