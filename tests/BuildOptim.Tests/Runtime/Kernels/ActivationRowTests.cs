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
            double allowed = (c.Ulps * ulp) + Math.ScaleB(1, -150);
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

    private sealed record RowCase(Activation Activation, float Alpha, float Beta, float Min, float Max, Func<double, double> Reference, int Ulps);
}
