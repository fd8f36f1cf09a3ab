namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX LRN over one [C, spatial] sample:
    /// <c>y[c, s] = x[c, s] / (bias + alpha / size · Σ_{i = max(0, c − ⌊(size−1)/2⌋)}^{min(C−1, c + ⌈(size−1)/2⌉)} x[i, s]²)^beta</c>.
    /// </summary>
    /// <remarks>The square sum accumulates in <paramref name="y"/>, channel by channel in ascending i, so y must not overlap x.</remarks>
    internal static void LrnF32(ReadOnlySpan<float> x, int channels, int spatial, int size, float alpha, float beta, float bias, Span<float> y)
    {
        if (channels < 0 || spatial < 0 || size < 1 || x.Length != (long)channels * spatial || y.Length != x.Length)
        {
            ThrowShape($"LRN of [{channels}, {spatial}] with size {size} got input {x.Length} and output {y.Length}.");
        }

        if (x.Overlaps(y))
        {
            ThrowShape("LRN cannot run in place.");
        }

        int before = (size - 1) / 2;
        int after = size - 1 - before;
        float alphaOverSize = alpha / size;
        for (int c = 0; c < channels; c++)
        {
            var sum = y.Slice(c * spatial, spatial);
            sum.Clear();
            for (int i = Math.Max(0, c - before); i <= Math.Min(channels - 1, c + after); i++)
            {
                var xi = x.Slice(i * spatial, spatial);
                for (int s = 0; s < spatial; s++)
                {
                    sum[s] += xi[s] * xi[s];
                }
            }

            var xc = x.Slice(c * spatial, spatial);
            for (int s = 0; s < spatial; s++)
            {
                sum[s] = xc[s] / MathF.Pow(bias + (alphaOverSize * sum[s]), beta);
            }
        }
    }
}
