using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// erf x in float with ONNX Runtime's (MLAS's) split and polynomials, the same IEEE operations at every width (no fused
// multiply-add), so every vector path equals the scalar twin bit for bit. Within 3 ulp of erf x.
public static partial class Kernels
{
    /// <summary>Below it, erf |x| = |x| + |x|·S(x²); above it, 1 − e^−(|x| + |x|·B(|x|)).</summary>
    private const float ErfSplit = 0.921875f;

    /// <summary>erf 3.925 rounds to 1 in float: larger |x| are taken as 3.925.</summary>
    private const float ErfLargest = 3.925f;

    private const float ErfS0 = -5.99104969e-4f;
    private const float ErfS1 = 4.99339588e-3f;
    private const float ErfS2 = -2.67667342e-2f;
    private const float ErfS3 = 1.12818025e-1f;
    private const float ErfS4 = -3.76124859e-1f;
    private const float ErfS5 = 1.28379151e-1f;

    private const float ErfB0 = 1.72948930e-5f;
    private const float ErfB1 = -3.83208680e-4f;
    private const float ErfB2 = 3.88393435e-3f;
    private const float ErfB3 = -2.42545605e-2f;
    private const float ErfB4 = 1.06777847e-1f;
    private const float ErfB5 = 6.34846687e-1f;
    private const float ErfB6 = 1.28717512e-1f;

    /// <summary>
    /// <c>erf x = sign(x) · (a + a·S(a²))</c> for a = |x| ≤ 0.921875, else <c>sign(x) · (1 − e^−(a + a·B(a)))</c> with a at most
    /// 3.925 (S of degree 5, B of degree 6: ONNX Runtime's coefficients); e^ is <see cref="ExpF32(float)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ErfF32(float x)
    {
        float a = MathF.Abs(x);
        float r;
        if (a > ErfSplit)
        {
            a = MathF.Min(a, ErfLargest);
            float b = (ErfB0 * a) + ErfB1;
            b = (b * a) + ErfB2;
            b = (b * a) + ErfB3;
            b = (b * a) + ErfB4;
            b = (b * a) + ErfB5;
            b = (b * a) + ErfB6;
            b = (b * a) + a;
            r = 1f - ExpF32(-b);
        }
        else
        {
            float s = a * a;
            float p = (ErfS0 * s) + ErfS1;
            p = (p * s) + ErfS2;
            p = (p * s) + ErfS3;
            p = (p * s) + ErfS4;
            p = (p * s) + ErfS5;
            r = (p * a) + a;
        }

        return MathF.CopySign(r, x);
    }

    /// <summary><see cref="ErfF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ErfF32(Vector128<float> x)
    {
        var sign = Vector128.Create(-0f);
        var a = Vector128.AndNot(x, sign);
        var s = a * a;
        var p = (Vector128.Create(ErfS0) * s) + Vector128.Create(ErfS1);
        p = (p * s) + Vector128.Create(ErfS2);
        p = (p * s) + Vector128.Create(ErfS3);
        p = (p * s) + Vector128.Create(ErfS4);
        p = (p * s) + Vector128.Create(ErfS5);
        var small = (p * a) + a;

        var l = Vector128.Min(a, Vector128.Create(ErfLargest));
        var b = (Vector128.Create(ErfB0) * l) + Vector128.Create(ErfB1);
        b = (b * l) + Vector128.Create(ErfB2);
        b = (b * l) + Vector128.Create(ErfB3);
        b = (b * l) + Vector128.Create(ErfB4);
        b = (b * l) + Vector128.Create(ErfB5);
        b = (b * l) + Vector128.Create(ErfB6);
        b = (b * l) + l;
        var large = Vector128<float>.One - ExpF32(b ^ sign);

        var r = Vector128.ConditionalSelect(Vector128.GreaterThan(a, Vector128.Create(ErfSplit)), large, small);
        return r | (x & sign);
    }

    /// <summary><see cref="ErfF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ErfF32(Vector256<float> x)
    {
        var sign = Vector256.Create(-0f);
        var a = Vector256.AndNot(x, sign);
        var s = a * a;
        var p = (Vector256.Create(ErfS0) * s) + Vector256.Create(ErfS1);
        p = (p * s) + Vector256.Create(ErfS2);
        p = (p * s) + Vector256.Create(ErfS3);
        p = (p * s) + Vector256.Create(ErfS4);
        p = (p * s) + Vector256.Create(ErfS5);
        var small = (p * a) + a;

        var l = Vector256.Min(a, Vector256.Create(ErfLargest));
        var b = (Vector256.Create(ErfB0) * l) + Vector256.Create(ErfB1);
        b = (b * l) + Vector256.Create(ErfB2);
        b = (b * l) + Vector256.Create(ErfB3);
        b = (b * l) + Vector256.Create(ErfB4);
        b = (b * l) + Vector256.Create(ErfB5);
        b = (b * l) + Vector256.Create(ErfB6);
        b = (b * l) + l;
        var large = Vector256<float>.One - ExpF32(b ^ sign);

        var r = Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256.Create(ErfSplit)), large, small);
        return r | (x & sign);
    }

    /// <summary><see cref="ErfF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfF32(Vector512<float> x)
    {
        var sign = Vector512.Create(-0f);
        var a = Vector512.AndNot(x, sign);
        var s = a * a;
        var p = (Vector512.Create(ErfS0) * s) + Vector512.Create(ErfS1);
        p = (p * s) + Vector512.Create(ErfS2);
        p = (p * s) + Vector512.Create(ErfS3);
        p = (p * s) + Vector512.Create(ErfS4);
        p = (p * s) + Vector512.Create(ErfS5);
        var small = (p * a) + a;

        var l = Vector512.Min(a, Vector512.Create(ErfLargest));
        var b = (Vector512.Create(ErfB0) * l) + Vector512.Create(ErfB1);
        b = (b * l) + Vector512.Create(ErfB2);
        b = (b * l) + Vector512.Create(ErfB3);
        b = (b * l) + Vector512.Create(ErfB4);
        b = (b * l) + Vector512.Create(ErfB5);
        b = (b * l) + Vector512.Create(ErfB6);
        b = (b * l) + l;
        var large = Vector512<float>.One - ExpF32(b ^ sign);

        var r = Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512.Create(ErfSplit)), large, small);
        return r | (x & sign);
    }

    /// <summary>ONNX Erf: <c>y = erf x</c> (<see cref="ErfF32(float)"/>).</summary>
    private readonly struct ErfOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => ErfF32(x);

        public Vector128<float> Invoke(Vector128<float> x) => ErfF32(x);

        public Vector256<float> Invoke(Vector256<float> x) => ErfF32(x);
    }
}
