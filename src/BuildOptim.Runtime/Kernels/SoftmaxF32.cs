using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// Softmax along the middle axis of x viewed as [outer, axisSize, inner]: for each (o, j),
    /// <c>y[o, i, j] = e^(x[o, i, j] − max) / Σ_k e^(x[o, k, j] − max)</c> with max over i; with <paramref name="log"/>,
    /// <c>y[o, i, j] = x[o, i, j] − max − ln Σ_k e^(x[o, k, j] − max)</c> (ONNX Softmax/LogSoftmax, opset 13, on any axis).
    /// </summary>
    /// <remarks>
    /// The float operations are those of <see cref="SoftmaxF32(ReadOnlySpan{float}, int, bool, Span{float})"/>, which runs the inner = 1 case. The axis is walked with
    /// stride inner; consecutive j share cache lines, so the axisSize rows stay in cache. In place is allowed.
    /// </remarks>
    internal static void SoftmaxAxisF32(ReadOnlySpan<float> x, int outer, int axisSize, int inner, bool log, Span<float> y)
    {
        if (outer < 0 || axisSize < 0 || inner < 0 || x.Length != (long)outer * axisSize * inner || y.Length != x.Length)
        {
            ThrowShape($"Softmax over [{outer}, {axisSize}, {inner}] got input {x.Length} and output {y.Length}.");
        }

        if (x.Length == 0)
        {
            return;
        }

        if (inner == 1)
        {
            SoftmaxF32(x, axisSize, log, y);
            return;
        }

        int block = axisSize * inner;
        for (int o = 0; o < outer; o++)
        {
            var xs = x.Slice(o * block, block);
            var ys = y.Slice(o * block, block);
            for (int j = 0; j < inner; j++)
            {
                float max = float.NegativeInfinity;
                for (int i = j; i < block; i += inner)
                {
                    max = MathF.Max(max, xs[i]);
                }

                float sum = 0;
                for (int i = j; i < block; i += inner)
                {
                    sum += MathF.Exp(xs[i] - max);
                }

                if (log)
                {
                    float logSum = MathF.Log(sum);
                    for (int i = j; i < block; i += inner)
                    {
                        ys[i] = xs[i] - max - logSum;
                    }
                }
                else
                {
                    for (int i = j; i < block; i += inner)
                    {
                        ys[i] = MathF.Exp(xs[i] - max) / sum;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Softmax over contiguous groups of <paramref name="axisSize"/>: <c>y_i = e^(x_i - max) / Σ_j e^(x_j - max)</c>;
    /// with <paramref name="log"/>, <c>y_i = x_i - max - ln Σ_j e^(x_j - max)</c>. In place is allowed.
    /// </summary>
    internal static void SoftmaxF32(ReadOnlySpan<float> x, int axisSize, bool log, Span<float> y)
        => SoftmaxF32(x, axisSize, log, y, SimdLevel.Vector512);

    /// <summary>
    /// <see cref="SoftmaxF32(ReadOnlySpan{float}, int, bool, Span{float})"/> taking no path wider than
    /// <paramref name="maxLevel"/>: each e^(x − max) is <see cref="ExpF32(float)"/> (the same IEEE operations at every width), computed
    /// once and stored, the sum is <see cref="FixedOrderSumF32"/>'s fixed order, then one IEEE division per element, so every
    /// level gives the scalar twin's outputs bit for bit. The max is IEEE maximum (a NaN wins), the same in any order.
    /// </summary>
    internal static void SoftmaxF32(ReadOnlySpan<float> x, int axisSize, bool log, Span<float> y, SimdLevel maxLevel)
    {
        if (x.Length != y.Length || axisSize <= 0 || x.Length % axisSize != 0)
        {
            ThrowLengthMismatch();
        }

        for (int start = 0; start < x.Length; start += axisSize)
        {
            var xs = x.Slice(start, axisSize);
            var ys = y.Slice(start, axisSize);
            float max = MinMaxF32(xs, maxLevel).Max;
            if (log)
            {
                float logSum = MathF.Log(FixedOrderSumF32(new ExpShiftTermsF32(xs, max), maxLevel));
                InvokeRow(new SubtractTwiceOperatorF32(max, logSum), xs, ys, maxLevel);
            }
            else
            {
                int done = maxLevel >= SimdLevel.Vector512 ? ExpShiftF32Vector512(xs, max, ys) : 0;
                InvokeRow(new ExpShiftOperatorF32(max), xs[done..], ys[done..], maxLevel);
                float sum = FixedOrderSumF32(new SumTermsF32(ys), maxLevel);
                done = maxLevel >= SimdLevel.Vector512 ? DivideF32Vector512(ys, sum) : 0;
                InvokeRow(new DivideOperatorF32(sum), ys[done..], ys[done..], maxLevel);
            }
        }
    }

    /// <summary><c>y = e^(x − shift)</c> on the whole 16-float blocks in Vector512; returns how many it wrote (0 without AVX-512).</summary>
    private static int ExpShiftF32Vector512(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return 0;
        }

        int n = y.Length, i = 0;
        ref float xr = ref MemoryMarshal.GetReference(x[..n]);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var s = Vector512.Create(shift);
        for (; i <= n - 16; i += 16)
        {
            ExpF32(Vector512.LoadUnsafe(ref xr, (nuint)i) - s).StoreUnsafe(ref yr, (nuint)i);
        }

        return i;
    }

    /// <summary><c>y /= divisor</c> on the whole 16-float blocks in Vector512; returns how many it divided (0 without AVX-512).</summary>
    private static int DivideF32Vector512(Span<float> y, float divisor)
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return 0;
        }

        int n = y.Length, i = 0;
        ref float yr = ref MemoryMarshal.GetReference(y);
        var d = Vector512.Create(divisor);
        for (; i <= n - 16; i += 16)
        {
            (Vector512.LoadUnsafe(ref yr, (nuint)i) / d).StoreUnsafe(ref yr, (nuint)i);
        }

        return i;
    }

    /// <summary><c>e^(x − shift)</c>.</summary>
    private readonly struct ExpShiftOperatorF32(float shift) : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => ExpF32(x - shift);

        public Vector128<float> Invoke(Vector128<float> x) => ExpF32(x - Vector128.Create(shift));

        public Vector256<float> Invoke(Vector256<float> x) => ExpF32(x - Vector256.Create(shift));
    }

    /// <summary><c>(x − a) − b</c>.</summary>
    private readonly struct SubtractTwiceOperatorF32(float a, float b) : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => (x - a) - b;

        public Vector128<float> Invoke(Vector128<float> x) => (x - Vector128.Create(a)) - Vector128.Create(b);

        public Vector256<float> Invoke(Vector256<float> x) => (x - Vector256.Create(a)) - Vector256.Create(b);
    }

    /// <summary><c>x / divisor</c>.</summary>
    private readonly struct DivideOperatorF32(float divisor) : IUnaryRowOperator<float>
    {
        public float Invoke(float x) => x / divisor;

        public Vector128<float> Invoke(Vector128<float> x) => x / Vector128.Create(divisor);

        public Vector256<float> Invoke(Vector256<float> x) => x / Vector256.Create(divisor);
    }

    /// <summary>The terms <c>e^(x_i − shift)</c> of a row sum.</summary>
    private readonly ref struct ExpShiftTermsF32 : IRowTerms
    {
        private readonly ref float _x;
        private readonly float _shift;

        public ExpShiftTermsF32(ReadOnlySpan<float> x, float shift)
        {
            _x = ref MemoryMarshal.GetReference(x);
            _shift = shift;
            Length = x.Length;
        }

        public int Length { get; }

        public float Term(int i) => ExpF32(Unsafe.Add(ref _x, i) - _shift);

        public Vector128<float> Terms128(int i) => ExpF32(Vector128.LoadUnsafe(ref _x, (nuint)i) - Vector128.Create(_shift));

        public Vector256<float> Terms256(int i) => ExpF32(Vector256.LoadUnsafe(ref _x, (nuint)i) - Vector256.Create(_shift));
    }
}
