namespace BuildOptim.Compression.Planning;

/// <summary>Per-output-channel symmetric int8 weights and int32 biases for a dense layer.</summary>
public static class WeightQuantizer
{
    /// <summary>
    /// Row n: <c>Scale[n] = max_k |W[n,k]| / Qmax</c> (1 for an all-zero row) and
    /// <c>Q[n,k] = clamp(round_half_even(W[n,k] / Scale[n]), -Qmax, Qmax)</c>, with <c>Qmax = 2^(bits−1) − 1</c>: 127 for 8-bit
    /// weights, 63 for 7-bit ones.
    /// </summary>
    public static (sbyte[] Q, double[] Scale) QuantizeRows(float[] weights, int k, int n, int bits = 8)
    {
        if (bits is not (7 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Weight codes are 8 or 7 bits wide.");
        }

        int qmax = (1 << (bits - 1)) - 1;
        var q = new sbyte[weights.Length];
        var scales = new double[n];
        for (int row = 0; row < n; row++)
        {
            var w = weights.AsSpan(row * k, k);
            double maxAbs = 0;
            foreach (float v in w)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs((double)v));
            }

            double scale = maxAbs > 0 ? maxAbs / qmax : 1.0;
            scales[row] = scale;
            for (int col = 0; col < k; col++)
            {
                q[row * k + col] = (sbyte)Math.Clamp(Math.Round(w[col] / scale, MidpointRounding.ToEven), -qmax, qmax);
            }
        }

        return (q, scales);
    }

    /// <summary>
    /// <c>Bias[n] = round_half_even(b[n] / (inputScale · Scale[n])) - inputZeroPoint · Σ_k Q[n,k]</c>: the
    /// activation zero point folded into the bias so the kernel multiplies raw uint8 codes.
    /// </summary>
    public static int[] QuantizeBias(float[] bias, sbyte[] q, double[] weightScales, int k, QuantParams input)
    {
        int n = bias.Length;
        var result = new int[n];
        for (int row = 0; row < n; row++)
        {
            long rowSum = 0;
            for (int col = 0; col < k; col++)
            {
                rowSum += q[row * k + col];
            }

            double b = Math.Round(bias[row] / (input.Scale * weightScales[row]), MidpointRounding.ToEven);
            long folded = (long)Math.Clamp(b, int.MinValue / 2, int.MaxValue / 2) - input.ZeroPoint * rowSum;
            result[row] = (int)Math.Clamp(folded, int.MinValue, int.MaxValue);
        }

        return result;
    }
}
