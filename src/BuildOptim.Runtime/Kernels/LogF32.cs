using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// ln x in float, the same IEEE operations at every width (no fused multiply-add), so every vector path equals the scalar
// twin bit for bit. Within 2 ulp of ln x.
public static partial class Kernels
{
    private const float SmallestNormal = 1.17549435e-38f;
    private const float TwoTo23 = 8388608f;
    private const float HalfSqrt2 = 0.707106781f;

    /// <summary>ln 2 in two parts: <c>e · Ln2Upper</c> is exact for the exponents of a float.</summary>
    private const float Ln2Upper = 0.693359375f;
    private const float Ln2Lower = -2.12194440e-4f;

    // ln(1 + m) ≈ m − m²/2 + m³·P(m) on m in [√½ − 1, √2 − 1].
    private const float LogP0 = 7.0376836292e-2f;
    private const float LogP1 = -1.1514610310e-1f;
    private const float LogP2 = 1.1676998740e-1f;
    private const float LogP3 = -1.2420140846e-1f;
    private const float LogP4 = 1.4249322787e-1f;
    private const float LogP5 = -1.6668057665e-1f;
    private const float LogP6 = 2.0000714765e-1f;
    private const float LogP7 = -2.4999993993e-1f;
    private const float LogP8 = 3.3333331174e-1f;

    /// <summary>
    /// <c>ln x</c>: x = f · 2^e with f in [√½, √2) (subnormals scaled by 2^23 first), <c>ln x = e · ln 2 + ln f</c>, ln f by
    /// <c>m − m²/2 + m³·P(m)</c> on m = f − 1, ln 2 in two parts. ln 0 = −∞, ln of a negative number NaN, ln +∞ = +∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LogF32(float x)
    {
        if (float.IsNaN(x))
        {
            return x;
        }

        if (x <= 0 || x == float.PositiveInfinity)
        {
            return x == 0 ? float.NegativeInfinity : x < 0 ? float.NaN : x;
        }

        bool subnormal = x < SmallestNormal;
        int bits = BitConverter.SingleToInt32Bits(subnormal ? x * TwoTo23 : x);
        int e = (bits >> 23) - 126 - (subnormal ? 23 : 0);
        float m = BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F000000);
        if (m < HalfSqrt2)
        {
            e--;
            m += m;
        }

        m -= 1f;
        float z = m * m;
        float p = (LogP0 * m) + LogP1;
        p = (p * m) + LogP2;
        p = (p * m) + LogP3;
        p = (p * m) + LogP4;
        p = (p * m) + LogP5;
        p = (p * m) + LogP6;
        p = (p * m) + LogP7;
        p = (p * m) + LogP8;
        float fe = e;
        float y = p * m * z;
        y += Ln2Lower * fe;
        y += -0.5f * z;
        return m + y + (Ln2Upper * fe);
    }

    /// <summary><see cref="LogF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> LogF32(Vector128<float> x)
    {
        var subnormal = Vector128.LessThan(x, Vector128.Create(SmallestNormal));
        var bits = Vector128.ConditionalSelect(subnormal, x * Vector128.Create(TwoTo23), x).AsInt32();
        var e = Vector128.ShiftRightArithmetic(bits, 23) - Vector128.Create(126) - (subnormal.AsInt32() & Vector128.Create(23));
        var m = ((bits & Vector128.Create(0x007FFFFF)) | Vector128.Create(0x3F000000)).AsSingle();
        var small = Vector128.LessThan(m, Vector128.Create(HalfSqrt2));
        e += small.AsInt32(); // all ones: −1
        m = Vector128.ConditionalSelect(small, m + m, m) - Vector128<float>.One;
        var z = m * m;
        var p = (Vector128.Create(LogP0) * m) + Vector128.Create(LogP1);
        p = (p * m) + Vector128.Create(LogP2);
        p = (p * m) + Vector128.Create(LogP3);
        p = (p * m) + Vector128.Create(LogP4);
        p = (p * m) + Vector128.Create(LogP5);
        p = (p * m) + Vector128.Create(LogP6);
        p = (p * m) + Vector128.Create(LogP7);
        p = (p * m) + Vector128.Create(LogP8);
        var fe = Vector128.ConvertToSingle(e);
        var y = p * m * z;
        y += Vector128.Create(Ln2Lower) * fe;
        y += Vector128.Create(-0.5f) * z;
        var result = m + y + (Vector128.Create(Ln2Upper) * fe);
        result = Vector128.ConditionalSelect(Vector128.Equals(x, Vector128.Create(float.PositiveInfinity)), x, result);
        result = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128.Create(float.NaN), result);
        result = Vector128.ConditionalSelect(Vector128.Equals(x, Vector128<float>.Zero), Vector128.Create(float.NegativeInfinity), result);
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), result, x);
    }

    /// <summary><see cref="LogF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LogF32(Vector256<float> x)
    {
        var subnormal = Vector256.LessThan(x, Vector256.Create(SmallestNormal));
        var bits = Vector256.ConditionalSelect(subnormal, x * Vector256.Create(TwoTo23), x).AsInt32();
        var e = Vector256.ShiftRightArithmetic(bits, 23) - Vector256.Create(126) - (subnormal.AsInt32() & Vector256.Create(23));
        var m = ((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle();
        var small = Vector256.LessThan(m, Vector256.Create(HalfSqrt2));
        e += small.AsInt32(); // all ones: −1
        m = Vector256.ConditionalSelect(small, m + m, m) - Vector256<float>.One;
        var z = m * m;
        var p = (Vector256.Create(LogP0) * m) + Vector256.Create(LogP1);
        p = (p * m) + Vector256.Create(LogP2);
        p = (p * m) + Vector256.Create(LogP3);
        p = (p * m) + Vector256.Create(LogP4);
        p = (p * m) + Vector256.Create(LogP5);
        p = (p * m) + Vector256.Create(LogP6);
        p = (p * m) + Vector256.Create(LogP7);
        p = (p * m) + Vector256.Create(LogP8);
        var fe = Vector256.ConvertToSingle(e);
        var y = p * m * z;
        y += Vector256.Create(Ln2Lower) * fe;
        y += Vector256.Create(-0.5f) * z;
        var result = m + y + (Vector256.Create(Ln2Upper) * fe);
        result = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.PositiveInfinity)), x, result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(float.NaN), result);
        result = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);
    }

    /// <summary>ONNX Log: <c>y = ln x</c> (<see cref="LogF32(float)"/>).</summary>
    private readonly struct LogOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => LogF32(x);

        public Vector128<float> Invoke(Vector128<float> x) => LogF32(x);

        public Vector256<float> Invoke(Vector256<float> x) => LogF32(x);
    }
}
