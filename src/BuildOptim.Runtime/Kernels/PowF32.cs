using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// ONNX Pow in float as ONNX Runtime computes it: x·x and x·x·x for the exponents 2 and 3 of a scalar exponent, powf
// otherwise. powf has no vector form here: its vector paths call it lane by lane, so every width equals the scalar twin.
public static partial class Kernels
{
    /// <summary><c>y = x^exponent</c> for a scalar exponent: <c>x · x</c> for 2, <c>x · x · x</c> for 3, powf otherwise.</summary>
    private static void PowRowF32(ReadOnlySpan<float> x, float exponent, Span<float> y, SimdLevel level)
    {
        if (exponent == 2)
        {
            InvokeRow<float, SquareOperatorF32>(default, x, y, level);
        }
        else if (exponent == 3)
        {
            InvokeRow<float, CubeOperatorF32>(default, x, y, level);
        }
        else
        {
            InvokeRow<float, WithSecond<float, PowOperatorF32>>(new(default, exponent), x, y, level);
        }
    }

    private readonly struct SquareOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => x * x;

        public Vector128<float> Invoke(Vector128<float> x) => x * x;

        public Vector256<float> Invoke(Vector256<float> x) => x * x;
    }

    private readonly struct CubeOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => x * x * x;

        public Vector128<float> Invoke(Vector128<float> x) => x * x * x;

        public Vector256<float> Invoke(Vector256<float> x) => x * x * x;
    }

    /// <summary><c>a^b</c> by <see cref="MathF.Pow"/>, lane by lane.</summary>
    private readonly struct PowOperatorF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => MathF.Pow(a, b);

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
            => Vector128.Create(MathF.Pow(a[0], b[0]), MathF.Pow(a[1], b[1]), MathF.Pow(a[2], b[2]), MathF.Pow(a[3], b[3]));

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
            => Vector256.Create(Invoke(a.GetLower(), b.GetLower()), Invoke(a.GetUpper(), b.GetUpper()));
    }
}
