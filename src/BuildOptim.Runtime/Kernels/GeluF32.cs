using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// ONNX Gelu (opset 20) in float, exact (erf) and tanh-approximated, the same IEEE operations at every width, so every vector
// path equals the scalar twin bit for bit.
public static partial class Kernels
{
    private const float Sqrt1Over2 = 0.707106781f;

    /// <summary>−2·√(2/π) and −2·0.044715·√(2/π): <c>−2u = x · (GeluTanhCubic · x² + GeluTanhLinear)</c>.</summary>
    private const float GeluTanhLinear = -1.59576912f;
    private const float GeluTanhCubic = -0.0713548163f;

    /// <summary>Gelu, approximate "none": <c>y = ½x · (1 + erf(x / √2))</c>, as ONNX Runtime orders it (<see cref="ErfF32(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float GeluF32(float x) => 0.5f * x * (ErfF32(x * Sqrt1Over2) + 1f);

    /// <summary>
    /// Gelu, approximate "tanh": <c>y = ½x · (1 + tanh u)</c> with <c>u = √(2/π) · (x + 0.044715 x³)</c>, computed as the
    /// equal <c>x / (1 + e^−2u)</c>, which loses nothing to cancellation where tanh u nears −1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float GeluTanhF32(float x) => x / (1f + ExpF32(x * ((GeluTanhCubic * x * x) + GeluTanhLinear)));

    private readonly struct GeluOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => GeluF32(x);

        public Vector128<float> Invoke(Vector128<float> x)
            => Vector128.Create(0.5f) * x * (ErfF32(x * Vector128.Create(Sqrt1Over2)) + Vector128<float>.One);

        public Vector256<float> Invoke(Vector256<float> x)
            => Vector256.Create(0.5f) * x * (ErfF32(x * Vector256.Create(Sqrt1Over2)) + Vector256<float>.One);
    }

    private readonly struct GeluTanhOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => GeluTanhF32(x);

        public Vector128<float> Invoke(Vector128<float> x)
            => x / (Vector128<float>.One + ExpF32(x * ((Vector128.Create(GeluTanhCubic) * x * x) + Vector128.Create(GeluTanhLinear))));

        public Vector256<float> Invoke(Vector256<float> x)
            => x / (Vector256<float>.One + ExpF32(x * ((Vector256.Create(GeluTanhCubic) * x * x) + Vector256.Create(GeluTanhLinear))));
    }

    /// <summary>
    /// <see cref="GeluF32(float)"/> on the whole 16-float blocks of <paramref name="x"/> in Vector512 (a transformer's
    /// feed-forward layer applies it to tokens × 1536 values); returns how many it wrote. 0 without AVX-512.
    /// </summary>
    private static int GeluF32Vector512(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return 0;
        }

        int n = y.Length, i = 0;
        ref float xr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x[..n]);
        ref float yr = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        for (; i <= n - 16; i += 16)
        {
            var v = Vector512.LoadUnsafe(ref xr, (nuint)i);
            (Vector512.Create(0.5f) * v * (ErfF32(v * Vector512.Create(Sqrt1Over2)) + Vector512<float>.One)).StoreUnsafe(ref yr, (nuint)i);
        }

        return i;
    }
}
