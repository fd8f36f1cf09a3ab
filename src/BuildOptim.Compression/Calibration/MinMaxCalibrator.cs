using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
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
        => Calibrate(new ValueProbe(network), samples);

    /// <summary>The ranges over <paramref name="samples"/> through an existing <see cref="ValueProbe"/>.</summary>
    internal static Dictionary<int, TensorRange> Calibrate(ValueProbe run, NdArray samples)
    {
        var ranges = run.Values.ToDictionary(v => v, _ => TensorRange.Empty);
        run.Visit(samples, (value, values) => ranges[value] = ranges[value].Include(values));
        return ranges;
    }
}
