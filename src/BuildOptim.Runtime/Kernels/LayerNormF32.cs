using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Layer normalization of each row of x viewed as [rows, cols]: <c>mean = Σx / cols</c>, <c>d = x − mean</c>,
    /// <c>var = Σd² / cols</c>, <c>y = d / √(var + ε) · scale + bias</c> (bias optional), the operations of the written-out
    /// ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt → Div → Mul → Add pattern in its order. In place is allowed.
    /// </summary>
    /// <remarks>
    /// Sums are taken in the fixed order of <see cref="SumF32(ReadOnlySpan{float}, SimdLevel)"/> and
    /// <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float}, SimdLevel)"/> and the rest elementwise, so every width gives
    /// the scalar twin's result bit for bit.
    /// </remarks>
    internal static void LayerNormF32(ReadOnlySpan<float> x, int rows, int cols, float epsilon, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y, SimdLevel maxLevel)
    {
        if (rows < 0 || cols < 0 || x.Length != (long)rows * cols || y.Length != x.Length || scale.Length != cols || (bias.Length != 0 && bias.Length != cols))
        {
            ThrowShape($"A layer normalization of [{rows}, {cols}] got input {x.Length}, output {y.Length}, scale {scale.Length} and bias {bias.Length}.");
        }

        LayerNormF32Core(x, rows, cols, epsilon, scale, bias, y, maxLevel);
    }

    /// <summary><see cref="LayerNormF32"/> with its operands checked by the caller (<see cref="PlanRunner"/>, once, at load); an empty bias is none.</summary>
    internal static void LayerNormF32Core(ReadOnlySpan<float> x, int rows, int cols, float epsilon, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, Span<float> y, SimdLevel maxLevel)
    {
        for (int row = 0; row < rows; row++)
        {
            var xs = x.Slice(row * cols, cols);
            var ys = y.Slice(row * cols, cols);
            float mean = SumF32(xs, maxLevel) / cols;
            InvokeRow<float, WithSecond<float, SubF32>>(new(default, mean), xs, ys, maxLevel);
            float deviation = MathF.Sqrt((DotF32(ys, ys, maxLevel) / cols) + epsilon);
            NormalizeRowF32(ys, deviation, scale, bias, maxLevel);
        }
    }

    /// <summary><c>y[i] = y[i] / deviation · scale[i] + bias[i]</c>: a rounded division, multiply and add (never fused).</summary>
    private static void NormalizeRowF32(Span<float> y, float deviation, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, SimdLevel level)
    {
        int n = y.Length;
        bool hasBias = bias.Length != 0;
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float sr = ref MemoryMarshal.GetReference(scale);
        ref float br = ref MemoryMarshal.GetReference(bias);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(deviation);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref yr, (nuint)i) / d * Vector256.LoadUnsafe(ref sr, (nuint)i);
                (hasBias ? v + Vector256.LoadUnsafe(ref br, (nuint)i) : v).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var d = Vector128.Create(deviation);
            for (; i <= n - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                var v = Vector128.LoadUnsafe(ref yr, (nuint)i) / d * Vector128.LoadUnsafe(ref sr, (nuint)i);
                (hasBias ? v + Vector128.LoadUnsafe(ref br, (nuint)i) : v).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            float v = y[i] / deviation * scale[i];
            y[i] = hasBias ? v + bias[i] : v;
        }
    }
}
