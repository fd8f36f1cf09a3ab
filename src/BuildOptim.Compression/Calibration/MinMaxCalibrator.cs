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
        => Calibrate(new CalibrationRun(network), samples);

    /// <summary>The ranges over <paramref name="samples"/> through an existing <see cref="CalibrationRun"/>.</summary>
    internal static Dictionary<int, TensorRange> Calibrate(CalibrationRun run, NdArray samples)
    {
        var ranges = run.Values.ToDictionary(v => v, _ => TensorRange.Empty);
        run.Visit(samples, (value, values) => ranges[value] = ranges[value].Include(values));
        return ranges;
    }
}

/// <summary>What a calibration pass sees of one tensor for one sample.</summary>
internal delegate void TensorVisitor(int value, ReadOnlySpan<float> values);

/// <summary>
/// The fp32 plan of a network with every value in its own buffer, compiled once: each calibration pass runs it over the
/// samples and hands every value's tensor to a visitor.
/// </summary>
internal sealed class CalibrationRun
{
    private readonly Network _network;
    private readonly CompiledPlan _plan;
    private readonly PlanRunner _runner;

    public CalibrationRun(Network network)
    {
        _network = network;
        _plan = PlanCompiler.Compile(network, QuantizeMode.None, null, keepAllValues: true);
        _runner = new PlanRunner(ModelPlan.FromBytes(_plan.Bytes));
    }

    /// <summary>The values that have a float tensor in the plan.</summary>
    public IEnumerable<int> Values => _plan.FloatBuffers.Keys;

    public void Visit(NdArray samples, TensorVisitor visit)
    {
        var output = new float[_runner.OutputLength];
        for (int s = 0; s < samples.SampleCount; s++)
        {
            _runner.Run(samples.Sample(s), output);
            foreach (var (value, buffer) in _plan.FloatBuffers)
            {
                visit(value, _runner.FloatBuffer(buffer)[.._network.Value(value).Length]);
            }
        }
    }
}
