using System.Numerics;
using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class FixedPointTests
{
    private const int ScaleBits = 200;

    [Fact]
    public void Quantized_multiplier_is_a_normalized_Q31_mantissa_within_2_pow_minus_31_relative_error()
    {
        var random = new Random(31);
        for (int trial = 0; trial < 20_000; trial++)
        {
            double real = trial % 4 == 3 ? LogUniform(random, 1, 1 << 29) : LogUniform(random, 1e-9, 0.99);
            var (multiplier, shift) = FixedPoint.QuantizeMultiplier(real);
            AssertNormalizedAndClose(real, multiplier, shift);
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(-2)]
    [InlineData(0)]
    [InlineData(-20)]
    [InlineData(-32)]
    public void Mantissas_that_round_up_to_2_pow_31_renormalize_to_the_power_of_two(int exponent)
    {
        double powerOfTwo = Math.ScaleB(1, exponent);
        foreach (double real in new[] { Math.BitDecrement(powerOfTwo), powerOfTwo, powerOfTwo * (1 - Math.ScaleB(1, -33)) })
        {
            var (multiplier, shift) = FixedPoint.QuantizeMultiplier(real);
            Assert.Equal(1 << 30, multiplier);
            Assert.Equal(30 - Math.ILogB(powerOfTwo), shift);
            AssertNormalizedAndClose(real, multiplier, shift);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.Epsilon)]
    [InlineData(1e-30)]
    [InlineData(1.1641532182693481E-10)] // 2^-33
    [InlineData(2.3283064365386963E-10 * 0.9999)] // just below 2^-32
    public void Zero_and_multipliers_too_small_for_max_shift_become_zero(double real)
    {
        Assert.Equal((0, 1), FixedPoint.QuantizeMultiplier(real));
        Assert.Equal(0, FixedPoint.Requantize(int.MaxValue, 0, 1));
        Assert.Equal(0, FixedPoint.Requantize(int.MinValue, 0, 1));
    }

    [Fact]
    public void Smallest_representable_multiplier_uses_max_shift()
        => Assert.Equal((1 << 30, FixedPoint.MaxShift), FixedPoint.QuantizeMultiplier(Math.ScaleB(1, -32)));

    [Theory]
    [InlineData(-1e-3)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1073741824.0)] // 2^30
    public void Negative_non_finite_and_huge_multipliers_are_rejected(double real)
        => Assert.Throws<ArgumentOutOfRangeException>(() => FixedPoint.QuantizeMultiplier(real));

    [Fact]
    public void Requantize_rounds_exactly_once_half_toward_positive_infinity()
    {
        var random = new Random(62);
        for (int trial = 0; trial < 20_000; trial++)
        {
            var (multiplier, shift) = FixedPoint.QuantizeMultiplier(LogUniform(random, 1e-9, 0.99));
            int acc = trial % 2 == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-1 << 20, 1 << 20);
            AssertRequantizeExact(acc, multiplier, shift);
        }

        foreach (int acc in new[] { int.MinValue, int.MinValue + 1, -1, 0, 1, int.MaxValue })
        {
            foreach (double real in new[] { 0.99, 0.5, 1e-9, Math.ScaleB(1, -32) })
            {
                var (multiplier, shift) = FixedPoint.QuantizeMultiplier(real);
                AssertRequantizeExact(acc, multiplier, shift);
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]    // 0.5 -> 1
    [InlineData(-1, 0)]   // -0.5 -> 0
    [InlineData(3, 2)]    // 1.5 -> 2
    [InlineData(-3, -1)]  // -1.5 -> -1
    [InlineData(5, 3)]    // 2.5 -> 3
    [InlineData(-5, -2)]  // -2.5 -> -2
    public void Halfway_products_round_toward_positive_infinity(int acc, int expected)
    {
        // 2^30 · 2^-31 = 0.5 exactly, so odd accumulators land exactly halfway.
        Assert.Equal(expected, FixedPoint.Requantize(acc, 1 << 30, 31));
    }

    private static void AssertNormalizedAndClose(double real, int multiplier, int shift)
    {
        Assert.InRange(multiplier, 1 << 30, int.MaxValue);
        Assert.InRange(shift, 1, FixedPoint.MaxShift);

        // |m · 2^-s - real| ≤ real · 2^-31, all scaled by 2^ScaleBits to stay in integers.
        var approx = new BigInteger(multiplier) << (ScaleBits - shift);
        var exact = ScaledExactly(real, ScaleBits);
        var error = BigInteger.Abs(approx - exact);
        Assert.True(error << 31 <= exact, $"{real:R} -> ({multiplier}, {shift}) has relative error above 2^-31");
    }

    private static void AssertRequantizeExact(int acc, int multiplier, int shift)
    {
        // ⌊acc · (m · 2^-s) + ½⌋ with m · 2^-s taken exactly.
        var expected = FloorPlusHalf(new BigInteger(acc) * multiplier, shift);
        int actual = FixedPoint.Requantize(acc, multiplier, shift);
        if (expected != actual)
        {
            Assert.Fail($"Requantize({acc}, {multiplier}, {shift}) = {actual}, exact ⌊acc·m·2^-s + ½⌋ = {expected}");
        }
    }
}
