using System.IO.Compression;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

/// <summary>How the engine takes inputs and labels from data files: labels within the model's classes, each file read once, CSV reads in the summary line.</summary>
public sealed class EvaluationDataTests : IDisposable
{
    private readonly ScratchFolder _scratch = new();

    public void Dispose() => _scratch.Dispose();

    /// <summary>The small MLP (10 classes) compressed with its own calibration set and <paramref name="evaluation"/>.</summary>
    private CompressionOptions MlpOptions(string evaluation, string? labels = null) => HostileData.MlpOptions(Path.Combine(_scratch.Path, "out"), evaluation, labels);

    private string EvaluationWithLabels(string fileName, long[] labels)
    {
        byte[] x = HostileData.Entries(Models.SmallEvaluation).Single(e => e.Name == "x.npy").Bytes;
        return _scratch.Write(fileName, HostileData.Zip(CompressionLevel.Fastest, ("x.npy", x), ("labels.npy", HostileData.Int64Npy(labels))));
    }

    [Theory]
    [InlineData(10)]    // the class count itself: ids are 0..9
    [InlineData(255)]
    [InlineData(-1)]
    public void Labels_outside_the_class_range_are_refused_with_BOPT1106_naming_file_sample_and_value(long bad)
    {
        long[] labels = new long[200];
        labels[17] = bad;
        labels[150] = bad;
        string path = EvaluationWithLabels("eval.npz", labels);

        var error = Assert.Throws<CompressionException>(() => Compressor.Run(MlpOptions(path)));

        Assert.Equal("BOPT1106", error.Code);
        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message);
        Assert.Contains($"label {bad} of sample 17", error.Message);
        Assert.Contains("10 classes", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_scratch.Path, "out")));
    }

    [Fact]
    public void Labels_file_out_of_range_is_refused_naming_the_labels_file()
    {
        string labels = _scratch.WriteText("labels.csv", string.Join('\n', Enumerable.Range(0, 50).Select(i => i == 3 ? "12" : "1")) + "\n");

        var error = Assert.Throws<CompressionException>(() => Compressor.Run(MlpOptions(Models.SmallEvaluationCsv, labels)));

        Assert.Equal("BOPT1106", error.Code);
        Assert.Equal(labels, error.FilePath);
        Assert.Contains("label 12 of sample 3", error.Message);
    }

    [Fact]
    public void Labels_within_the_class_range_still_pass_the_gate()
    {
        long[] labels = Enumerable.Range(0, 200).Select(i => (long)(i % 10)).ToArray();
        string path = EvaluationWithLabels("eval.npz", labels);

        var result = Compressor.Run(MlpOptions(path) with { MaxAccuracyDrop = 100 });

        Assert.True(result.Report.Gate.Passed, result.Report.Gate.Message);
        Assert.Equal("accuracyDrop", result.Report.Gate.Metric);
    }

    [Fact]
    public void One_read_of_an_npz_serves_its_inputs_and_its_labels_without_reopening_the_file()
    {
        string path = _scratch.Write("eval.npz", File.ReadAllBytes(Models.SmallEvaluation));
        var model = Models.Lower(Models.MlpTanh);
        IReadOnlyList<NdArray> arrays = DataFile.Read(path);
        File.Delete(path); // a second read would now fail with BOPT1101

        NdArray inputs = DataSets.SelectInputs(path, arrays, model);
        int[]? labels = DataSets.SelectLabels(path, arrays, null, inputs.SampleCount, model.OutputLength);

        Assert.Equal(200, inputs.SampleCount);
        Assert.Equal(200, labels!.Length);
        Assert.Equal(DataSets.LoadLabels(Models.SmallEvaluation, null, 200), labels);
    }

    [Fact]
    public void Labels_from_a_file_of_their_own_are_read_from_that_file_even_given_the_data_arrays()
    {
        var arrays = DataFile.Read(Models.SmallEvaluationCsv);

        int[]? labels = DataSets.SelectLabels(Models.SmallEvaluationCsv, arrays, Models.SmallEvaluationLabelsCsv, 50, 10);

        Assert.Equal(DataFile.Read(Models.SmallEvaluationLabelsCsv).Single().ToLabels(), labels);
    }

    [Fact]
    public void Summary_line_says_how_many_csv_rows_were_read_and_whether_a_header_was_skipped()
    {
        string header = string.Join(',', Enumerable.Range(0, 784).Select(i => $"px{i}"));
        string withHeader = _scratch.WriteText("eval.csv", header + "\n" + File.ReadAllText(Models.SmallEvaluationCsv));

        var plain = Compressor.Run(Options(Models.SmallEvaluationCsv, "plain"));
        var named = Compressor.Run(Options(withHeader, "named"));

        Assert.EndsWith("; mlp_eval.csv: 50 rows, no header line", plain.SummaryLine);
        Assert.EndsWith("; eval.csv: 50 rows, header line 1 skipped", named.SummaryLine);
        Assert.Equal(plain.Report.Metrics, named.Report.Metrics);

        var npz = Compressor.Run(Options(Models.SmallEvaluation, "npz") with { WeightBits = WeightBitsMode.Eight });
        Assert.EndsWith(", gate passed: accuracy drop 0.0 pt <= MaxAccuracyDrop 100", npz.SummaryLine);
    }

    private CompressionOptions Options(string evaluation, string folder) => new()
    {
        ModelPath = Models.MlpMatMul,
        CalibrationPath = Models.SmallCalibration,
        EvaluationPath = evaluation,
        Labels = evaluation.EndsWith(".csv", StringComparison.Ordinal) ? Models.SmallEvaluationLabelsCsv : null,
        MaxAccuracyDrop = 100,
        OutputDirectory = Path.Combine(_scratch.Path, folder),
    };
}
