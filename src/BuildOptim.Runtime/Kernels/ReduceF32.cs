using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

/// <summary>The reductions of <see cref="OpKind.ReduceF32"/> (the plan stores the number: append only).</summary>
internal enum ReduceOp
{
    Sum = 0,
    Mean = 1,
    Max = 2,
    Min = 3,
    SumSquare = 4,
    L2 = 5,
}

public static partial class Kernels
{
    /// <summary>
    /// <c>y[o, i] = reduce_r x[o, r, i]</c> over x viewed as [outer, reduced, inner]: Sum <c>Σ x</c>, Mean <c>Σ x / reduced</c>,
    /// Max and Min (IEEE maximum and minimum: NaN wins), SumSquare <c>Σ x²</c>, L2 <c>√Σ x²</c>; over nothing Sum, SumSquare and
    /// L2 give 0, Max −∞, Min +∞, Mean NaN.
    /// </summary>
    /// <remarks>
    /// With inner = 1 each row is contiguous: sums are taken in the fixed order of <see cref="SumF32(ReadOnlySpan{float}, SimdLevel)"/>
    /// and <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float}, SimdLevel)"/>, maxima and minima in any order (they are
    /// exact). Otherwise the reduced rows are combined elementwise in order r = 0, 1, .... Every width gives the scalar twin's
    /// result bit for bit.
    /// </remarks>
    internal static void ReduceF32(ReduceOp op, ReadOnlySpan<float> x, int outer, int reduced, int inner, Span<float> y, SimdLevel maxLevel)
    {
        if (outer < 0 || reduced < 0 || inner < 0 || x.Length != (long)outer * reduced * inner || y.Length != (long)outer * inner)
        {
            ThrowShape($"A reduction over [{outer}, {reduced}, {inner}] got input {x.Length} and output {y.Length}.");
        }

        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }

        ReduceF32Core(op, x, outer, reduced, inner, y, maxLevel);
    }

    /// <summary><see cref="ReduceF32"/> with its operands checked by the caller (<see cref="PlanRunner"/>, once, at load).</summary>
    internal static void ReduceF32Core(ReduceOp op, ReadOnlySpan<float> x, int outer, int reduced, int inner, Span<float> y, SimdLevel maxLevel)
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var row = x.Slice(o * reduced, reduced);
                y[o] = op switch
                {
                    ReduceOp.Sum => SumF32(row, maxLevel),
                    ReduceOp.Mean => SumF32(row, maxLevel) / reduced,
                    ReduceOp.Max => RowMaxF32(row, maxLevel),
                    ReduceOp.Min => RowMinF32(row, maxLevel),
                    ReduceOp.SumSquare => DotF32(row, row, maxLevel),
                    _ => MathF.Sqrt(DotF32(row, row, maxLevel)),
                };
            }

            return;
        }

        for (int o = 0; o < outer; o++)
        {
            var ys = y.Slice(o * inner, inner);
            var xs = x.Slice(o * reduced * inner, reduced * inner);
            ys.Fill(op switch { ReduceOp.Max => float.NegativeInfinity, ReduceOp.Min => float.PositiveInfinity, _ => 0f });
            for (int r = 0; r < reduced; r++)
            {
                var row = xs.Slice(r * inner, inner);
                switch (op)
                {
                    case ReduceOp.Max:
                        MaxRowF32(row, ys, maxLevel);
                        break;
                    case ReduceOp.Min:
                        InvokeRow<float, MinF32>(default, ys, row, ys, maxLevel);
                        break;
                    case ReduceOp.SumSquare or ReduceOp.L2:
                        InvokeRow<float, AddSquareF32>(default, ys, row, ys, maxLevel);
                        break;
                    default:
                        AddRowF32(row, ys, maxLevel);
                        break;
                }
            }

            if (op == ReduceOp.Mean)
            {
                InvokeRow<float, WithSecond<float, DivF32>>(new(default, reduced), ys, ys, maxLevel);
            }
            else if (op == ReduceOp.L2)
            {
                InvokeRow<float, SqrtOperatorF32>(default, ys, ys, maxLevel);
            }
        }
    }

    /// <summary><c>Σ x</c> in the fixed order of <see cref="FixedOrderSumF32"/> (that of <see cref="DotF32(ReadOnlySpan{float}, ReadOnlySpan{float})"/>).</summary>
    internal static float SumF32(ReadOnlySpan<float> x, SimdLevel maxLevel) => FixedOrderSumF32(new SumTermsF32(x), maxLevel);

    /// <summary>Scalar twin of <see cref="SumF32(ReadOnlySpan{float}, SimdLevel)"/>.</summary>
    internal static float SumF32Scalar(ReadOnlySpan<float> x) => FixedOrderSumF32Scalar(new SumTermsF32(x));

    /// <summary>The IEEE maximum of a row (−∞ when empty); exact, so any order gives the same result.</summary>
    private static float RowMaxF32(ReadOnlySpan<float> x, SimdLevel maxLevel) => ExtremumF32<MaxF32>(x, float.NegativeInfinity, maxLevel);

    /// <summary>The IEEE minimum of a row (+∞ when empty).</summary>
    private static float RowMinF32(ReadOnlySpan<float> x, SimdLevel maxLevel) => ExtremumF32<MinF32>(x, float.PositiveInfinity, maxLevel);

    private static float ExtremumF32<TOp>(ReadOnlySpan<float> x, float identity, SimdLevel maxLevel)
        where TOp : struct, IBinaryRowOperator<float>
    {
        var op = default(TOp);
        ref float xr = ref MemoryMarshal.GetReference(x);
        int i = 0;
        float result = identity;
        if (maxLevel >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            var acc = Vector256.Create(identity);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                acc = op.Invoke(acc, Vector256.LoadUnsafe(ref xr, (nuint)i));
            }

            for (int j = 0; j < Vector256<float>.Count; j++)
            {
                result = op.Invoke(result, acc[j]);
            }
        }
        else if (maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated && x.Length >= Vector128<float>.Count)
        {
            var acc = Vector128.Create(identity);
            for (; i <= x.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                acc = op.Invoke(acc, Vector128.LoadUnsafe(ref xr, (nuint)i));
            }

            for (int j = 0; j < Vector128<float>.Count; j++)
            {
                result = op.Invoke(result, acc[j]);
            }
        }

        for (; i < x.Length; i++)
        {
            result = op.Invoke(result, Unsafe.Add(ref xr, i));
        }

        return result;
    }

    /// <summary><c>y + x · x</c>: a rounded multiply, then a rounded add.</summary>
    private readonly struct AddSquareF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float y, float x) => y + (x * x);

        public Vector128<float> Invoke(Vector128<float> y, Vector128<float> x) => y + (x * x);

        public Vector256<float> Invoke(Vector256<float> y, Vector256<float> x) => y + (x * x);
    }
}
