namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// MaxPool on codes: <c>y[c, oh, ow] = max_{kh, kw} x[c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c> over the taps inside x.
    /// The code of the max is the max of the codes, so input and output share their quantization parameters.
    /// A window with no tap inside x gives 0.
    /// </summary>
    public static void MaxPoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, Span<byte> y)
        => MaxPoolU8(x, g, y, SimdLevel.Vector512);

    /// <summary><see cref="MaxPoolU8(ReadOnlySpan{byte}, in PoolGeometry, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void MaxPoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, Span<byte> y, SimdLevel maxLevel)
        => Pool2D<byte, byte, MaxPoolU8Op>(x, g, default, y, maxLevel);

    /// <summary>
    /// AveragePool on codes, input and output sharing their quantization parameters:
    /// <c>y = ⌊(2·sum + count) / (2·count)⌋</c> (the average rounded half up, exactly), where sum adds the codes of the taps
    /// inside x and count is their number; with <paramref name="countIncludePad"/>, count is the number of taps inside the
    /// explicitly padded input and each padded one adds <paramref name="zeroPoint"/> (real 0) to sum. See
    /// <see cref="AveragePoolF32(ReadOnlySpan{float}, in PoolGeometry, bool, Span{float})"/> for the count. A window with count 0 gives the zero point.
    /// </summary>
    public static void AveragePoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, bool countIncludePad, byte zeroPoint, Span<byte> y)
        => AveragePoolU8(x, g, countIncludePad, zeroPoint, y, SimdLevel.Vector512);

    /// <summary><see cref="AveragePoolU8(ReadOnlySpan{byte}, in PoolGeometry, bool, byte, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void AveragePoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, bool countIncludePad, byte zeroPoint, Span<byte> y, SimdLevel maxLevel)
        => Pool2D<byte, int, AveragePoolU8Op>(x, g, new AveragePoolU8Op(countIncludePad, zeroPoint), y, maxLevel);

    /// <summary><c>y[c] = ⌊(2·Σ_s x[c, s] + spatial) / (2·spatial)⌋</c>: the mean code rounded half up, exactly (same parameters in and out).</summary>
    public static void GlobalAveragePoolU8(ReadOnlySpan<byte> x, int channels, int spatial, Span<byte> y)
    {
        ValidateGlobalPool(x.Length, channels, spatial, y.Length);
        if (spatial == 0)
        {
            ThrowShape("Global average pooling needs at least one element per channel.");
        }

        for (int c = 0; c < channels; c++)
        {
            long sum = 0;
            foreach (byte v in x.Slice(c * spatial, spatial))
            {
                sum += v;
            }

            y[c] = RoundedMeanU8(sum, spatial);
        }
    }

    /// <summary><c>y[c] = max_s x[c, s]</c> on codes (0 for an empty channel).</summary>
    public static void GlobalMaxPoolU8(ReadOnlySpan<byte> x, int channels, int spatial, Span<byte> y)
    {
        ValidateGlobalPool(x.Length, channels, spatial, y.Length);
        for (int c = 0; c < channels; c++)
        {
            byte max = 0;
            foreach (byte v in x.Slice(c * spatial, spatial))
            {
                max = Math.Max(max, v);
            }

            y[c] = max;
        }
    }

    /// <summary><c>⌊(2·sum + count) / (2·count)⌋</c> for 0 ≤ sum ≤ 255·count: round half up, in [0, 255].</summary>
    private static byte RoundedMeanU8(long sum, long count) => (byte)(((2 * sum) + count) / (2 * count));

    private readonly struct MaxPoolU8Op : IPoolOp<byte, byte>
    {
        public byte Identity => 0;

        public byte Lift(byte x) => x;

        public byte Combine(byte a, byte b) => Math.Max(a, b);

        public void CombineRow(ReadOnlySpan<byte> x, Span<byte> acc, SimdLevel level) => MaxRowU8(x, acc, level);

        public byte Finish(byte acc, int inBounds, int inPadded) => acc;
    }

    private readonly struct AveragePoolU8Op(bool countIncludePad, byte zeroPoint) : IPoolOp<byte, int>
    {
        public int Identity => 0;

        public int Lift(byte x) => x;

        public int Combine(int a, int b) => a + b;

        public void CombineRow(ReadOnlySpan<byte> x, Span<int> acc, SimdLevel level) => AxpyRowU8ToS32(1, x, acc, level);

        public byte Finish(int acc, int inBounds, int inPadded)
        {
            long sum = acc;
            int count = inBounds;
            if (countIncludePad)
            {
                sum += (long)zeroPoint * (inPadded - inBounds);
                count = inPadded;
            }

            return count == 0 ? zeroPoint : RoundedMeanU8(sum, count);
        }
    }
}
