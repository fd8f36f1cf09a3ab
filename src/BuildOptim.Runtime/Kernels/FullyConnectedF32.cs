using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary><c>Σ_k x[k] · w[k]</c> in float (SIMD lanes summed pairwise; not bit-identical to a scalar loop).</summary>
    public static float DotF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        int length = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float wr = ref MemoryMarshal.GetReference(w);
        int i = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && length >= 16)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= length - 16; i += 16)
            {
                acc0 += Vector256.LoadUnsafe(ref xr, (nuint)i) * Vector256.LoadUnsafe(ref wr, (nuint)i);
                acc1 += Vector256.LoadUnsafe(ref xr, (nuint)(i + 8)) * Vector256.LoadUnsafe(ref wr, (nuint)(i + 8));
            }

            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && length >= 4)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= length - 4; i += 4)
            {
                acc += Vector128.LoadUnsafe(ref xr, (nuint)i) * Vector128.LoadUnsafe(ref wr, (nuint)i);
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref xr, i) * Unsafe.Add(ref wr, i);
        }

        return sum;
    }

    /// <summary><c>y[n] = act(bias[n] + Σ_k x[k] · w[n·K + k])</c> in float.</summary>
    public static void GemvF32(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Activation activation, Span<float> y)
    {
        int k = x.Length;
        int n = y.Length;
        if (w.Length != n * k || bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int row = 0; row < n; row++)
        {
            y[row] = bias[row] + DotF32(x, w.Slice(row * k, k));
        }

        ActivationF32(y, activation, y);
    }
}
