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
    internal static void BinaryF32(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y)
        => BinaryF32(op, a, b, shape, y, SimdLevel.Vector512);

    /// <summary><see cref="BinaryF32(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void BinaryF32(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
    {
        if (op is not (BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul or BinaryOp.Div or BinaryOp.PRelu))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }

        ValidateBroadcast(shape, a.Length, b.Length, y.Length);
        BinaryF32Core(op, a, b, shape, y, maxLevel);
    }

    /// <summary><see cref="BinaryF32(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/> with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan.</summary>
    internal static void BinaryF32Core(BinaryOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
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
        where TOp : struct, IBinaryRowOperator<float>
    {
        var run = new BinaryF32Run<TOp>(a, b, y, level);
        ForEachBroadcastRunCore(shape, ref run);
    }

    private readonly struct AddF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a + b;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a + b;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a + b;
    }

    private readonly struct SubF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a - b;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a - b;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a - b;
    }

    private readonly struct MulF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a * b;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a * b;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * b;
    }

    private readonly struct DivF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a / b;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => a / b;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a / b;
    }

    private readonly struct PReluF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a < 0 ? a * b : a;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
            => Vector128.ConditionalSelect(Vector128.LessThan(a, Vector128<float>.Zero), a * b, a);

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
            => Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256<float>.Zero), a * b, a);
    }

    /// <summary>
    /// One broadcast run of a binary op: both operands contiguous, or one of them a scalar along the run (per-channel
    /// constants over NCHW), go through the row-loop driver; other strides element by element.
    /// </summary>
    private readonly ref struct BinaryF32Run<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdLevel level) : IBroadcastRun
        where TOp : struct, IBinaryRowOperator<float>
    {
        private readonly ReadOnlySpan<float> _a = a;
        private readonly ReadOnlySpan<float> _b = b;
        private readonly Span<float> _y = y;

        public void Invoke(int offsetA, int strideA, int offsetB, int strideB, int offsetY, int count)
        {
            var y = _y.Slice(offsetY, count);
            if (strideA == 1 && strideB == 1)
            {
                InvokeRow<float, TOp>(default, _a.Slice(offsetA, count), _b.Slice(offsetB, count), y, level);
            }
            else if (strideA == 1 && strideB == 0)
            {
                InvokeRow<float, WithSecond<float, TOp>>(new(default, _b[offsetB]), _a.Slice(offsetA, count), y, level);
            }
            else if (strideA == 0 && strideB == 1)
            {
                InvokeRow<float, WithFirst<float, TOp>>(new(default, _a[offsetA]), _b.Slice(offsetB, count), y, level);
            }
            else
            {
                var op = default(TOp);
                for (int i = 0; i < count; i++)
                {
                    y[i] = op.Invoke(_a[offsetA + (i * strideA)], _b[offsetB + (i * strideB)]);
                }
            }
        }
    }
}
