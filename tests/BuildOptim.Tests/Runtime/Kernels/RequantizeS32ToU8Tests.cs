using System.Numerics;
using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class RequantizeS32ToU8Tests
{
    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin_for_every_length_up_to_300(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(8);
        for (int length = 0; length <= 300; length++)
        {
            var acc = new int[length];
            var multiplier = new int[length];
            var shift = new int[length];
            for (int i = 0; i < length; i++)
            {
                acc[i] = i % 3 == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-1 << 18, 1 << 18);
                double real = (i % 7) switch
                {
                    0 => 0,
                    1 => LogUniform(random, 1, 1 << 29),
                    _ => LogUniform(random, 1e-9, 0.99),
                };
                (multiplier[i], shift[i]) = FixedPoint.QuantizeMultiplier(real);
            }

            int zeroPoint = random.Next(-300, 600);
            byte min = (byte)random.Next(0, 128);
            byte max = (byte)random.Next(min, 256);
            AssertRequantize(acc, multiplier, shift, zeroPoint, min, max, simd, $"length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void One_channel_rows_match_the_exact_reference_for_every_length_and_shift_kind(string level)
    {
        // RequantizeRowS32ToU8 (a convolution channel's row): shifts below 32 (64-bit lanes), 32 (high half, rounding
        // added in 64 bits) and 33 or more (rounding and zero point folded into one int32 constant, 16 codes a step),
        // zero points whose folded constant does or does not fit, and every tail of a 16-wide loop.
        var simd = SimdLevels.Parse(level);
        var random = new Random(65);
        foreach (int shift in new[] { 1, 20, 31, 32, 33, 40, 50, FixedPoint.MaxShift })
        {
            foreach (int zeroPoint in new[] { -300, 0, 5, 255, 1 << 20, (1 << 30) + 5 })
            {
                for (int length = 1; length <= 70; length++)
                {
                    var acc = new int[length];
                    for (int i = 0; i < length; i++)
                    {
                        acc[i] = i % 5 == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(-1 << 22, 1 << 22);
                    }

                    int multiplier = random.Next(2) == 0 ? random.Next(1 << 30, int.MaxValue) : -random.Next(1 << 30, int.MaxValue);
                    byte min = (byte)random.Next(0, 100), max = (byte)random.Next(150, 256);
                    var expected = new byte[length];
                    for (int i = 0; i < length; i++)
                    {
                        long q = zeroPoint + ((((long)acc[i] * multiplier) + (1L << (shift - 1))) >> shift);
                        expected[i] = (byte)Math.Clamp(q, min, max);
                    }

                    var y = new byte[length];
                    Kernels.RequantizeRowS32ToU8(acc, multiplier, shift, zeroPoint, min, max, y, simd);
                    Cnn.CnnTestSupport.AssertBytesEqual(expected, y, $"{level} shift {shift}, zero point {zeroPoint}, length {length}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Any_int32_operands_with_shifts_in_range_match_the_exact_reference(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(64);
        for (int trial = 0; trial < 200; trial++)
        {
            int length = random.Next(0, 70);
            var acc = RandomInts(random, length);
            var multiplier = RandomInts(random, length);
            var shift = RandomInts(random, length, 1, FixedPoint.MaxShift);
            int zeroPoint = random.Next(int.MinValue, int.MaxValue);
            AssertRequantize(acc, multiplier, shift, zeroPoint, 0, 255, simd, $"trial {trial}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Extreme_operands_match_the_exact_reference(string level)
    {
        var simd = SimdLevels.Parse(level);
        int[] ints = [int.MinValue, int.MinValue + 1, -1, 0, 1, int.MaxValue - 1, int.MaxValue];
        int[] shifts = [1, 2, 31, 32, 61, FixedPoint.MaxShift];
        var cases = (from a in ints from m in ints from s in shifts select (a, m, s)).ToArray();
        var acc = cases.Select(c => c.a).ToArray();
        var multiplier = cases.Select(c => c.m).ToArray();
        var shift = cases.Select(c => c.s).ToArray();
        foreach (int zeroPoint in new[] { int.MinValue, -128, 0, 128, int.MaxValue })
        {
            AssertRequantize(acc, multiplier, shift, zeroPoint, 0, 255, simd, $"zero point {zeroPoint}");
            AssertRequantize(acc, multiplier, shift, zeroPoint, 17, 17, simd, $"zero point {zeroPoint}, min = max");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Results_are_clamped_to_min_and_max(string level)
    {
        var simd = SimdLevels.Parse(level);
        var (m, s) = FixedPoint.QuantizeMultiplier(0.01);
        int[] acc = [int.MinValue, -100_000, -1000, 0, 1000, 100_000, int.MaxValue, 5000, 6000, 7000, 8000];
        var y = new byte[acc.Length];
        Kernels.RequantizeS32ToU8(acc, Filled(acc.Length, m), Filled(acc.Length, s), 100, 10, 200, y, simd);
        Assert.Equal(new byte[] { 10, 10, 90, 100, 110, 200, 200, 150, 160, 170, 180 }, y);
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Shifts_outside_1_to_62_are_rejected_in_every_path(string level)
    {
        var simd = SimdLevels.Parse(level);
        foreach (int badShift in new[] { 0, -1, FixedPoint.MaxShift + 1, 64, int.MinValue })
        {
            foreach (int position in new[] { 0, 5, 8, 13 })
            {
                var shift = Filled(16, 31);
                shift[position] = badShift;
                Assert.Throws<ArgumentOutOfRangeException>(
                    () => Kernels.RequantizeS32ToU8(new int[16], Filled(16, 1 << 30), shift, 0, 0, 255, new byte[16], simd));
            }
        }
    }

    [Fact]
    public void An_empty_clamp_range_is_rejected()
        => Assert.Throws<ArgumentException>(() => Kernels.RequantizeS32ToU8(new int[1], new int[1], new int[] { 1 }, 0, 200, 100, new byte[1]));

    [Fact]
    public void Public_entry_point_matches_scalar_twin()
    {
        var random = new Random(3);
        var acc = RandomInts(random, 123, -1 << 20, 1 << 20);
        var multiplier = new int[123];
        var shift = new int[123];
        for (int i = 0; i < 123; i++)
        {
            (multiplier[i], shift[i]) = FixedPoint.QuantizeMultiplier(LogUniform(random, 1e-6, 0.5));
        }

        var expected = new byte[123];
        var actual = new byte[123];
        Kernels.RequantizeS32ToU8Scalar(acc, multiplier, shift, 7, 0, 255, expected);
        Kernels.RequantizeS32ToU8(acc, multiplier, shift, 7, 0, 255, actual);
        Assert.Equal(expected, actual);
    }

    private static int[] Filled(int length, int value) => Enumerable.Repeat(value, length).ToArray();

    private static void AssertRequantize(int[] acc, int[] multiplier, int[] shift, int zeroPoint, byte min, byte max, SimdLevel level, string context)
    {
        var scalar = new byte[acc.Length];
        var simd = new byte[acc.Length];
        Kernels.RequantizeS32ToU8Scalar(acc, multiplier, shift, zeroPoint, min, max, scalar);
        Kernels.RequantizeS32ToU8(acc, multiplier, shift, zeroPoint, min, max, simd, level);
        for (int i = 0; i < acc.Length; i++)
        {
            var exact = zeroPoint + FloorPlusHalf(new BigInteger(acc[i]) * multiplier[i], shift[i]);
            var expected = (byte)BigInteger.Min(BigInteger.Max(exact, min), max);
            if (scalar[i] != expected || simd[i] != expected)
            {
                Assert.Fail($"{context}, element {i} (acc {acc[i]}, m {multiplier[i]}, s {shift[i]}, zp {zeroPoint}, [{min}, {max}]): " +
                            $"{level} = {simd[i]}, scalar = {scalar[i]}, exact = {expected}");
            }
        }
    }
}
