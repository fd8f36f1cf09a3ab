using System.Globalization;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Pipeline;

/// <summary>Checks on what the data and the model make of each other before a plan is compiled from them.</summary>
internal static class InputChecks
{
    /// <summary>Values beyond this magnitude have no int8 representation worth shipping; they come from data in the wrong scale.</summary>
    public const float MaxActivationMagnitude = 1e30f;

    /// <summary>Every calibrated range must be finite and of a magnitude int8 fixed point can carry (BOPT1110 otherwise).</summary>
    internal static void CheckRanges(CompressionOptions options, Network model, Dictionary<int, TensorRange> ranges, NdArray calibration)
    {
        foreach (var (id, range) in ranges.OrderBy(kv => kv.Key))
        {
            if (range.Min < -MaxActivationMagnitude || range.Max > MaxActivationMagnitude || float.IsNaN(range.Min) || float.IsNaN(range.Max))
            {
                throw new CompressionException(Diagnostics.RangeNotRepresentable, options.CalibrationPath ?? options.ModelPath, string.Create(CultureInfo.InvariantCulture,
                    $"Tensor '{DisplayText.Safe(model.Value(id).Name)}' of '{options.ItemSpec ?? options.ModelPath}' reaches [{range.Min:G4}, {range.Max:G4}] on the Calibration data, beyond what int8 can represent (|x| <= {MaxActivationMagnitude:G1}); {InputChecks.LargestInput(calibration)} Check the data's scale (e.g. pixels /255), or keep the model in fp32 (Quantize=\"None\")."));
            }
        }
    }

    /// <summary>Weight sharing clusters weight values: a NaN or infinite weight has no cluster (BOPT1002 naming the layer).</summary>
    internal static void CheckFiniteWeights(CompressionOptions options, Network model)
    {
        foreach (var layer in model.Layers)
        {
            float[]? weights = layer switch { DenseLayer d => d.Weights, ConvLayer c => c.Weights, _ => null };
            if (weights is not null && Array.Exists(weights, w => !float.IsFinite(w)))
            {
                throw new CompressionException(OnnxDiagnostics.InvalidModel, options.ModelPath,
                    $"Layer '{DisplayText.Safe(layer.Name)}' of '{options.ItemSpec ?? options.ModelPath}' has NaN or infinite weights, which ShareWeights cannot cluster; re-export the model from a healthy checkpoint.");
            }
        }
    }

    /// <summary>"the largest input value is V, in sample S." for messages about out-of-scale data.</summary>
    internal static string LargestInput(NdArray data)
    {
        int sample = 0;
        float largest = -1;
        for (int s = 0; s < data.SampleCount; s++)
        {
            foreach (float v in data.Sample(s))
            {
                if (Math.Abs(v) > largest)
                {
                    (largest, sample) = (Math.Abs(v), s);
                }
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"the largest input magnitude is {largest:G4}, in sample {sample}.");
    }
}
