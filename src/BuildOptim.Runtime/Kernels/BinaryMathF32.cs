using System.Runtime.Intrinsics;

namespace BuildOptim.Runtime;

/// <summary>The functions of <see cref="OpKind.BinaryMathF32"/> (the plan stores the number: append only).</summary>
internal enum BinaryMathOp
{
    /// <summary>ONNX Pow: <c>a^b</c> (powf).</summary>
    Pow = 0,

    /// <summary>ONNX Max: <c>max(a, b)</c>, IEEE maximum (NaN wins, +0 above −0).</summary>
    Max = 1,

    /// <summary>ONNX Min: <c>min(a, b)</c>, IEEE minimum (NaN wins, −0 below +0).</summary>
    Min = 2,
}

public static partial class Kernels
{
    /// <summary>
    /// <c>y[i] = f(a[i_a], b[i_b])</c> with numpy broadcasting (<paramref name="shape"/>), for the functions of
    /// <see cref="BinaryMathOp"/>; runs as <see cref="BinaryF32(BinaryOp, ReadOnlySpan{float}, ReadOnlySpan{float}, BroadcastShape, Span{float}, SimdLevel)"/>
    /// does, every width equal to the scalar twin bit for bit.
    /// </summary>
    internal static void BinaryMathF32(BinaryMathOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
    {
        ValidateBroadcast(shape, a.Length, b.Length, y.Length);
        BinaryMathF32Core(op, a, b, shape, y, maxLevel);
    }

    /// <summary><see cref="BinaryMathF32"/> with its operands checked by the caller (<see cref="PlanRunner"/>, once, at load).</summary>
    internal static void BinaryMathF32Core(BinaryMathOp op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, BroadcastShape shape, Span<float> y, SimdLevel maxLevel)
    {
        switch (op)
        {
            case BinaryMathOp.Pow:
                BinaryF32<PowOperatorF32>(a, b, shape, y, maxLevel);
                break;
            case BinaryMathOp.Max:
                BinaryF32<MaxF32>(a, b, shape, y, maxLevel);
                break;
            case BinaryMathOp.Min:
                BinaryF32<MinF32>(a, b, shape, y, maxLevel);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>IEEE minimum, as both <see cref="MathF.Min(float, float)"/> and the vector Min compute it (the twin of MaxF32).</summary>
    private readonly struct MinF32 : IBinaryRowOperator<float>
    {
        public float Invoke(float a, float b) => MathF.Min(a, b);

        public Vector128<float> Invoke(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);

        public Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    }
}
