namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX MaxPool of one NCHW sample: <c>y[c, oh, ow] = max_{kh, kw} x[c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c> over
    /// the taps inside x (padding is ignored). IEEE <c>maximum</c>: NaN propagates. A window with no tap inside x gives −∞.
    /// </summary>
    internal static void MaxPoolF32(ReadOnlySpan<float> x, in PoolGeometry g, Span<float> y)
        => MaxPoolF32(x, g, y, SimdLevel.Vector512);

    /// <summary><see cref="MaxPoolF32(ReadOnlySpan{float}, in PoolGeometry, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void MaxPoolF32(ReadOnlySpan<float> x, in PoolGeometry g, Span<float> y, SimdLevel maxLevel)
        => Pool2D<float, float, MaxPoolF32Op>(x, g, default, y, maxLevel);

    /// <summary>
    /// ONNX AveragePool of one NCHW sample: <c>y[c, oh, ow] = (Σ x over the window's taps inside x) / count</c>, where count is
    /// the number of taps inside x, or with <paramref name="countIncludePad"/> the number inside the explicitly padded input
    /// [−pt, H + pb) × [−pl, W + pr) (padding counts as 0; positions that ceil_mode adds beyond the pads are not counted).
    /// </summary>
    /// <remarks>The sum runs in float, columns of the window first (see <see cref="Pool2D"/>); then one IEEE division.</remarks>
    internal static void AveragePoolF32(ReadOnlySpan<float> x, in PoolGeometry g, bool countIncludePad, Span<float> y)
        => AveragePoolF32(x, g, countIncludePad, y, SimdLevel.Vector512);

    /// <summary><see cref="AveragePoolF32(ReadOnlySpan{float}, in PoolGeometry, bool, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void AveragePoolF32(ReadOnlySpan<float> x, in PoolGeometry g, bool countIncludePad, Span<float> y, SimdLevel maxLevel)
        => Pool2D<float, float, AveragePoolF32Op>(x, g, new AveragePoolF32Op(countIncludePad), y, maxLevel);

    /// <summary><c>y[c] = (Σ_s x[c, s]) / spatial</c>, summed in double (ONNX GlobalAveragePool over one [C, spatial] sample).</summary>
    internal static void GlobalAveragePoolF32(ReadOnlySpan<float> x, int channels, int spatial, Span<float> y)
    {
        ValidateGlobalPool(x.Length, channels, spatial, y.Length);
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            foreach (float v in x.Slice(c * spatial, spatial))
            {
                sum += v;
            }

            y[c] = (float)(sum / spatial);
        }
    }

    /// <summary><c>y[c] = max_s x[c, s]</c> (ONNX GlobalMaxPool over one [C, spatial] sample; NaN propagates).</summary>
    internal static void GlobalMaxPoolF32(ReadOnlySpan<float> x, int channels, int spatial, Span<float> y)
    {
        ValidateGlobalPool(x.Length, channels, spatial, y.Length);
        for (int c = 0; c < channels; c++)
        {
            float max = float.NegativeInfinity;
            foreach (float v in x.Slice(c * spatial, spatial))
            {
                max = MathF.Max(max, v);
            }

            y[c] = max;
        }
    }

    private static void ValidateGlobalPool(int inputLength, int channels, int spatial, int outputLength)
    {
        if (channels < 0 || spatial < 0 || inputLength != (long)channels * spatial || outputLength != channels)
        {
            ThrowShape($"Global pooling of [{channels}, {spatial}] got input {inputLength} and output {outputLength}.");
        }
    }

    private readonly struct MaxPoolF32Op : IPoolOp<float, float>
    {
        public float Identity => float.NegativeInfinity;

        public float Lift(float x) => x;

        public float Combine(float a, float b) => MathF.Max(a, b);

        public void CombineRow(ReadOnlySpan<float> x, Span<float> acc, SimdLevel level) => MaxRowF32(x, acc, level);

        public float Finish(float acc, int inBounds, int inPadded) => acc;
    }

    private readonly struct AveragePoolF32Op(bool countIncludePad) : IPoolOp<float, float>
    {
        public float Identity => 0;

        public float Lift(float x) => x;

        public float Combine(float a, float b) => a + b;

        public void CombineRow(ReadOnlySpan<float> x, Span<float> acc, SimdLevel level) => AddRowF32(x, acc, level);

        public float Finish(float acc, int inBounds, int inPadded) => acc / (countIncludePad ? inPadded : inBounds);
    }
}
