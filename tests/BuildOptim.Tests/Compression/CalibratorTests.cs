using BuildOptim.Compression;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;

namespace BuildOptim.Tests.Compression;

public sealed class CalibratorTests : ScratchFolderTest
{
    private static readonly CalibrationMethod[] Narrowing = [CalibrationMethod.Percentile, CalibrationMethod.Entropy, CalibrationMethod.Mse];

    [Theory]
    [InlineData("MinMax", CalibrationMethod.MinMax)]
    [InlineData("percentile", CalibrationMethod.Percentile)]
    [InlineData("ENTROPY", CalibrationMethod.Entropy)]
    [InlineData("Mse", CalibrationMethod.Mse)]
    public void Calibrator_names_parse_in_any_case(string name, CalibrationMethod expected)
    {
        Assert.True(Calibrators.TryParse(name, out var method));
        Assert.Equal(expected, method);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("1")]
    [InlineData("KL")]
    [InlineData("Min Max")]
    [InlineData("Mse,Entropy")]
    [InlineData(" Mse")]
    public void Other_calibrator_names_do_not_parse(string? name) => Assert.False(Calibrators.TryParse(name, out _));

    [Fact]
    public void A_far_outlier_is_clipped_and_the_bulk_kept()
    {
        // 100,000 values spread over [0, 1] and five at 100: under the 0.01 % Percentile lets go.
        var values = Bulk(100_000, 0, 1).Concat(Enumerable.Repeat(100f, 5)).ToArray();
        var (histogram, range) = Histogram(values);
        Assert.Equal(new TensorRange(0, 100), range);
        Assert.Equal(range, HistogramCalibrator.Choose(histogram, range, CalibrationMethod.MinMax));

        var percentile = HistogramCalibrator.Choose(histogram, range, CalibrationMethod.Percentile);
        Assert.Equal(0, percentile.Min);
        Assert.InRange(percentile.Max, 1f, 1.1f);

        // Mse keeps them: clipping five values at 100 costs more squared error than 100,000 values' rounding noise.
        var mse = HistogramCalibrator.Choose(histogram, range, CalibrationMethod.Mse);
        Assert.Equal(0, mse.Min);
        Assert.InRange(mse.Max, 90f, 100f);

        // Entropy needs 256 bins of the 2,048 at least (a code per group of bins), so it cannot go below an eighth of the range.
        var entropy = HistogramCalibrator.Choose(histogram, range, CalibrationMethod.Entropy);
        Assert.Equal(0, entropy.Min);
        Assert.InRange(entropy.Max, 1f, 25f);
    }

    [Fact]
    public void A_long_tail_is_cut_by_Percentile_and_Mse_and_kept_by_Entropy()
    {
        // The quantiles of an exponential distribution: a long thin tail up to ln(200,000) ≈ 12.2.
        const int count = 100_000;
        var values = Enumerable.Range(0, count).Select(i => (float)-Math.Log((i + 0.5) / count)).ToArray();
        var (histogram, range) = Histogram(values);
        foreach (var method in new[] { CalibrationMethod.Percentile, CalibrationMethod.Mse })
        {
            var chosen = HistogramCalibrator.Choose(histogram, range, method);
            Assert.Equal(range.Min, chosen.Min);
            Assert.True(chosen.Max < range.Max && chosen.Max > 4, $"{method}: {chosen} of {range}");
        }

        // 256 codes over the 2,048 bins leave 8 bins a code; a smooth tail then loses almost no information, and the
        // clipped values' mass in the end bin costs more.
        Assert.Equal(range, HistogramCalibrator.Choose(histogram, range, CalibrationMethod.Entropy));

        // Percentile keeps all but the top 0.01 % (10 values): the 99.99th percentile is ln(10,000) ≈ 9.2.
        Assert.InRange(HistogramCalibrator.Choose(histogram, range, CalibrationMethod.Percentile).Max, 9.1f, 9.3f);
    }

    [Fact]
    public void A_low_outlier_moves_the_lower_end_only()
    {
        var values = Bulk(50_000, -1, 1).Concat(Enumerable.Repeat(-60f, 3)).ToArray();
        var (histogram, range) = Histogram(values);
        foreach (var method in Narrowing)
        {
            var chosen = HistogramCalibrator.Choose(histogram, range, method);
            Assert.True(chosen.Min > -60 && chosen.Min <= -0.99f, $"{method}: {chosen}");
            Assert.Equal(range.Max, chosen.Max);
        }
    }

    [Fact]
    public void Without_outliers_every_method_keeps_about_the_whole_range()
    {
        var values = Bulk(80_000, -2, 3);
        var (histogram, range) = Histogram(values);
        foreach (var method in Narrowing)
        {
            var chosen = HistogramCalibrator.Choose(histogram, range, method);
            Assert.True(chosen.Min >= range.Min && chosen.Max <= range.Max, $"{method}: {chosen} is wider than {range}");
            Assert.True(chosen.Max - chosen.Min >= 0.95 * (range.Max - range.Min), $"{method}: {chosen} of {range}");
        }
    }

    [Fact]
    public void Zeros_and_NaN_are_not_counted()
    {
        var histogram = new long[HistogramCalibrator.Bins];
        HistogramCalibrator.Accumulate(histogram, new TensorRange(-1, 1), [0f, -0f, float.NaN, 0.5f, -1f, 1f, 2f]);
        Assert.Equal(4, histogram.Sum());
        Assert.Equal(1, histogram[0]);
        Assert.Equal(2, histogram[HistogramCalibrator.Bins - 1]);
        Assert.Equal(1, histogram[HistogramCalibrator.Bins * 3 / 4]);
    }

    [Fact]
    public void Empty_and_one_point_ranges_are_returned_as_they_are()
    {
        var empty = new long[HistogramCalibrator.Bins];
        foreach (var method in Narrowing)
        {
            Assert.Equal(new TensorRange(-1, 4), HistogramCalibrator.Choose(empty, new TensorRange(-1, 4), method));
            var (point, pointRange) = Histogram([2.5f, 2.5f, 2.5f]);
            Assert.Equal(new TensorRange(2.5f, 2.5f), HistogramCalibrator.Choose(point, pointRange, method));
        }
    }

    [Fact]
    public void Every_calibrator_compresses_the_sample_within_the_gate_and_deterministically()
    {
        var minMax = Compress("minmax", "MinMax");
        string minMaxPlan = Path.Combine(Root, "minmax", Compressor.PlanFileName);
        bool anyDiffers = false;
        foreach (string calibrator in new[] { "Percentile", "Entropy", "Mse" })
        {
            var result = Compress(calibrator, calibrator);
            Assert.True(result.Report.Gate.Passed, $"{calibrator}: {result.SummaryLine}");
            Assert.True(result.Report.Metrics!.AccuracyDropPoints <= 1.5, $"{calibrator}: {result.SummaryLine}");
            Assert.Equal(calibrator, result.Report.Options.Calibrator.ToString());
            anyDiffers |= !File.ReadAllBytes(Path.Combine(Root, calibrator, Compressor.PlanFileName)).AsSpan().SequenceEqual(File.ReadAllBytes(minMaxPlan));
        }

        Assert.True(minMax.Report.Gate.Passed, minMax.SummaryLine);
        Assert.True(anyDiffers, "no calibrator chose a range other than MinMax's");

        // Same inputs, same bytes.
        Compress("mse-again", "Mse");
        Assert.Equal(File.ReadAllBytes(Path.Combine(Root, "Mse", Compressor.PlanFileName)), File.ReadAllBytes(Path.Combine(Root, "mse-again", Compressor.PlanFileName)));
    }

    [Fact]
    public void An_unknown_calibrator_is_BOPT1201_naming_the_item()
    {
        var errors = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.FashionMlp, "--calibration", Models.FashionCalibration, "--calibrator", "KL", "--item", "Models/fashion_mlp.onnx", "--out", Path.Combine(Root, "bad")],
            TextWriter.Null, errors);
        Assert.Equal(2, exit);
        Assert.Contains("error BOPT1201: 'Models/fashion_mlp.onnx': --calibrator 'KL' is not valid; expected MinMax, Percentile, Entropy or Mse", errors.ToString());
        Assert.False(Directory.Exists(Path.Combine(Root, "bad")));
    }

    [Fact]
    public void Cli_calibrator_option_reaches_the_report_and_a_bad_one_is_BOPT1201()
    {
        using (var report = CompressWithCli("cli", "--calibrator", "Percentile"))
        {
            Assert.Equal("Percentile", report.RootElement.GetProperty("options").GetProperty("calibrator").GetString());
        }

        var stderr = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(
            ["compress", Models.MlpTanh, "--calibration", Models.SmallCalibration, "--calibrator", "Histogram", "--item", "Models/mlp.onnx", "--out", Path.Combine(Root, "cli-bad")],
            TextWriter.Null, stderr);
        Assert.NotEqual(0, exit);
        Assert.Contains("error BOPT1201", stderr.ToString());
        Assert.Contains("'Models/mlp.onnx': --calibrator 'Histogram' is not valid", stderr.ToString());
        Assert.False(File.Exists(Path.Combine(Root, "cli-bad", Compressor.PlanFileName)));
    }

    [Fact]
    public void Histogram_ranges_come_from_a_real_model_and_never_widen_MinMax()
    {
        var model = Models.Lower(Models.FashionMlp);
        var calibration = DataSets.LoadInputs(Models.FashionCalibration, model);
        var minMax = MinMaxCalibrator.Calibrate(model, calibration);
        foreach (var method in Narrowing)
        {
            var ranges = Calibrators.Calibrate(model, calibration, method);
            Assert.Equal(minMax.Keys.Order(), ranges.Keys.Order());
            foreach (var (value, range) in ranges)
            {
                Assert.True(range.Min >= minMax[value].Min && range.Max <= minMax[value].Max && range.Min <= range.Max, $"{method}, value {value}: {range} vs {minMax[value]}");
            }
        }
    }

    private CompressionResult Compress(string folder, string calibrator)
        => Compressor.Run(Models.FashionMlpOptions(Path.Combine(Root, folder)) with { Calibrator = Enum.Parse<CalibrationMethod>(calibrator) });

    /// <summary>Evenly spaced values over [min, max] (a deterministic stand-in for a smooth distribution).</summary>
    private static float[] Bulk(int count, float min, float max)
        => Enumerable.Range(0, count).Select(i => min + ((max - min) * i / (count - 1))).ToArray();

    private static (long[] Histogram, TensorRange Range) Histogram(float[] values)
    {
        var range = TensorRange.Empty.Include(values);
        var histogram = new long[HistogramCalibrator.Bins];
        HistogramCalibrator.Accumulate(histogram, range, values);
        return (histogram, range);
    }
}
