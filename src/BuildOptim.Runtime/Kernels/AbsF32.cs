using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>ONNX Abs: <c>y = |x|</c> (the sign bit cleared, NaN included).</summary>
    private readonly struct AbsOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => MathF.Abs(x);

        public Vector128<float> Invoke(Vector128<float> x) => Vector128.Abs(x);

        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Abs(x);
    }
}
