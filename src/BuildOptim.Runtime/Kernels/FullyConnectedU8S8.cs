namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>acc[n] = bias[n] + Σ_k x[k] · w[n·K + k]</c> for n in [0, N): a u8 × s8 matrix-vector product with int32
    /// accumulation (row-major weights, one row per output).
    /// </summary>
    /// <remarks>Each row is a <see cref="DotU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte})"/>, so the result is bit-identical to <see cref="GemvU8S8S32Scalar"/>.</remarks>
    public static void GemvU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
        => GemvU8S8S32(x, w, bias, acc, SimdLevel.Vector512);

    /// <summary><see cref="GemvU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void GemvU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc, SimdLevel maxLevel)
    {
        int k = x.Length;
        int n = acc.Length;
        if (w.Length != (long)n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < n; row++)
        {
            acc[row] = bias[row] + DotU8S8S32(x, w.Slice(row * k, k), maxLevel);
        }
    }

    /// <summary>Scalar twin of <see cref="GemvU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>.</summary>
    public static void GemvU8S8S32Scalar(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        if (w.Length != (long)n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < n; row++)
        {
            acc[row] = bias[row] + DotU8S8S32Scalar(x, w.Slice(row * k, k));
        }
    }
}
