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
    public static void ChannelAffineF32(ReadOnlySpan<float> x, int channels, int spatial, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> y)
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
    {
        int n = y.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var scaleV = Vector256.Create(scale);
            var shiftV = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
            {
                ((Vector256.LoadUnsafe(ref xr, (nuint)i) * scaleV) + shiftV).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var scaleV = Vector128.Create(scale);
            var shiftV = Vector128.Create(shift);
            for (; i <= n - 4; i += 4)
            {
                ((Vector128.LoadUnsafe(ref xr, (nuint)i) * scaleV) + shiftV).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = (Unsafe.Add(ref xr, i) * scale) + shift;
        }
    }
}
