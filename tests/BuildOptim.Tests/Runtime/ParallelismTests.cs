using System.Runtime.CompilerServices;
using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime;

/// <summary><c>PlanRunner</c> with <c>Parallelism</c> above 1: convolutions split by output channels across threads.</summary>
public sealed class ParallelismTests : ScratchFolderTest
{
    private ModelPlan CompressFashionCnn(int shareWeights = 0, bool sevenBit = false)
    {
        string dir = Path.Combine(Root, "cnn" + shareWeights + (sevenBit ? "-7" : ""));
        Compressor.Run(Models.FashionCnnOptions(dir) with { Gate = GateMode.Off, ShareWeights = shareWeights, WeightBits = sevenBit ? WeightBitsMode.Seven : WeightBitsMode.Auto });
        return ModelPlan.FromFile(Path.Combine(dir, Compressor.PlanFileName));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(16, false)]
    [InlineData(0, true)]
    public void Every_parallelism_gives_the_single_thread_outputs_bit_for_bit(int shareWeights, bool sevenBit)
    {
        // FashionCnn's convolutions are below ParallelMinimumMacs; a threshold of 0 splits the three with 16 or more
        // channels (2 to 11 blocks of 6), plain, over shared weights, and 7-bit (ConvGemmU8S7.cs: its own packed blocks).
        var plan = CompressFashionCnn(shareWeights, sevenBit);
        var options = Models.FashionCnnOptions(Root);
        var network = Models.Lower(options.ModelPath);
        var inputs = DataSets.LoadInputs(options.EvaluationPath!, network);
        var serial = new PlanRunner(plan);
        Assert.Equal(1, serial.Parallelism);
        var expected = new float[32 * serial.OutputLength];
        for (int s = 0; s < 32; s++)
        {
            serial.Run(inputs.Sample(s), expected.AsSpan(s * serial.OutputLength, serial.OutputLength));
        }

        foreach (int parallelism in new[] { 2, 3, 4, 16 })
        {
            var runner = new PlanRunner(plan, parallelism, parallelMinimumMacs: 0);
            Assert.Equal(parallelism, runner.Parallelism);
            Assert.True(runner.ScratchBytes > serial.ScratchBytes, "each helper has its own convolution scratch");
            var actual = new float[expected.Length];
            for (int s = 0; s < 32; s++)
            {
                runner.Run(inputs.Sample(s), actual.AsSpan(s * runner.OutputLength, runner.OutputLength));
            }

            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void Pools_fused_into_their_convolutions_give_the_unfused_outputs_bit_for_bit(int shareWeights)
    {
        // The stem's 2 × 2 MaxPool runs inside the convolution by default (its output overwrites the stem's input buffer,
        // which only a single-threaded run allows); plain and over shared weights.
        var plan = CompressFashionCnn(shareWeights);
        var options = Models.FashionCnnOptions(Root);
        var inputs = DataSets.LoadInputs(options.EvaluationPath!, Models.Lower(options.ModelPath));
        var fused = new PlanRunner(plan);
        var unfused = new PlanRunner(plan, 1, PlanRunner.ParallelMinimumMacs, fusePools: false);
        Assert.Contains(fused.Profile(inputs.Sample(0), 1), t => t.Kind == OpKind.PoolU8 && t.Summary.Contains("fused into"));
        Assert.DoesNotContain(unfused.Profile(inputs.Sample(0), 1), t => t.Summary.Contains("fused into"));
        var expected = new float[unfused.OutputLength];
        var actual = new float[fused.OutputLength];
        for (int s = 0; s < 64; s++)
        {
            unfused.Run(inputs.Sample(s), expected);
            fused.Run(inputs.Sample(s), actual);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void A_parallel_run_allocates_nothing_on_the_calling_thread()
    {
        var plan = CompressFashionCnn();
        var runner = new PlanRunner(plan, 2, parallelMinimumMacs: 0);
        var input = new float[runner.InputLength];
        var output = new float[runner.OutputLength];

        // The helpers are the runner's own threads: nothing is queued to the thread pool, which used to allocate on this
        // thread while it added workers (in every round, until it had enough). Rounds of 20 calls from the second call
        // on, and rounds of 200 once the JIT has tiered the kernels up.
        runner.Run(input, output);
        Assert.Equal(0, Allocations.SteadyState(20, () => runner.Run(input, output)));
        Assert.Equal(0, Allocations.SteadyState(200, () => runner.Run(input, output)));
    }

    [Fact]
    public void Helpers_are_the_runners_own_background_threads_and_exit_after_it_is_collected()
    {
        var plan = CompressFashionCnn();
        var threads = RunOnceAndDrop(plan);
        Assert.Equal(2, threads.Length);
        Assert.All(threads, t => Assert.True(t.IsBackground && t.IsAlive && !t.IsThreadPoolThread));

        // Nothing holds the runner now but the helpers' weak references: collected, each helper exits at its next idle check.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(20)), "a helper outlived its runner"));
    }

    [Fact]
    public void Dispose_stops_the_helpers_at_once_and_a_disposed_runner_refuses_to_run()
    {
        var plan = CompressFashionCnn();
        var runner = new PlanRunner(plan, 3, parallelMinimumMacs: 0);
        var input = new float[runner.InputLength];
        var output = new float[runner.OutputLength];
        runner.Run(input, output);
        var threads = runner.HelperThreads.ToArray();
        Assert.Equal(2, threads.Length);
        Assert.All(threads, t => Assert.True(t.IsAlive));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        runner.Dispose();

        Assert.All(threads, t => Assert.False(t.IsAlive));
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(900), $"Dispose took {clock.Elapsed} (the idle check is 1 s)");
        Assert.True(runner.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => runner.Run(input, output));
        runner.Dispose(); // a second call does nothing
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Thread[] RunOnceAndDrop(ModelPlan plan)
    {
        var runner = new PlanRunner(plan, 3, parallelMinimumMacs: 0);
        var serial = new PlanRunner(plan);
        var input = Enumerable.Range(0, runner.InputLength).Select(i => (i % 29) / 29f).ToArray();
        var expected = new float[serial.OutputLength];
        var actual = new float[runner.OutputLength];
        serial.Run(input, expected);
        runner.Run(input, actual);
        Assert.Equal(expected, actual);
        return [.. runner.HelperThreads];
    }

    [Fact]
    public void Small_convolutions_and_parallelism_one_stay_on_the_calling_thread()
    {
        var plan = CompressFashionCnn();
        var serial = new PlanRunner(plan);
        Assert.Equal(serial.ScratchBytes, new PlanRunner(plan, 4).ScratchBytes); // nothing reaches ParallelMinimumMacs: no helpers
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanRunner(plan, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlanRunner(plan, 65));
    }
}
