using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// e^x in float, the same IEEE operations at every width (no fused multiply-add), so every vector path equals the scalar
// twin bit for bit. Within 2 ulp of e^x; Erf and Gelu build on it.
public static partial class Kernels
{
    /// <summary>Inputs are clamped to [ExpMinInput, ExpMaxInput]: e^-104 rounds to 0 and e^88.72284 overflows to +∞.</summary>
    private const float ExpMinInput = -104f;
    private const float ExpMaxInput = 88.72284f;
    private const float Log2E = 1.44269504f;

    /// <summary>1.5 · 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer (ties to even).</summary>
    private const float RoundingShifter = 12582912f;

    /// <summary>ln 2 in two parts: <c>n · Ln2High</c> is exact for |n| ≤ 2^8.</summary>
    private const float Ln2High = 0.693145752f;
    private const float Ln2Low = 1.42860677e-6f;

    // e^r ≈ 1 + r + r²·(P4 + r·(P3 + r·(P2 + r·(P1 + r·P0)))) on |r| ≤ ln2 / 2.
    private const float ExpP0 = 1.38319808e-3f;
    private const float ExpP1 = 8.37550033e-3f;
    private const float ExpP2 = 4.16689515e-2f;
    private const float ExpP3 = 1.66664466e-1f;
    private const float ExpP4 = 4.99999851e-1f;

    /// <summary>
    /// <c>e^x</c>: with x clamped to [−104, 88.72284], <c>n = round(x · log2 e)</c>, <c>r = x − n · ln 2</c> (ln 2 in two parts),
    /// <c>e^x = p(r) · 2^⌊n/2⌋ · 2^(n−⌊n/2⌋)</c> with p a degree-6 polynomial; the two power-of-two factors are exact, so
    /// only the last product rounds into the subnormal range or overflows to +∞. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ExpF32(float x)
    {
        x = MathF.Min(MathF.Max(x, ExpMinInput), ExpMaxInput);
        float n = ((x * Log2E) + RoundingShifter) - RoundingShifter;
        float r = x - (n * Ln2High);
        r -= n * Ln2Low;
        float p = (ExpP0 * r) + ExpP1;
        p = (p * r) + ExpP2;
        p = (p * r) + ExpP3;
        p = (p * r) + ExpP4;
        p = (p * r) + 1f;
        p = (p * r) + 1f;
        int ni = (int)n;
        int half = ni >> 1;
        return p * BitConverter.Int32BitsToSingle((half + 127) << 23) * BitConverter.Int32BitsToSingle((ni - half + 127) << 23);
    }

    /// <summary><see cref="ExpF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ExpF32(Vector128<float> x)
    {
        x = Vector128.Min(Vector128.Max(x, Vector128.Create(ExpMinInput)), Vector128.Create(ExpMaxInput));
        var shifter = Vector128.Create(RoundingShifter);
        var n = ((x * Vector128.Create(Log2E)) + shifter) - shifter;
        var r = x - (n * Vector128.Create(Ln2High));
        r -= n * Vector128.Create(Ln2Low);
        var p = (Vector128.Create(ExpP0) * r) + Vector128.Create(ExpP1);
        p = (p * r) + Vector128.Create(ExpP2);
        p = (p * r) + Vector128.Create(ExpP3);
        p = (p * r) + Vector128.Create(ExpP4);
        p = (p * r) + Vector128<float>.One;
        p = (p * r) + Vector128<float>.One;
        var ni = Vector128.ConvertToInt32(n);
        var half = Vector128.ShiftRightArithmetic(ni, 1);
        var bias = Vector128.Create(127);
        return p * Vector128.ShiftLeft(half + bias, 23).AsSingle() * Vector128.ShiftLeft(ni - half + bias, 23).AsSingle();
    }

    /// <summary><see cref="ExpF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpF32(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpMinInput)), Vector256.Create(ExpMaxInput));
        var shifter = Vector256.Create(RoundingShifter);
        var n = ((x * Vector256.Create(Log2E)) + shifter) - shifter;
        var r = x - (n * Vector256.Create(Ln2High));
        r -= n * Vector256.Create(Ln2Low);
        var p = (Vector256.Create(ExpP0) * r) + Vector256.Create(ExpP1);
        p = (p * r) + Vector256.Create(ExpP2);
        p = (p * r) + Vector256.Create(ExpP3);
        p = (p * r) + Vector256.Create(ExpP4);
        p = (p * r) + Vector256<float>.One;
        p = (p * r) + Vector256<float>.One;
        var ni = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        return p * Vector256.ShiftLeft(half + bias, 23).AsSingle() * Vector256.ShiftLeft(ni - half + bias, 23).AsSingle();
    }

    /// <summary><see cref="ExpF32(float)"/> on each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpF32(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpMinInput)), Vector512.Create(ExpMaxInput));
        var shifter = Vector512.Create(RoundingShifter);
        var n = ((x * Vector512.Create(Log2E)) + shifter) - shifter;
        var r = x - (n * Vector512.Create(Ln2High));
        r -= n * Vector512.Create(Ln2Low);
        var p = (Vector512.Create(ExpP0) * r) + Vector512.Create(ExpP1);
        p = (p * r) + Vector512.Create(ExpP2);
        p = (p * r) + Vector512.Create(ExpP3);
        p = (p * r) + Vector512.Create(ExpP4);
        p = (p * r) + Vector512<float>.One;
        p = (p * r) + Vector512<float>.One;
        var ni = Vector512.ConvertToInt32(n);
        var half = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        return p * Vector512.ShiftLeft(half + bias, 23).AsSingle() * Vector512.ShiftLeft(ni - half + bias, 23).AsSingle();
    }

    /// <summary>ONNX Exp: <c>y = e^x</c> (<see cref="ExpF32(float)"/>).</summary>
    private readonly struct ExpOperatorF32 : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => ExpF32(x);

        public Vector128<float> Invoke(Vector128<float> x) => ExpF32(x);

        public Vector256<float> Invoke(Vector256<float> x) => ExpF32(x);
    }
}
