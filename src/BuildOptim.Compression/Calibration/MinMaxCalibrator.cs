using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Lowering;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Calibration;

/// <summary>MinMax calibration: the range of every tensor is the [min, max] observed over the calibration set.</summary>
public static class MinMaxCalibrator
{
    public static TensorRange[] Calibrate(LayerModel model, NdArray samples)
    {
        var executor = new LayerExecutor(model);
        var ranges = Enumerable.Repeat(TensorRange.Empty, executor.PositionCount).ToArray();
        for (int s = 0; s < samples.SampleCount; s++)
        {
            executor.Run(samples.Sample(s));
            for (int p = 0; p < ranges.Length; p++)
            {
                ranges[p] = ranges[p].Include(executor.Position(p));
            }
        }

        return ranges;
    }
}
