using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>ONNX Reciprocal: <c>y = 1 / x</c>, one IEEE division (never the approximate reciprocal instruction).</summary>
    private readonly struct ReciprocalOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => 1f / x;

        public Vector128<float> Invoke(Vector128<float> x) => Vector128<float>.One / x;

        public Vector256<float> Invoke(Vector256<float> x) => Vector256<float>.One / x;
    }
}
