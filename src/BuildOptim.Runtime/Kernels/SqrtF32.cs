using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>ONNX Sqrt: <c>y = √x</c>, correctly rounded (NaN for x &lt; 0, −0 for −0).</summary>
    private readonly struct SqrtOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => MathF.Sqrt(x);

        public Vector128<float> Invoke(Vector128<float> x) => Vector128.Sqrt(x);

        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Sqrt(x);
    }
}
