using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary>
/// The activations with row operators (<c>Kernels/NameF32.cs</c>): every SIMD width equals the scalar twin bit for bit, and
/// the scalar twin is within a few ulps of the function in double precision.
/// </summary>
public class ActivationRowTests
{
    /// <summary>Each activation: its parameters, where its inputs are drawn from, the function in double, and its error bound in ulps of the result.</summary>
    private static readonly Dictionary<string, RowCase> s_cases = new()
    {
        ["Exp"] = new(Activation.Exp, 0, 0, -110, 92, Math.Exp, Ulps: 2),
        ["Log"] = new(Activation.Log, 0, 0, -1, 1e6f, Math.Log, Ulps: 2),
        ["LogSubnormal"] = new(Activation.Log, 0, 0, 0, 1e-37f, Math.Log, Ulps: 2),
        ["Abs"] = new(Activation.Abs, 0, 0, -1e3f, 1e3f, Math.Abs, Ulps: 0),
        ["Neg"] = new(Activation.Neg, 0, 0, -1e3f, 1e3f, x => -x, Ulps: 0),
        ["Sqrt"] = new(Activation.Sqrt, 0, 0, -1, 1e4f, Math.Sqrt, Ulps: 0.5),
        ["Reciprocal"] = new(Activation.Reciprocal, 0, 0, -10, 10, x => 1 / x, Ulps: 0.5),
        ["Erf"] = new(Activation.Erf, 0, 0, -5, 5, Erf, Ulps: 3),
        // Gelu subtracts erf from 1 where it nears −1, as ONNX Runtime does: an absolute error of a few ulps of 1 remains.
        ["Gelu"] = new(Activation.Gelu, 0, 0, -8, 8, x => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))), Ulps: 3, Absolute: 1e-6),
        // ½x · (1 + tanh u) = x / (1 + e^−2u), exact where ONNX Runtime's tanh form cancels; e^−2u magnifies u's rounding by 2|u|.
        ["GeluTanh"] = new(Activation.GeluTanh, 0, 0, -12, 12, x => x / (1 + Math.Exp(-2 * Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))), Ulps: 4, Absolute: 1e-6),
        ["PowSquare"] = new(Activation.Pow, 2, 0, -1e6f, 1e6f, x => x * x, Ulps: 0.5),
        ["PowCube"] = new(Activation.Pow, 3, 0, -1e4f, 1e4f, x => x * x * x, Ulps: 1.5),
        ["PowHalf"] = new(Activation.Pow, 0.5f, 0, -1, 1e4f, x => Math.Pow(x, 0.5), Ulps: 1),
        ["PowNegative"] = new(Activation.Pow, -1.5f, 0, 0, 100, x => Math.Pow(x, -1.5), Ulps: 1),
    };

    public static TheoryData<string> Cases => [.. s_cases.Keys];

    public static TheoryData<string, string> CasesByLevel
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (string name in s_cases.Keys)
            {
                foreach (string level in SimdLevels.Accelerated)
                {
                    data.Add(name, level);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CasesByLevel))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin_at_every_length(string name, string level)
    {
        var c = s_cases[name];
        var simd = SimdLevels.Parse(level);
        var random = new Random(1501);
        var input = Inputs(c, random, 300);
        for (int length = 0; length <= input.Length; length++)
        {
            var x = input.AsSpan(0, length);
            var scalar = new float[length];
            var vector = new float[length];
            Kernels.ActivationF32(x, c.Activation, c.Alpha, c.Beta, scalar, SimdLevel.Scalar);
            Kernels.ActivationF32(x, c.Activation, c.Alpha, c.Beta, vector, simd);
            AssertBitIdentical(scalar, vector, $"{name} {level} length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scalar_twin_is_within_its_bound_of_the_function_in_double_precision(string name)
    {
        var c = s_cases[name];
        var x = Inputs(c, new Random(1502), 20_000);
        var y = new float[x.Length];
        Kernels.ActivationF32(x, c.Activation, c.Alpha, c.Beta, y, SimdLevel.Scalar);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = c.Reference(x[i]);
            if (double.IsNaN(expected) || double.IsInfinity(expected) || Math.Abs(expected) > float.MaxValue)
            {
                Assert.True(((float)expected).Equals(y[i]), $"{name}({x[i]:R}) = {y[i]:R}, expected {(float)expected:R}");
                continue;
            }

            // ulps of the result, plus half the smallest subnormal where the result underflows.
            double ulp = Math.ScaleB(1, Math.Max(Math.ILogB(Math.Max(Math.Abs(expected), float.Epsilon)), -126) - 23);
            double allowed = (c.Ulps * ulp) + Math.ScaleB(1, -150) + c.Absolute;
            Assert.True(Math.Abs(y[i] - expected) <= allowed, $"{name}({x[i]:R}) = {y[i]:R}, expected {expected:R} (error {Math.Abs(y[i] - expected) / ulp:F2} ulp)");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Special_values_follow_the_function(string name)
    {
        var c = s_cases[name];
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, float.MaxValue, float.MinValue];
        var y = new float[x.Length];
        Kernels.ActivationF32(x, c.Activation, c.Alpha, c.Beta, y, SimdLevel.Scalar);
        for (int i = 0; i < x.Length; i++)
        {
            float expected = (float)c.Reference(x[i]);
            Assert.True(expected.Equals(y[i]) || Math.Abs(expected - y[i]) <= 1e-6f * Math.Abs(expected), $"{name}({x[i]:R}) = {y[i]:R}, expected {expected:R}");
        }
    }

    /// <summary>Uniform in the case's range, with every eighth input from the special values and the range's ends.</summary>
    private static float[] Inputs(RowCase c, Random random, int length)
    {
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, c.Min, c.Max, 1f, -1f];
        var x = RandomFloats(random, length, c.Min, c.Max);
        for (int i = 7; i < length; i += 8)
        {
            x[i] = specials[random.Next(specials.Length)];
        }

        return x;
    }

    /// <summary>erf x in double: its Maclaurin series below 4 (about 1e-9 relative, after cancellation), ±1 beyond (1 − erf 4 &lt; 2^−26).</summary>
    private static double Erf(double x)
    {
        if (double.IsNaN(x) || Math.Abs(x) >= 4)
        {
            return double.IsNaN(x) ? x : Math.Sign(x);
        }

        double sum = 0, term = x;
        for (int n = 0; Math.Abs(term) > 1e-17 * Math.Abs(sum) || n < 3; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    private sealed record RowCase(Activation Activation, float Alpha, float Beta, float Min, float Max, Func<double, double> Reference, double Ulps, double Absolute = 0);
}
