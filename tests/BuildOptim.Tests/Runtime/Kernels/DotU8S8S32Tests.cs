using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class DotU8S8S32Tests
{
    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin_for_every_length_up_to_300(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(1234);
        for (int length = 0; length <= 300; length++)
        {
            var x = RandomBytes(random, length);
            var w = RandomSBytes(random, length);
            AssertDot(x, w, simd, $"length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin_for_large_lengths(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(4321);
        foreach (int length in new[] { 1000, 4095, 4096, 65_000, Kernels.DotU8S8S32MaxExactLength })
        {
            AssertDot(RandomBytes(random, length), RandomSBytes(random, length), simd, $"length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Extreme_operands_do_not_saturate(string level)
    {
        var simd = SimdLevels.Parse(level);
        int[] lengths = [.. Enumerable.Range(0, 130), 255, 256, 257, 4095, 4096, 65_000, Kernels.DotU8S8S32MaxExactLength];
        foreach (sbyte weight in new sbyte[] { -128, -127, 127 })
        {
            foreach (int length in lengths)
            {
                var x = Enumerable.Repeat((byte)255, length).ToArray();
                var w = Enumerable.Repeat(weight, length).ToArray();
                long expected = 255L * weight * length;
                Assert.Equal(expected, Kernels.DotU8S8S32(x, w, simd));
                Assert.Equal(expected, Kernels.DotU8S8S32Scalar(x, w));
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Alternating_extremes_match_the_64_bit_reference(string level)
    {
        // Pairs of maximal products of both signs: the worst case for pairwise 16-bit sums (vpmaddubsw saturates here).
        var simd = SimdLevels.Parse(level);
        foreach (int length in new[] { 2, 31, 64, 255, 1000, 4096 })
        {
            var x = new byte[length];
            var w = new sbyte[length];
            for (int i = 0; i < length; i++)
            {
                x[i] = (byte)(i % 3 == 0 ? 0 : 255);
                w[i] = (sbyte)(i % 2 == 0 ? -128 : 127);
            }

            AssertDot(x, w, simd, $"length {length}");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Misaligned_slices_match_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(77);
        var xs = RandomBytes(random, 4200);
        var ws = RandomSBytes(random, 4200);
        for (int xOffset = 1; xOffset <= 31; xOffset++)
        {
            int wOffset = 32 - xOffset;
            foreach (int length in new[] { 15, 16, 17, 63, 64, 65, 257, 1000, 4096 })
            {
                AssertDot(xs.AsSpan(xOffset, length), ws.AsSpan(wOffset, length), simd, $"offsets {xOffset}/{wOffset}, length {length}");
                AssertDot(xs.AsSpan(xOffset, length), ws.AsSpan(xOffset, length), simd, $"offset {xOffset}, length {length}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Past_the_exact_length_every_path_wraps_identically_modulo_2_pow_32(string level)
    {
        var simd = SimdLevels.Parse(level);
        int length = Kernels.DotU8S8S32MaxExactLength + 1000;
        var x = Enumerable.Repeat((byte)255, length).ToArray();
        var w = Enumerable.Repeat((sbyte)-128, length).ToArray();
        int expected = unchecked((int)DotReference(x, w));
        Assert.Equal(expected, Kernels.DotU8S8S32(x, w, simd));
        Assert.Equal(expected, Kernels.DotU8S8S32Scalar(x, w));
    }

    [Fact]
    public void Max_exact_length_is_the_largest_that_cannot_overflow()
    {
        Assert.True(255L * 128 * Kernels.DotU8S8S32MaxExactLength <= int.MaxValue);
        Assert.True(255L * 128 * (Kernels.DotU8S8S32MaxExactLength + 1) > int.MaxValue);
    }

    [Fact]
    public void Public_entry_point_matches_scalar_twin()
    {
        var random = new Random(9);
        var x = RandomBytes(random, 777);
        var w = RandomSBytes(random, 777);
        Assert.Equal(Kernels.DotU8S8S32Scalar(x, w), Kernels.DotU8S8S32(x, w));
    }

    [Fact]
    public void Operands_of_different_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Kernels.DotU8S8S32(new byte[3], new sbyte[4]));
        Assert.Throws<ArgumentException>(() => Kernels.DotU8S8S32Scalar(new byte[3], new sbyte[4]));
    }

    private static void AssertDot(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, SimdLevel level, string context)
    {
        int scalar = Kernels.DotU8S8S32Scalar(x, w);
        int simd = Kernels.DotU8S8S32(x, w, level);
        long reference = DotReference(x, w);
        if (simd != scalar || scalar != reference)
        {
            Assert.Fail($"{context}: {level} = {simd}, scalar = {scalar}, 64-bit reference = {reference}");
        }
    }
}
