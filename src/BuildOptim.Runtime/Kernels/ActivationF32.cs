namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y = act(x)</c> elementwise: Relu <c>max(x, 0)</c>, Sigmoid <c>1 / (1 + e^-x)</c>, Tanh <c>tanh(x)</c>. In place is allowed.
    /// </summary>
    public static void ActivationF32(ReadOnlySpan<float> x, Activation activation, Span<float> y)
    {
        if (x.Length != y.Length)
        {
            ThrowLengthMismatch();
        }

        switch (activation)
        {
            case Activation.None:
                x.CopyTo(y);
                break;
            case Activation.Relu:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] > 0 ? x[i] : 0;
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = 1f / (1f + MathF.Exp(-x[i]));
                }

                break;
            case Activation.Tanh:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = MathF.Tanh(x[i]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary>
    /// Softmax over contiguous groups of <paramref name="axisSize"/>: <c>y_i = e^(x_i - max) / Σ_j e^(x_j - max)</c>;
    /// with <paramref name="log"/>, <c>y_i = x_i - max - ln Σ_j e^(x_j - max)</c>. In place is allowed.
    /// </summary>
    public static void SoftmaxF32(ReadOnlySpan<float> x, int axisSize, bool log, Span<float> y)
    {
        if (x.Length != y.Length || axisSize <= 0 || x.Length % axisSize != 0)
        {
            ThrowLengthMismatch();
        }

        for (int start = 0; start < x.Length; start += axisSize)
        {
            var xs = x.Slice(start, axisSize);
            var ys = y.Slice(start, axisSize);
            float max = float.NegativeInfinity;
            foreach (float v in xs)
            {
                max = MathF.Max(max, v);
            }

            float sum = 0;
            for (int i = 0; i < axisSize; i++)
            {
                sum += MathF.Exp(xs[i] - max);
            }

            if (log)
            {
                float logSum = MathF.Log(sum);
                for (int i = 0; i < axisSize; i++)
                {
                    ys[i] = xs[i] - max - logSum;
                }
            }
            else
            {
                for (int i = 0; i < axisSize; i++)
                {
                    ys[i] = MathF.Exp(xs[i] - max) / sum;
                }
            }
        }
    }

    /// <summary>Index of the largest element (first on ties); -1 for an empty span.</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = -1;
        float bestValue = float.NegativeInfinity;
        for (int i = 0; i < x.Length; i++)
        {
            if (best < 0 || x[i] > bestValue)
            {
                best = i;
                bestValue = x[i];
            }
        }

        return best;
    }
}
