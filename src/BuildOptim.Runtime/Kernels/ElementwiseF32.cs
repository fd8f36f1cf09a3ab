using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[i] = a[i_a] ⊙ b[i_b]</c> with numpy broadcasting (<paramref name="shape"/> maps each output index to an element of
    /// each operand), for ⊙ in Add <c>a + b</c>, Sub <c>a − b</c>, Mul <c>a · b</c>, Div <c>a / b</c>, PRelu <c>a &lt; 0 ? a · b : a</c>.
    /// </summary>
    /// <remarks>
    /// One IEEE operation per element, so every vector width gives the scalar result bit for bit. Runs where both operands are
    /// contiguous, or one is a scalar along the run (per-channel constants over NCHW), are vectorized. <paramref name="y"/>
    /// may be <paramref name="a"/> (or <paramref name="b"/>) when that operand has the output's shape.
    /// </remarks>
    public static void BinaryF32(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y)
        => BinaryF32(op, a, b, shape, y, SimdLevel.Vector512);

    /// <summary><see cref="BinaryF32(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void BinaryF32(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
    {
        switch (op)
        {
            case BinaryOp.Add:
                BinaryF32<AddF32>(a, b, shape, y, maxLevel);
                break;
            case BinaryOp.Sub:
                BinaryF32<SubF32>(a, b, shape, y, maxLevel);
                break;
            case BinaryOp.Mul:
                BinaryF32<MulF32>(a, b, shape, y, maxLevel);
                break;
            case BinaryOp.Div:
                BinaryF32<DivF32>(a, b, shape, y, maxLevel);
                break;
            case BinaryOp.PRelu:
                BinaryF32<PReluF32>(a, b, shape, y, maxLevel);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    private static void BinaryF32<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel level)
        where TOp : IBinaryF32
    {
        var run = new BinaryF32Run<TOp>(a, b, y, level);
        ForEachBroadcastRun(shape, a.Length, b.Length, y.Length, ref run);
    }

    private interface IBinaryF32
    {
        static abstract float Invoke(float a, float b);

        static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b);

        static abstract Vector128<float> Invoke(Vector128<float> a, Vector128<float> b);
    }

    private readonly struct AddF32 : IBinaryF32
    {
        public static float Invoke(float a, float b) => a + b;

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;

        public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;
    }

    private readonly struct SubF32 : IBinaryF32
    {
        public static float Invoke(float a, float b) => a - b;

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;

        public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - b;
    }

    private readonly struct MulF32 : IBinaryF32
    {
        public static float Invoke(float a, float b) => a * b;

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;

        public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;
    }

    private readonly struct DivF32 : IBinaryF32
    {
        public static float Invoke(float a, float b) => a / b;

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;

        public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a / b;
    }

    private readonly struct PReluF32 : IBinaryF32
    {
        public static float Invoke(float a, float b) => a < 0 ? a * b : a;

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
            => Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<float>.Zero), a * b, a);

        public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
            => Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128<float>.Zero), a * b, a);
    }

    private ref struct BinaryF32Run<TOp> : IBroadcastRun
        where TOp : IBinaryF32
    {
        private readonly ReadOnlySpan<float> _a;
        private readonly ReadOnlySpan<float> _b;
        private readonly Span<float> _y;
        private readonly SimdLevel _level;

        public BinaryF32Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdLevel level)
        {
            _a = a;
            _b = b;
            _y = y;
            _level = level;
        }

        public readonly void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            if (strideA == 1 && strideB == 1)
            {
                BinaryRowF32<TOp>(_a.Slice(offsetA, count), _b.Slice(offsetB, count), y, _level);
            }
            else if (strideA == 1 && strideB == 0)
            {
                BinaryRowScalarBF32<TOp>(_a.Slice(offsetA, count), _b[offsetB], y, _level);
            }
            else if (strideA == 0 && strideB == 1)
            {
                BinaryRowScalarAF32<TOp>(_a[offsetA], _b.Slice(offsetB, count), y, _level);
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    y[i] = TOp.Invoke(_a[offsetA + (i * strideA)], _b[offsetB + (i * strideB)]);
                }
            }
        }
    }

    private static void BinaryRowF32<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdLevel level)
        where TOp : IBinaryF32
    {
        int n = y.Length;
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                TOp.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - 4; i += 4)
            {
                TOp.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i), Vector128.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = TOp.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
        }
    }

    private static void BinaryRowScalarBF32<TOp>(ReadOnlySpan<float> a, float b, Span<float> y, SimdLevel level)
        where TOp : IBinaryF32
    {
        int n = y.Length;
        ref float ar = ref MemoryMarshal.GetReference(a);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var bv = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
            {
                TOp.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), bv).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var bv = Vector128.Create(b);
            for (; i <= n - 4; i += 4)
            {
                TOp.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i), bv).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = TOp.Invoke(Unsafe.Add(ref ar, i), b);
        }
    }

    private static void BinaryRowScalarAF32<TOp>(float a, ReadOnlySpan<float> b, Span<float> y, SimdLevel level)
        where TOp : IBinaryF32
    {
        int n = y.Length;
        ref float br = ref MemoryMarshal.GetReference(b);
        ref float yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            var av = Vector256.Create(a);
            for (; i <= n - 8; i += 8)
            {
                TOp.Invoke(av, Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            var av = Vector128.Create(a);
            for (; i <= n - 4; i += 4)
            {
                TOp.Invoke(av, Vector128.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = TOp.Invoke(a, Unsafe.Add(ref br, i));
        }
    }
}
