using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>ONNX Neg: <c>y = −x</c>, the sign bit flipped (−0 for +0; vectors xor it, as the scalar negation does).</summary>
    private readonly struct NegOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => -x;

        public Vector128<float> Invoke(Vector128<float> x) => x ^ Vector128.Create(-0f);

        public Vector256<float> Invoke(Vector256<float> x) => x ^ Vector256.Create(-0f);
    }
}
