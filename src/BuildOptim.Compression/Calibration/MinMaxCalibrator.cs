using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Lowering;
using BuildOptim.Runtime;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Calibration;

/// <summary>
/// MinMax calibration: the range of every tensor is the [min, max] observed over the calibration
/// set, measured by running the fp32 plan (the Runtime's own float kernels) with every
/// intermediate tensor kept in its own buffer.
/// </summary>
public static class MinMaxCalibrator
{
    public static Dictionary<int, TensorRange> Calibrate(Network network, NdArray samples)
    {
        var plan = PlanCompiler.Compile(network, QuantizeMode.None, null, keepAllValues: true);
        var runner = new PlanRunner(ModelPlan.FromBytes(plan.Bytes));
        var ranges = plan.FloatBuffers.Keys.ToDictionary(v => v, _ => TensorRange.Empty);
        var output = new float[runner.OutputLength];
        for (int s = 0; s < samples.SampleCount; s++)
        {
            runner.Run(samples.Sample(s), output);
            foreach (var (value, buffer) in plan.FloatBuffers)
            {
                ranges[value] = ranges[value].Include(runner.FloatBuffer(buffer)[..network.Value(value).Length]);
            }
        }

        return ranges;
    }
}
