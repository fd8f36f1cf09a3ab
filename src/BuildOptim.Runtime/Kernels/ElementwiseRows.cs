using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// Contiguous row primitives shared by the convolution, pooling and affine kernels, run by the row-loop driver (RowLoop.cs).
// Each is one IEEE operation per element (or exact integer arithmetic), applied lane-wise, so every vector path equals the
// scalar loop bit for bit whatever the width; the callers keep the order in which rows are combined fixed.
public static partial class Kernels
{
    /// <summary><c>y[i] += w · x[i]</c>: a rounded multiply, then a rounded add (never fused).</summary>
    internal static void AxpyRowF32(float w, ReadOnlySpan<float> x, Span<float> y, SimdLevel level)
        => InvokeRow<float, AxpyF32>(new AxpyF32(w), y, x, y, level);

    /// <summary><c>y[i] += x[i]</c>.</summary>
    internal static void AddRowF32(ReadOnlySpan<float> x, Span<float> y, SimdLevel level)
        => InvokeRow<float, AddF32>(default, y, x, y, level);

    /// <summary>
    /// <c>y[i] = max(y[i], x[i])</c> with IEEE 754-2019 <c>maximum</c> semantics (NaN wins, +0 &gt; −0): what both
    /// <see cref="MathF.Max(float, float)"/> and <see cref="Vector256.Max{T}(Vector256{T}, Vector256{T})"/> compute.
    /// </summary>
    internal static void MaxRowF32(ReadOnlySpan<float> x, Span<float> y, SimdLevel level)
        => InvokeRow<float, MaxF32>(default, y, x, y, level);

    /// <summary><c>y[i] = clamp(y[i], min, max)</c> as <c>v &lt; min ? min : v &gt; max ? max : v</c> (NaN passes through).</summary>
    internal static void ClampRowF32(Span<float> y, float min, float max, SimdLevel level)
    {
        if (float.IsNegativeInfinity(min) && float.IsPositiveInfinity(max))
        {
            return;
        }

        InvokeRow<float, ClampOperatorF32>(new ClampOperatorF32(min, max), y, y, level);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ClampF32(float v, float min, float max) => v < min ? min : v > max ? max : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ClampF32(Vector256<float> v, Vector256<float> min, Vector256<float> max)
    {
        v = Vector256.ConditionalSelect(Vector256.LessThan(v, min), min, v);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(v, max), max, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> ClampF32(Vector128<float> v, Vector128<float> min, Vector128<float> max)
    {
        v = Vector128.ConditionalSelect(Vector128.LessThan(v, min), min, v);
        return Vector128.ConditionalSelect(Vector128.GreaterThan(v, max), max, v);
    }

    /// <summary><c>y[i] = max(y[i], x[i])</c> on codes.</summary>
    internal static void MaxRowU8(ReadOnlySpan<byte> x, Span<byte> y, SimdLevel level)
        => InvokeRow<byte, MaxU8>(default, y, x, y, level);

    /// <summary><c>y + w · x</c>.</summary>
    private readonly struct AxpyF32(float w) : IBinaryRowOperator<float>
    {
        private readonly Vector128<float> _w128 = Vector128.Create(w);
        private readonly Vector256<float> _w256 = Vector256.Create(w);

        public float Invoke(float y, float x) => y + (w * x);

        public Vector128<float> Invoke(Vector128<float> y, Vector128<float> x) => y + (_w128 * x);

        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> x) => y + (_w256 * x);
    }

    private readonly struct MaxF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => MathF.Max(a, b);

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    }

    private readonly struct MaxU8 : IBinaryRowOperator<byte>
    {
        public byte Invoke(byte a, byte b) => Math.Max(a, b);

        public Vector128<byte> Invoke(Vector128<byte> a, Vector128<byte> b) => Vector128.Max(a, b);

        public Vector256<byte> Invoke(Vector256<byte> a, Vector256<byte> b) => Vector256.Max(a, b);
    }

    /// <summary><c>v &lt; min ? min : v &gt; max ? max : v</c>.</summary>
    private readonly struct ClampOperatorF32(float min, float max) : IUnaryRowOperator<float>
    {
        private readonly Vector128<float> _min128 = Vector128.Create(min);
        private readonly Vector128<float> _max128 = Vector128.Create(max);
        private readonly Vector256<float> _min256 = Vector256.Create(min);
        private readonly Vector256<float> _max256 = Vector256.Create(max);

        public float Invoke(float v) => ClampF32(v, min, max);

        public Vector128<float> Invoke(Vector128<float> v) => ClampF32(v, _min128, _max128);

        public Vector256<float> Invoke(Vector256<float> v) => ClampF32(v, _min256, _max256);
    }

    /// <summary><c>acc[i] += w · x[i]</c> in int32 (exact for the int8 weights callers pass: |255 · w| &lt; 2^15).</summary>
    internal static void AxpyRowU8ToS32(int w, ReadOnlySpan<byte> x, Span<int> acc, SimdLevel level)
    {
        int n = acc.Length;
        x = x[..n];
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref int ar = ref MemoryMarshal.GetReference(acc);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Avx2.IsSupported)
        {
            var wv = Vector256.Create(w);
            for (; i <= n - 16; i += 16)
            {
                var bytes = Vector128.LoadUnsafe(ref xr, (nuint)i);
                var lo = Avx2.ConvertToVector256Int32(bytes);
                var hi = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8));
                (Vector256.LoadUnsafe(ref ar, (nuint)i) + (lo * wv)).StoreUnsafe(ref ar, (nuint)i);
                (Vector256.LoadUnsafe(ref ar, (nuint)(i + 8)) + (hi * wv)).StoreUnsafe(ref ar, (nuint)(i + 8));
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var wv = Vector128.Create(w);
            for (; i <= n - 16; i += 16)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref xr, (nuint)i));
                var (q0, q1) = Vector128.Widen(lo);
                var (q2, q3) = Vector128.Widen(hi);
                (Vector128.LoadUnsafe(ref ar, (nuint)i) + (q0.AsInt32() * wv)).StoreUnsafe(ref ar, (nuint)i);
                (Vector128.LoadUnsafe(ref ar, (nuint)(i + 4)) + (q1.AsInt32() * wv)).StoreUnsafe(ref ar, (nuint)(i + 4));
                (Vector128.LoadUnsafe(ref ar, (nuint)(i + 8)) + (q2.AsInt32() * wv)).StoreUnsafe(ref ar, (nuint)(i + 8));
                (Vector128.LoadUnsafe(ref ar, (nuint)(i + 12)) + (q3.AsInt32() * wv)).StoreUnsafe(ref ar, (nuint)(i + 12));
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref ar, i) += w * Unsafe.Add(ref xr, i);
        }
    }

    /// <summary><c>y[i] += c</c> (padding contributions: a constant per tap).</summary>
    internal static void AddConstantRowS32(int c, Span<int> y)
    {
        if (c == 0)
        {
            return;
        }

        for (int i = 0; i < y.Length; i++)
        {
            y[i] += c;
        }
    }

    private static void ThrowShape(string message) => throw new ArgumentException(message);
}
