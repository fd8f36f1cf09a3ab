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
            if (!log && axisSize >= 16 && maxLevel >= SimdLevel.Vector512 && Vector512.IsHardwareAccelerated)
            {
                SoftmaxRowF32Vector512(xs, ys);
                continue;
            }

            float max = MinMaxF32(xs, maxLevel).Max;
            if (log)
            {
                float logSum = MathF.Log(FixedOrderSumF32(new ExpShiftTermsF32(xs, max), maxLevel));
                InvokeRow(new SubtractTwiceOperatorF32(max, logSum), xs, ys, maxLevel);
            }
            else
            {
                InvokeRow(new ExpShiftOperatorF32(max), xs, ys, maxLevel);
                float sum = FixedOrderSumF32(new SumTermsF32(ys), maxLevel);
                InvokeRow(new DivideOperatorF32(sum), ys, ys, maxLevel);
            }
        }
    }

    /// <summary>
    /// One softmax row of 16 or more with Vector512 (an attention row of a few dozen keys costs little more than the calls
    /// of the general path): the max, each <c>e^(x − max)</c>, the sum in <see cref="FixedOrderSumF32"/>'s order (16 lane
    /// sums over the whole blocks, its tree, then the rest one by one), one division each. The last n mod 16 values are
    /// computed in the window of the last 16, loaded before anything is stored (in place is allowed) and stored last: the
    /// lanes it shares with the last block get the same values again. The same operations as every other level, so the same bits.
    /// </summary>
    private static void SoftmaxRowF32Vector512(ReadOnlySpan<float> x, Span<float> y)
    {
        int n = y.Length, whole = n & ~15;
        ref float xr = ref MemoryMarshal.GetReference(x[..n]);
        ref float yr = ref MemoryMarshal.GetReference(y);
        var window = Vector512.LoadUnsafe(ref xr, (nuint)(n - 16));
        var maxV = window;
        for (int i = 0; i < whole; i += 16)
        {
            maxV = Vector512.Max(maxV, Vector512.LoadUnsafe(ref xr, (nuint)i));
        }

        var max8 = Vector256.Max(maxV.GetLower(), maxV.GetUpper());
        var max4 = Vector128.Max(max8.GetLower(), max8.GetUpper());
        var shift = Vector512.Create(MathF.Max(MathF.Max(max4[0], max4[1]), MathF.Max(max4[2], max4[3])));
        var lanes = Vector512<float>.Zero;
        for (int i = 0; i < whole; i += 16)
        {
            var e = ExpF32(Vector512.LoadUnsafe(ref xr, (nuint)i) - shift);
            e.StoreUnsafe(ref yr, (nuint)i);
            lanes += e;
        }

        var pairs = lanes.GetLower() + lanes.GetUpper();
        var quad = pairs.GetLower() + pairs.GetUpper();
        float sum = (quad[0] + quad[2]) + (quad[1] + quad[3]);
        var tail = ExpF32(window - shift);
        for (int lane = 16 - (n - whole); lane < 16; lane++)
        {
            sum += tail[lane];
        }

        var divisor = Vector512.Create(sum);
        for (int i = 0; i < whole; i += 16)
        {
            (Vector512.LoadUnsafe(ref yr, (nuint)i) / divisor).StoreUnsafe(ref yr, (nuint)i);
        }

        (tail / divisor).StoreUnsafe(ref yr, (nuint)(n - 16));
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
