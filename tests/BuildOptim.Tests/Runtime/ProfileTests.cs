using BuildOptim.Compression;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime;

/// <summary><c>PlanRunner.Profile</c> and <c>buildoptim profile</c>: per-op timings of a real compressed plan.</summary>
public sealed class ProfileTests : ScratchFolderTest
{
    private string CompressFashionCnn()
    {
        string dir = Path.Combine(Root, "cnn");
        Compressor.Run(Models.FashionCnnOptions(dir) with { Gate = GateMode.Off });
        return Path.Combine(dir, Compressor.PlanFileName);
    }

    [Fact]
    public void Profile_times_every_op_and_leaves_the_outputs_of_run_unchanged()
    {
        var runner = new PlanRunner(ModelPlan.FromFile(CompressFashionCnn()));
        var input = new float[runner.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (i % 17) / 17f;
        }

        var before = new float[runner.OutputLength];
        runner.Run(input, before);
        var timings = runner.Profile(input, 20);
        var after = new float[runner.OutputLength];
        runner.Run(input, after);

        Assert.Equal(runner.Plan.Ops.Length, timings.Count);
        Assert.Equal(Enumerable.Range(0, timings.Count), timings.Select(t => t.Index));
        Assert.All(timings, t => Assert.True(t.MeanMicroseconds >= 0 && double.IsFinite(t.MeanMicroseconds)));
        Assert.Contains(timings, t => t.Kind == OpKind.ConvU8S8ToU8 && t.Summary == "3x3 16->16 s1 14x14 depthwise");
        Assert.Contains(timings, t => t.Kind == OpKind.ConvU8S8ToU8 && t.Summary == "3x3 1->16 s1 28x28 + MaxPool #2" && t.MeanMicroseconds > 0);
        Assert.Contains(timings, t => t.Kind == OpKind.PoolU8 && t.Summary == "2x2 s2 16x28x28, fused into #1" && t.MeanMicroseconds == 0);
        Assert.True(timings.Where(t => t.Kind == OpKind.ConvU8S8ToU8).Sum(t => t.MeanMicroseconds) > 0);
        Assert.Equal(before, after);

        // Three convolutions packed for the micro-kernel (the depthwise one is not); the residual Add needs no table.
        long packed = runner.Plan.Ops.ToArray().Where(o => o.Kind == OpKind.ConvU8S8ToU8).Sum(o => (long)BuildOptim.Runtime.Kernels.ConvU8S8PackedWeightsLength(BuildOptim.Runtime.Ops.ConvU8S8ToU8Parameters.Decode(o.P).Geometry) * sizeof(int));
        Assert.Equal(packed, runner.PreparedBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.Profile(input, 0));
        Assert.Throws<ArgumentException>(() => runner.Profile(new float[3], 1));
    }

    [Fact]
    public void Cli_profile_prints_the_ops_slowest_first()
    {
        string plan = CompressFashionCnn();
        var stdout = new StringWriter();
        int exit = BuildOptim.Cli.CommandLine.Run(["profile", plan, "--input", Models.FashionCnnOptions(Root).CalibrationPath!, "--runs", "50"], stdout, TextWriter.Null);

        Assert.Equal(0, exit);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("µs per run (mean of 50)", lines[0]);
        var times = lines.Skip(1).Select(l => double.Parse(l.Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(times.Count >= 8, stdout.ToString());
        Assert.Equal(times.OrderByDescending(t => t), times);

        var stderr = new StringWriter();
        Assert.Equal(2, BuildOptim.Cli.CommandLine.Run(["profile", plan, "--input", Models.FashionCnnOptions(Root).CalibrationPath!, "--runs", "0"], TextWriter.Null, stderr));
        Assert.Contains("BOPT1201", stderr.ToString());
    }
}
