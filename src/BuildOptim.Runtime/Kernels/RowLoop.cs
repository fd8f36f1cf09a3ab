using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

// The one row-loop driver of the elementwise kernels (as TensorPrimitives has): an operator struct says what happens to one
// element, to a Vector128 and to a Vector256 of them, and the driver runs Vector256 while a whole vector remains, then
// Vector128, then scalar, no wider than the caller's SimdLevel. Operators are lane-wise (one IEEE operation per element, or
// exact integer arithmetic), so every path gives the scalar loop's result bit for bit.
public static partial class Kernels
{
    /// <summary><c>y = f(x)</c> lane by lane, the same operation at every width.</summary>
    private interface IUnaryRowOperator<T>
        where T : unmanaged
    {
        T Invoke(T x);

        Vector128<T> Invoke(Vector128<T> x);

        Vector256<T> Invoke(Vector256<T> x);
    }

    /// <summary><c>y = f(a, b)</c> lane by lane, the same operation at every width.</summary>
    private interface IBinaryRowOperator<T>
        where T : unmanaged
    {
        T Invoke(T a, T b);

        Vector128<T> Invoke(Vector128<T> a, Vector128<T> b);

        Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);
    }

    /// <summary><c>y[i] = op(x[i])</c> for i &lt; y.Length (x may be y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InvokeRow<T, TOp>(in TOp op, ReadOnlySpan<T> x, Span<T> y, SimdLevel level)
        where T : unmanaged
        where TOp : struct, IUnaryRowOperator<T>
    {
        int n = y.Length;
        x = x[..n];
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                op.Invoke(Vector256.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            {
                op.Invoke(Vector128.LoadUnsafe(ref xr, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref xr, i));
        }
    }

    /// <summary><c>y[i] = op(a[i], b[i])</c> for i &lt; y.Length (a or b may be y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InvokeRow<T, TOp>(in TOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, SimdLevel level)
        where T : unmanaged
        where TOp : struct, IBinaryRowOperator<T>
    {
        int n = y.Length;
        a = a[..n];
        b = b[..n];
        ref T ar = ref MemoryMarshal.GetReference(a);
        ref T br = ref MemoryMarshal.GetReference(b);
        ref T yr = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (level >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                op.Invoke(Vector256.LoadUnsafe(ref ar, (nuint)i), Vector256.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            {
                op.Invoke(Vector128.LoadUnsafe(ref ar, (nuint)i), Vector128.LoadUnsafe(ref br, (nuint)i)).StoreUnsafe(ref yr, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref yr, i) = op.Invoke(Unsafe.Add(ref ar, i), Unsafe.Add(ref br, i));
        }
    }

    /// <summary>A binary operator with its second operand fixed: <c>f(x) = op(x, b)</c>.</summary>
    private readonly struct WithSecond<T, TOp>(TOp op, T b) : IUnaryRowOperator<T>
        where T : unmanaged
        where TOp : struct, IBinaryRowOperator<T>
    {
        private readonly Vector128<T> _b128 = Vector128.Create(b);
        private readonly Vector256<T> _b256 = Vector256.Create(b);

        public T Invoke(T x) => op.Invoke(x, b);

        public Vector128<T> Invoke(Vector128<T> x) => op.Invoke(x, _b128);

        public Vector256<T> Invoke(Vector256<T> x) => op.Invoke(x, _b256);
    }

    /// <summary>A binary operator with its first operand fixed: <c>f(x) = op(a, x)</c>.</summary>
    private readonly struct WithFirst<T, TOp>(TOp op, T a) : IUnaryRowOperator<T>
        where T : unmanaged
        where TOp : struct, IBinaryRowOperator<T>
    {
        private readonly Vector128<T> _a128 = Vector128.Create(a);
        private readonly Vector256<T> _a256 = Vector256.Create(a);

        public T Invoke(T x) => op.Invoke(a, x);

        public Vector128<T> Invoke(Vector128<T> x) => op.Invoke(_a128, x);

        public Vector256<T> Invoke(Vector256<T> x) => op.Invoke(_a256, x);
    }
}
