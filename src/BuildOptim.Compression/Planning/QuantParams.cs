namespace BuildOptim.Compression.Planning;

/// <summary>Per-tensor affine uint8 parameters: <c>real = Scale · (q - ZeroPoint)</c>.</summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint)
{
    /// <summary>
    /// From a calibrated range: the range is widened to include 0 (so 0 is exact, as padding and ReLU
    /// need), <c>Scale = (max - min) / 255</c>, <c>ZeroPoint = clamp(round(-min / Scale), 0, 255)</c>.
    /// </summary>
    public static QuantParams FromRange(float min, float max)
    {
        double lo = Math.Min(0, (double)min);
        double hi = Math.Max(0, (double)max);
        double scale = (hi - lo) / 255.0;
        if (!(scale > 0) || double.IsInfinity(scale))
        {
            return new QuantParams(1f, 0);
        }

        float s = (float)scale;
        int zeroPoint = (int)Math.Clamp(Math.Round(-lo / s, MidpointRounding.ToEven), 0, 255);
        return new QuantParams(s, zeroPoint);
    }

    /// <summary>ONNX QuantizeLinear on one value.</summary>
    public byte Quantize(double x) => (byte)Math.Clamp(Math.Round(x / Scale, MidpointRounding.ToEven) + ZeroPoint, 0, 255);

    public double Dequantize(int q) => (double)Scale * (q - ZeroPoint);
}
