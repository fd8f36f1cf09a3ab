using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX Cast of a tensor held as float32 to an integer type, <c>y = trunc(x) + 0</c> (toward zero; the + 0 makes −0 the
    /// integer 0), or to bool, <c>y = x ≠ 0 ? 1 : 0</c> (<see cref="CastMode"/>).
    /// </summary>
    /// <remarks>Lane-wise and exact (truncation and comparison round nothing), so every width gives the scalar result bit for bit.</remarks>
    internal static void CastF32(CastMode mode, ReadOnlySpan<float> x, Span<float> y)
        => CastF32(mode, x, y, SimdLevel.Vector512);

    /// <summary><see cref="CastF32(CastMode, ReadOnlySpan{float}, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void CastF32(CastMode mode, ReadOnlySpan<float> x, Span<float> y, SimdLevel maxLevel)
    {
        if (x.Length != y.Length)
        {
            ThrowShape($"Cast of {x.Length} values into {y.Length}.");
        }

        if (mode is not (CastMode.Truncate or CastMode.NotZero))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }

        CastF32Core(mode, x, y, maxLevel);
    }

    /// <summary><see cref="CastF32(CastMode, ReadOnlySpan{float}, Span{float})"/> with its operands checked by the caller (<see cref="PlanRunner"/>, at load).</summary>
    internal static void CastF32Core(CastMode mode, ReadOnlySpan<float> x, Span<float> y, SimdLevel maxLevel)
    {
        if (mode == CastMode.Truncate)
        {
            InvokeRow<float, TruncateF32>(default, x, y, maxLevel);
        }
        else
        {
            InvokeRow<float, NotZeroF32>(default, x, y, maxLevel);
        }
    }

    private readonly struct TruncateF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => MathF.Truncate(x) + 0f;

        public Vector128<float> Invoke(Vector128<float> x) => Vector128.Truncate(x) + Vector128<float>.Zero;

        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Truncate(x) + Vector256<float>.Zero;
    }

    private readonly struct NotZeroF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => x != 0 ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> x) => ~Vector128.Equals(x, Vector128<float>.Zero) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> x) => ~Vector256.Equals(x, Vector256<float>.Zero) & Vector256<float>.One;
    }
}
