using BuildOptim.Compression;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime;

/// <summary>Plans with several inputs, set one by one with typed spans, run and read without allocating.</summary>
public sealed class MultiInputTests
{
    private static PlanRunner AddPlan()
    {
        // The ONNX backend test's Add: x + y, both [3, 4, 5].
        var graph = OnnxModelLoader.Load(Path.Combine(TestPaths.TestData, "onnx-node", "test_add", "model.onnx"));
        var network = OnnxFrontEnd.Import(graph, new Dictionary<string, int[]> { ["x"] = [3, 4, 5], ["y"] = [3, 4, 5] });
        return new PlanRunner(ModelPlan.FromBytes(PlanCompiler.Compile(network, QuantizeMode.None, null).Bytes));
    }

    [Fact]
    public void Typed_inputs_are_set_exactly_and_the_outputs_match_RunMany()
    {
        var runner = AddPlan();
        Assert.Equal((2, 1, 60, 60), (runner.InputCount, runner.OutputCount, runner.GetInputLength(1), runner.GetOutputLength(0)));
        long[] x = Enumerable.Range(0, 60).Select(i => (long)(i * 1000 - 16_777_216 + i)).ToArray();
        bool[] y = Enumerable.Range(0, 60).Select(i => i % 3 == 0).ToArray();

        runner.SetInput(0, x);
        runner.SetInput(1, y);
        runner.Execute();
        var output = new float[60];
        runner.GetOutput(0, output);

        var expected = new float[60];
        runner.RunMany([x.Select(v => (float)v).ToArray(), y.Select(v => v ? 1f : 0f).ToArray()], [expected]);
        Assert.Equal(expected, output);
        Assert.Equal(-16_777_216f + 1f, output[0]);
    }

    [Fact]
    public void An_integer_beyond_float32_exactness_or_a_wrong_length_is_refused()
    {
        var runner = AddPlan();
        var tooLarge = new long[60];
        tooLarge[7] = PlanRunner.MaxExactInteger + 1;

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => runner.SetInput(0, tooLarge));
        Assert.Contains("value 7", e.Message);
        Assert.Throws<ArgumentException>(() => runner.SetInput(1, new float[59]));
        Assert.Throws<ArgumentOutOfRangeException>(() => runner.SetInput(2, new float[60]));
        Assert.Throws<ArgumentException>(() => runner.GetOutput(0, new float[61]));
    }

    [Fact]
    public void Setting_inputs_running_and_reading_outputs_allocates_nothing()
    {
        var runner = AddPlan();
        long[] x = new long[60];
        int[] y = new int[60];
        var output = new float[60];

        Assert.Equal(0, Allocations.SteadyState(100, () =>
        {
            runner.SetInput(0, x);
            runner.SetInput(1, y);
            runner.Execute();
            runner.GetOutput(0, output);
        }));
    }
}
