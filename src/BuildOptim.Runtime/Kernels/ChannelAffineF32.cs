using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[c, s] = x[c, s] · scale[c] + shift[c]</c> over one [C, spatial] sample: an unfolded BatchNormalization, with
    /// <c>scale = γ / √(σ² + ε)</c> and <c>shift = β − μ · scale</c>. A rounded multiply, then a rounded add (never fused),
    /// so every vector width gives the scalar result bit for bit. In place is allowed.
    /// </summary>
    internal static void ChannelAffineF32(ReadOnlySpan<float> x, int channels, int spatial, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y)
        => ChannelAffineF32(x, channels, spatial, scale, shift, y, SimdLevel.Vector512);

    /// <summary><see cref="ChannelAffineF32(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ChannelAffineF32(ReadOnlySpan<float> x, int channels, int spatial, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y, SimdLevel maxLevel)
    {
        if (channels < 0 || spatial < 0 || x.Length != (long)channels * spatial || y.Length != x.Length || scale.Length != channels || shift.Length != channels)
        {
            ThrowShape($"Channel affine of [{channels}, {spatial}] got input {x.Length}, scale {scale.Length}, shift {shift.Length}, output {y.Length}.");
        }

        for (int c = 0; c < channels; c++)
        {
            AffineRowF32(x.Slice(c * spatial, spatial), scale[c], shift[c], y.Slice(c * spatial, spatial), maxLevel);
        }
    }

    /// <summary><c>y[i] = x[i] · scale + shift</c>.</summary>
    private static void AffineRowF32(ReadOnlySpan<float> x, float scale, float shift, Span<float> y, SimdLevel level)
        => InvokeRow<float, AffineF32>(new AffineF32(scale, shift), x, y, level);

    /// <summary><c>x · scale + shift</c>: a rounded multiply, then a rounded add (never fused).</summary>
    private readonly struct AffineF32(float scale, float shift) : IUnaryRowOperator<float>
    {
        private readonly Vector128<float> _scale128 = Vector128.Create(scale);
        private readonly Vector128<float> _shift128 = Vector128.Create(shift);
        private readonly Vector256<float> _scale256 = Vector256.Create(scale);
        private readonly Vector256<float> _shift256 = Vector256.Create(shift);

        public float Invoke(float x) => (x * scale) + shift;

        public Vector128<float> Invoke(Vector128<float> x) => (x * _scale128) + _shift128;

        public Vector256<float> Invoke(Vector256<float> x) => (x * _scale256) + _shift256;
    }
}
