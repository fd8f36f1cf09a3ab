namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// One axis of a separable resize: x [outer, input, inner] to y [outer, output, inner] with
    /// <c>y[o, j, i] = Σ_t weights[j·taps + t] · x[o, indices[j·taps + t], i]</c>, summed from 0 in ascending t (a rounded
    /// multiply, then a rounded add, per tap), or <c>y[o, j, i] = extrapolation</c> where <c>indices[j·taps]</c> is negative
    /// (tf_crop_and_resize outside the input).
    /// </summary>
    /// <remarks>
    /// The innermost axis (inner = 1) gathers one output at a time. Outer axes combine whole rows of <paramref name="inner"/>
    /// values with <see cref="AxpyRowF32"/> (vectorized): the same operations in the same order, so every vector width equals
    /// the scalar twin bit for bit. The callers check the tables once (indices in [−1, input), at least one tap).
    /// </remarks>
    internal static void ResizeAxisF32Core(ReadOnlySpan<float> x, int outer, int input, int inner, int output, int taps, ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, float extrapolation, Span<float> y, SimdLevel level)
    {
        int inBlock = input * inner, outBlock = output * inner;
        for (int o = 0; o < outer; o++)
        {
            var xo = x.Slice(o * inBlock, inBlock);
            var yo = y.Slice(o * outBlock, outBlock);
            if (inner == 1)
            {
                for (int j = 0; j < output; j++)
                {
                    var index = indices.Slice(j * taps, taps);
                    if (index[0] < 0)
                    {
                        yo[j] = extrapolation;
                        continue;
                    }

                    var weight = weights.Slice(j * taps, taps);
                    float sum = 0;
                    for (int t = 0; t < index.Length; t++)
                    {
                        sum += weight[t] * xo[index[t]];
                    }

                    yo[j] = sum;
                }

                continue;
            }

            for (int j = 0; j < output; j++)
            {
                var yRow = yo.Slice(j * inner, inner);
                var index = indices.Slice(j * taps, taps);
                if (index[0] < 0)
                {
                    yRow.Fill(extrapolation);
                    continue;
                }

                yRow.Clear();
                var weight = weights.Slice(j * taps, taps);
                for (int t = 0; t < index.Length; t++)
                {
                    AxpyRowF32(weight[t], xo.Slice(index[t] * inner, inner), yRow, level);
                }
            }
        }
    }
}
