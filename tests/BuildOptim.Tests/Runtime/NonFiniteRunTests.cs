using BuildOptim.Compression;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime;

/// <summary>What <c>Run</c> does with non-finite inputs, as docs/usage.md states it (it checks nothing, to stay allocation- and branch-free).</summary>
public sealed class NonFiniteRunTests : ScratchFolderTest
{
    private float[] Run(string plan, float[] input)
    {
        var runner = new PlanRunner(ModelPlan.FromFile(plan));
        var output = new float[runner.OutputLength];
        runner.Run(input, output);
        return output;
    }

    [Fact]
    public void An_int8_plan_reads_NaN_as_zero_and_infinities_as_the_ends_of_the_calibrated_range()
    {
        CompressWithCli("int8");
        string plan = Path.Combine(Root, "int8", Compressor.PlanFileName);
        float[] sample = DataFile.Read(Models.SmallCalibration).Single().Sample(0).ToArray();

        float[] Variant(float value)
        {
            float[] copy = [.. sample];
            copy[0] = value;
            return Run(plan, copy);
        }

        Assert.Equal(Variant(0f), Variant(float.NaN));
        Assert.Equal(Variant(float.MaxValue), Variant(float.PositiveInfinity));
        Assert.Equal(Variant(float.MinValue), Variant(float.NegativeInfinity));
    }

    [Fact]
    public void An_fp32_plan_carries_NaN_through_to_its_outputs()
    {
        CompressWithCli("fp32", "--quantize", "None");
        float[] sample = DataFile.Read(Models.SmallCalibration).Single().Sample(0).ToArray();
        sample[0] = float.NaN;

        Assert.Contains(Run(Path.Combine(Root, "fp32", Compressor.PlanFileName), sample), float.IsNaN);
    }
}
