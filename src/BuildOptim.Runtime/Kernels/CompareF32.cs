using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[i] = p(a[i_a], b[i_b]) ? 1 : 0</c> with numpy broadcasting, for p in Equal <c>a = b</c>, Less <c>a &lt; b</c>,
    /// Greater <c>a &gt; b</c>, LessOrEqual <c>a ≤ b</c>, GreaterOrEqual <c>a ≥ b</c> (IEEE: false whenever a NaN is
    /// involved), and on bools (true where ≠ 0) And <c>a ∧ b</c>, Or <c>a ∨ b</c>, Xor <c>a ⊕ b</c>.
    /// </summary>
    /// <remarks>Exact at every width: the vector paths compare lane by lane and mask 1.0, the scalar twin branches.</remarks>
    internal static void CompareF32(CompareOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y)
        => CompareF32(op, a, b, shape, y, SimdLevel.Vector512);

    /// <summary><see cref="CompareF32(CompareOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void CompareF32(CompareOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
    {
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }

        ValidateBroadcast(shape, a.Length, b.Length, y.Length);
        CompareF32Core(op, a, b, shape, y, maxLevel);
    }

    /// <summary><see cref="CompareF32(CompareOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float})"/> with its operands checked by the caller (<see cref="PlanRunner"/>, at load).</summary>
    internal static void CompareF32Core(CompareOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
    {
        switch (op)
        {
            case CompareOp.Equal:
                BinaryF32<EqualF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.Less:
                BinaryF32<LessF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.Greater:
                BinaryF32<GreaterF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.LessOrEqual:
                BinaryF32<LessOrEqualF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.GreaterOrEqual:
                BinaryF32<GreaterOrEqualF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.And:
                BinaryF32<AndF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.Or:
                BinaryF32<OrF32>(a, b, shape, y, maxLevel);
                break;
            case CompareOp.Xor:
                BinaryF32<XorF32>(a, b, shape, y, maxLevel);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    private readonly struct EqualF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a == b ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b) & Vector256<float>.One;
    }

    private readonly struct LessF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a < b ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b) & Vector256<float>.One;
    }

    private readonly struct GreaterF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a > b ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b) & Vector256<float>.One;
    }

    private readonly struct LessOrEqualF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a <= b ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.LessThanOrEqual(a, b) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.LessThanOrEqual(a, b) & Vector256<float>.One;
    }

    private readonly struct GreaterOrEqualF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a >= b ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b) & Vector256<float>.One;
    }

    private readonly struct AndF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a != 0 && b != 0 ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
            => Vector128.AndNot(Vector128<float>.One, Vector128.Equals(a, Vector128<float>.Zero) | Vector128.Equals(b, Vector128<float>.Zero));

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
            => Vector256.AndNot(Vector256<float>.One, Vector256.Equals(a, Vector256<float>.Zero) | Vector256.Equals(b, Vector256<float>.Zero));
    }

    private readonly struct OrF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => a != 0 || b != 0 ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
            => Vector128.AndNot(Vector128<float>.One, Vector128.Equals(a, Vector128<float>.Zero) & Vector128.Equals(b, Vector128<float>.Zero));

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
            => Vector256.AndNot(Vector256<float>.One, Vector256.Equals(a, Vector256<float>.Zero) & Vector256.Equals(b, Vector256<float>.Zero));
    }

    private readonly struct XorF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => (a != 0) != (b != 0) ? 1f : 0f;

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b)
            => (Vector128.Equals(a, Vector128<float>.Zero) ^ Vector128.Equals(b, Vector128<float>.Zero)) & Vector128<float>.One;

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
            => (Vector256.Equals(a, Vector256<float>.Zero) ^ Vector256.Equals(b, Vector256<float>.Zero)) & Vector256<float>.One;
    }
}
