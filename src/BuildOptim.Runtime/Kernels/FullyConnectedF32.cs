
namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>Σ_k x[k] · w[k]</c> in float, summed in the one fixed order of <see cref="FixedOrderSumF32"/> whatever the vector
    /// width; every product is one rounding (no fused multiply-add), so every path equals <see cref="DotF32Scalar"/> bit for bit.
    /// </summary>
    internal static float DotF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w) => DotF32(x, w, SimdLevel.Vector512);

    /// <summary><see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static float DotF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, SimdLevel maxLevel)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        return FixedOrderSumF32(new DotTermsF32(x, w), maxLevel);
    }

    /// <summary>Scalar twin of <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/>: the same 16 partial sums and reduction tree.</summary>
    internal static float DotF32Scalar(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        return FixedOrderSumF32Scalar(new DotTermsF32(x, w));
    }

    /// <summary><c>y[n] = act(bias[n] + Σ_k x[k] · w[n·K + k])</c> in float (each row a <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).</summary>
    internal static void GemvF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Activation activation, Span<float> y)
        => GemvF32(x, w, bias, activation, y, SimdLevel.Vector512);

    /// <summary><see cref="GemvF32(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Activation, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void GemvF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Activation activation, Span<float> y, SimdLevel maxLevel)
    {
        int k = x.Length;
        int n = y.Length;
        if (w.Length != (long)n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < n; row++)
        {
            y[row] = bias[row] + DotF32(x, w.Slice(row * k, k), maxLevel);
        }

        ActivationF32(y, activation, y);
    }
}
