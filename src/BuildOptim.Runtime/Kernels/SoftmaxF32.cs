namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Softmax along the middle axis of x viewed as [outer, axisSize, inner]: for each (o, j),
    /// <c>y[o, i, j] = e^(x[o, i, j] − max) / Σ_k e^(x[o, k, j] − max)</c> with max over i; with <paramref name="log"/>,
    /// <c>y[o, i, j] = x[o, i, j] − max − ln Σ_k e^(x[o, k, j] − max)</c> (ONNX Softmax/LogSoftmax, opset 13, on any axis).
    /// </summary>
    /// <remarks>
    /// The float operations are those of <see cref="SoftmaxF32"/>, which runs the inner = 1 case. The axis is walked with
    /// stride inner; consecutive j share cache lines, so the axisSize rows stay in cache. In place is allowed.
    /// </remarks>
    internal static void SoftmaxAxisF32(ReadOnlySpan<float> x, int outer, int axisSize, int inner, bool log, Span<float> y)
    {
        if (outer < 0 || axisSize < 0 || inner < 0 || x.Length != (long)outer * axisSize * inner || y.Length != x.Length)
        {
            ThrowShape($"Softmax over [{outer}, {axisSize}, {inner}] got input {x.Length} and output {y.Length}.");
        }

        if (x.Length == 0)
        {
            return;
        }

        if (inner == 1)
        {
            SoftmaxF32(x, axisSize, log, y);
            return;
        }

        int block = axisSize * inner;
        for (int o = 0; o < outer; o++)
        {
            var xs = x.Slice(o * block, block);
            var ys = y.Slice(o * block, block);
            for (int j = 0; j < inner; j++)
            {
                float max = float.NegativeInfinity;
                for (int i = j; i < block; i += inner)
                {
                    max = MathF.Max(max, xs[i]);
                }

                float sum = 0;
                for (int i = j; i < block; i += inner)
                {
                    sum += MathF.Exp(xs[i] - max);
                }

                if (log)
                {
                    float logSum = MathF.Log(sum);
                    for (int i = j; i < block; i += inner)
                    {
                        ys[i] = xs[i] - max - logSum;
                    }
                }
                else
                {
                    for (int i = j; i < block; i += inner)
                    {
                        ys[i] = MathF.Exp(xs[i] - max) / sum;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Softmax over contiguous groups of <paramref name="axisSize"/>: <c>y_i = e^(x_i - max) / Σ_j e^(x_j - max)</c>;
    /// with <paramref name="log"/>, <c>y_i = x_i - max - ln Σ_j e^(x_j - max)</c>. In place is allowed.
    /// </summary>
    internal static void SoftmaxF32(ReadOnlySpan<float> x, int axisSize, bool log, Span<float> y)
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
}
