using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary><c>y = act(x)</c> for the parameterless activations (see the four-argument overload).</summary>
    internal static void ActivationF32(ReadOnlySpan<float> x, Activation activation, Span<float> y)
        => ActivationF32(x, activation, 0, 0, y);

    /// <summary>
    /// <c>y = act(x)</c> elementwise, ONNX semantics. In place is allowed.
    /// Relu <c>max(x, 0)</c>; Sigmoid <c>1 / (1 + e^-x)</c>; Tanh; LeakyRelu <c>x ≥ 0 ? x : α·x</c>;
    /// Clip <c>clamp(x, α, β)</c>; HardSigmoid <c>clamp(α·x + β, 0, 1)</c>; HardSwish <c>x · clamp(x/6 + 1/2, 0, 1)</c>;
    /// Elu <c>x ≥ 0 ? x : α·(e^x − 1)</c>; Selu <c>β · (x &gt; 0 ? x : α·(e^x − 1))</c>; Softplus <c>ln(1 + e^x)</c>;
    /// Softsign <c>x / (1 + |x|)</c>; Exp, Log, Abs, Neg, Sqrt, Reciprocal, Erf, Gelu, GeluTanh and Pow <c>x^α</c> as their
    /// kernel files say.
    /// </summary>
    internal static void ActivationF32(ReadOnlySpan<float> x, Activation activation, float alpha, float beta, Span<float> y)
        => ActivationF32(x, activation, alpha, beta, y, SimdLevel.Vector512);

    /// <summary>
    /// <see cref="ActivationF32(ReadOnlySpan{float}, Activation, float, float, Span{float})"/> taking no path wider than
    /// <paramref name="maxLevel"/>. An activation with a kernel file of its own (<c>Kernels/NameF32.cs</c>: its row operator) is
    /// one case here, which runs that operator through the row-loop driver; every width gives its scalar twin's result bit
    /// for bit.
    /// </summary>
    internal static void ActivationF32(ReadOnlySpan<float> x, Activation activation, float alpha, float beta, Span<float> y, SimdLevel maxLevel)
    {
        if (x.Length != y.Length)
        {
            ThrowLengthMismatch();
        }

        switch (activation)
        {
            case Activation.None:
                x.CopyTo(y);
                break;
            case Activation.Relu:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] > 0 ? x[i] : 0;
                }

                break;
            case Activation.Sigmoid:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = 1f / (1f + MathF.Exp(-x[i]));
                }

                break;
            case Activation.Tanh:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = MathF.Tanh(x[i]);
                }

                break;
            case Activation.LeakyRelu:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] >= 0 ? x[i] : alpha * x[i];
                }

                break;
            case Activation.Clip:
                ClampF32(x, alpha, beta, y);
                break;
            case Activation.HardSigmoid:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = Math.Clamp(alpha * x[i] + beta, 0f, 1f);
                }

                break;
            case Activation.HardSwish:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] * Math.Clamp(x[i] / 6f + 0.5f, 0f, 1f);
                }

                break;
            case Activation.Elu:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] >= 0 ? x[i] : alpha * (MathF.Exp(x[i]) - 1f);
                }

                break;
            case Activation.Selu:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = beta * (x[i] > 0 ? x[i] : alpha * (MathF.Exp(x[i]) - 1f));
                }

                break;
            case Activation.Softplus:
                for (int i = 0; i < x.Length; i++)
                {
                    float v = x[i];
                    y[i] = v > 20f ? v : MathF.Log(1f + MathF.Exp(v));
                }

                break;
            case Activation.Softsign:
                for (int i = 0; i < x.Length; i++)
                {
                    y[i] = x[i] / (1f + MathF.Abs(x[i]));
                }

                break;
            case Activation.Exp:
                InvokeRow<float, ExpOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Log:
                InvokeRow<float, LogOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Abs:
                InvokeRow<float, AbsOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Neg:
                InvokeRow<float, NegOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Sqrt:
                InvokeRow<float, SqrtOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Reciprocal:
                InvokeRow<float, ReciprocalOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Erf:
                InvokeRow<float, ErfOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Gelu:
                int done = maxLevel >= SimdLevel.Vector512 ? GeluF32Vector512(x, y) : 0;
                InvokeRow<float, GeluOperatorF32>(default, x[done..], y[done..], maxLevel);
                break;
            case Activation.GeluTanh:
                InvokeRow<float, GeluTanhOperatorF32>(default, x, y, maxLevel);
                break;
            case Activation.Pow:
                PowRowF32(x, alpha, y, maxLevel);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary><c>y = min(max(x, min), max)</c> (ONNX Clip: when min &gt; max every element becomes max). In place is allowed.</summary>
    internal static void ClampF32(ReadOnlySpan<float> x, float min, float max, Span<float> y)
    {
        if (x.Length != y.Length)
        {
            ThrowLengthMismatch();
        }

        if (float.IsNegativeInfinity(min) && float.IsPositiveInfinity(max))
        {
            if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y)))
            {
                x.CopyTo(y);
            }

            return;
        }

        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            y[i] = MathF.Min(MathF.Max(v, min), max); // ONNX Clip: min > max gives max
        }
    }
}
