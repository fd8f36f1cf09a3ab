using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class SharedGemvU8U4S32Tests
{
    private static readonly int[] Ks = [0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 127, 128, 129, 255, 256, 257, 300, 784];
    private static readonly int[] Ns = [0, 1, 3, 10, 17];

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin_and_to_plain_gemv_on_decoded_weights(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(2025);
        foreach (bool rowCodebooks in new[] { true, false })
        {
            foreach (int k in Ks)
            {
                foreach (int n in Ns)
                {
                    var (indices, codebooks) = RandomShared(random, n, k, rowCodebooks);
                    var x = RandomBytes(random, k);
                    var bias = RandomInts(random, n, -1 << 24, 1 << 24);
                    var decoded = new sbyte[n * k];
                    Kernels.DecodeU4S8Scalar(indices, codebooks, n, k, decoded);
                    var plain = new int[n];
                    var scalar = new int[n];
                    var actual = new int[n];
                    Kernels.GemvU8S8S32(x, decoded, bias, plain);
                    Kernels.SharedGemvU8U4S32Scalar(x, indices, codebooks, bias, scalar);
                    Kernels.SharedGemvU8U4S32(x, indices, codebooks, bias, actual, simd);
                    string at = $"K={k}, N={n}, rowCodebooks={rowCodebooks}";
                    Assert.True(plain.AsSpan().SequenceEqual(scalar), at);
                    Assert.True(plain.AsSpan().SequenceEqual(actual), at);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Extreme_codes_and_table_entries_stay_exact(string level)
    {
        var simd = SimdLevels.Parse(level);
        foreach (sbyte extreme in new sbyte[] { -128, 127 })
        {
            const int k = 1008, n = 3; // 31 blocks of 32 and one of 16
            var x = Enumerable.Repeat((byte)255, k).ToArray();
            var codebooks = Enumerable.Repeat(extreme, Kernels.SharedCodebookLength).ToArray();
            var indices = new byte[n * Kernels.PackedU4RowLength(k)];
            new Random(3).NextBytes(indices);
            var bias = new int[] { 0, int.MaxValue - (255 * 127 * k), int.MinValue + (255 * 128 * k) };
            var actual = new int[n];
            Kernels.SharedGemvU8U4S32(x, indices, codebooks, bias, actual, simd);
            for (int row = 0; row < n; row++)
            {
                Assert.Equal(bias[row] + (255L * extreme * k), actual[row]);
            }
        }
    }

    [Fact]
    public void Public_entry_point_matches_scalar_twin()
    {
        var random = new Random(6);
        var (indices, codebooks) = RandomShared(random, 12, 301, rowCodebooks: true);
        var x = RandomBytes(random, 301);
        var bias = RandomInts(random, 12);
        var expected = new int[12];
        var actual = new int[12];
        Kernels.SharedGemvU8U4S32Scalar(x, indices, codebooks, bias, expected);
        Kernels.SharedGemvU8U4S32(x, indices, codebooks, bias, actual);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Decode_simd_path_is_bit_identical_to_scalar_twin_and_to_the_unpacked_lookup(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(77);
        foreach (bool rowCodebooks in new[] { true, false })
        {
            foreach (int k in Ks)
            {
                foreach (int n in Ns)
                {
                    var unpacked = new byte[n * k];
                    for (int i = 0; i < unpacked.Length; i++)
                    {
                        unpacked[i] = (byte)random.Next(Kernels.SharedCodebookLength);
                    }

                    var packed = new byte[n * Kernels.PackedU4RowLength(k)];
                    Kernels.PackU4(unpacked, n, k, packed);
                    var codebooks = RandomSBytes(random, (rowCodebooks ? n : 1) * Kernels.SharedCodebookLength);
                    var expected = new sbyte[n * k];
                    for (int i = 0; i < expected.Length; i++)
                    {
                        expected[i] = codebooks[((rowCodebooks ? i / k : 0) * Kernels.SharedCodebookLength) + unpacked[i]];
                    }

                    var scalar = new sbyte[n * k];
                    var actual = new sbyte[n * k];
                    Kernels.DecodeU4S8Scalar(packed, codebooks, n, k, scalar);
                    Kernels.DecodeU4S8(packed, codebooks, n, k, actual, simd);
                    Assert.True(expected.AsSpan().SequenceEqual(scalar), $"K={k}, N={n}");
                    Assert.True(expected.AsSpan().SequenceEqual(actual), $"K={k}, N={n}");
                }
            }
        }
    }

    [Fact]
    public void Packing_puts_even_columns_in_low_nibbles_and_round_trips()
    {
        byte[] indices = [1, 2, 3, 4, 5, 15, 0, 9, 10]; // two rows would not divide 9: one row of 9
        var packed = new byte[Kernels.PackedU4RowLength(9)];
        Kernels.PackU4(indices, 1, 9, packed);
        Assert.Equal(new byte[] { 0x21, 0x43, 0xF5, 0x90, 0x0A }, packed); // odd K: the last high nibble stays 0

        var random = new Random(9);
        foreach (var (rows, k) in new[] { (3, 1), (5, 7), (2, 32), (4, 33), (1, 784) })
        {
            var original = Enumerable.Range(0, rows * k).Select(_ => (byte)random.Next(16)).ToArray();
            var rowPacked = new byte[rows * Kernels.PackedU4RowLength(k)];
            Kernels.PackU4(original, rows, k, rowPacked);
            var identity = Enumerable.Range(0, Kernels.SharedCodebookLength).Select(i => (sbyte)i).ToArray();
            var unpacked = new sbyte[rows * k];
            Kernels.DecodeU4S8(rowPacked, identity, rows, k, unpacked);
            Assert.Equal(original, unpacked.Select(v => (byte)v).ToArray());
        }
    }

    [Fact]
    public void Bad_indices_and_mismatched_shapes_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.PackU4(new byte[] { 16 }, 1, 1, new byte[1]));
        Assert.Throws<ArgumentException>(() => Kernels.PackU4(new byte[4], 1, 4, new byte[3]));
        var codebook = new sbyte[16];
        Assert.Throws<ArgumentException>(() => Kernels.SharedGemvU8U4S32(new byte[4], new byte[3], codebook, new int[2], new int[2])); // 2 rows need 4 bytes
        Assert.Throws<ArgumentException>(() => Kernels.SharedGemvU8U4S32(new byte[4], new byte[4], new sbyte[24], new int[2], new int[2])); // neither 16 nor 16·N
        Assert.Throws<ArgumentException>(() => Kernels.SharedGemvU8U4S32(new byte[4], new byte[4], codebook, new int[1], new int[2]));
        Assert.Throws<ArgumentException>(() => Kernels.DecodeU4S8(new byte[4], codebook, 2, 4, new sbyte[7]));
    }

    /// <summary>Random packed indices and int8 codebooks (one per row, or one for all rows).</summary>
    internal static (byte[] Indices, sbyte[] Codebooks) RandomShared(Random random, int n, int k, bool rowCodebooks)
    {
        var unpacked = Enumerable.Range(0, n * k).Select(_ => (byte)random.Next(Kernels.SharedCodebookLength)).ToArray();
        var indices = new byte[n * Kernels.PackedU4RowLength(k)];
        Kernels.PackU4(unpacked, n, k, indices);
        return (indices, RandomSBytes(random, (rowCodebooks ? n : 1) * Kernels.SharedCodebookLength));
    }
}
