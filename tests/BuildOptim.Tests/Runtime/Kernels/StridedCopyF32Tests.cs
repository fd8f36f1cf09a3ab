using BuildOptim.Runtime;
using BuildOptim.Runtime.Ops;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class StridedCopyF32Tests
{
    /// <summary>Views of a 4×5×6 tensor (strides 30, 6, 1): a contiguous block, every other row backwards, a broadcast, a tile.</summary>
    public static TheoryData<int, int[], int[]> Views => new()
    {
        { 0, [4, 5, 6], [30, 6, 1] },
        { 31, [2, 3, 4], [30, 6, 1] },
        { 119, [4, 5, 3], [-30, -6, -2] },
        { 5, [3, 2, 6], [30, 12, -1] },
        { 7, [3, 7, 5], [0, 0, 1] },
        { 0, [2, 4, 3, 6], [0, 30, 0, 1] },
        { 12, [9], [0] },
        { 42, [], [] },
        { 0, [3, 0, 2], [30, 6, 1] },
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void Each_output_reads_start_plus_the_strided_offsets_of_its_index(int start, int[] dims, int[] strides)
    {
        var random = new Random(641);
        var x = RandomFloats(random, 120);
        var expected = Reference(x, start, dims, strides);
        foreach (var level in new[] { SimdLevel.Scalar, SimdLevel.Vector512 })
        {
            var y = new float[expected.Length];
            Kernels.StridedCopyF32(x, start, dims, strides, y, level);
            Assert.True(expected.AsSpan().SequenceEqual(y), $"{level} start {start} [{string.Join(",", dims)}] by [{string.Join(",", strides)}]");
        }
    }

    [Fact]
    public void Block_copies_and_fills_agree_with_the_scalar_twin_at_every_length()
    {
        var random = new Random(642);
        for (int length = 1; length <= 300; length++)
        {
            var x = RandomFloats(random, Math.Max(2 * length, 3));
            foreach (var (dims, strides) in new[] { (new[] { 2, length }, new[] { length, 1 }), ([3, length], [1, 0]), ([length, 2], [1, 0]) })
            {
                var expected = Reference(x, 0, dims, strides);
                var scalar = new float[expected.Length];
                var blocks = new float[expected.Length];
                Kernels.StridedCopyF32(x, 0, dims, strides, scalar, SimdLevel.Scalar);
                Kernels.StridedCopyF32(x, 0, dims, strides, blocks, SimdLevel.Vector512);
                Assert.True(scalar.AsSpan().SequenceEqual(blocks), $"length {length} [{string.Join(",", dims)}] by [{string.Join(",", strides)}]");
                Assert.True(expected.AsSpan().SequenceEqual(blocks));
            }
        }
    }

    [Fact]
    public void A_view_reading_outside_x_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Kernels.StridedCopyF32(new float[10], 5, [2, 3], [3, 1], new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.StridedCopyF32(new float[10], 1, [3], [-1], new float[3]));
        Assert.Throws<ArgumentException>(() => Kernels.StridedCopyF32(new float[10], 0, [3], [1], new float[4]));
    }

    [Fact]
    public void Create_drops_unit_dims_and_merges_dims_walked_as_one()
    {
        // A contiguous slice of whole rows is one run; two broadcast dims are one; a tile of rank 4 fits.
        Assert.Equal("6 [60] [1]", Normalized(StridedCopyF32Parameters.Create(6, [1, 2, 5, 6], [120, 30, 6, 1])));
        Assert.Equal("0 [12,5] [0,1]", Normalized(StridedCopyF32Parameters.Create(0, [3, 4, 1, 5], [0, 0, 5, 1])));
        Assert.Equal("0 [0] [1]", Normalized(StridedCopyF32Parameters.Create(3, [2, 0], [1, 1])));
        Assert.Null(StridedCopyF32Parameters.Create(0, [2, 2, 2, 2, 2, 2, 2, 2, 2], [1, 0, 1, 0, 1, 0, 1, 0, 1]));
    }

    [Fact]
    public void Parameters_round_trip_and_a_view_outside_its_input_does_not_decode()
    {
        var p = StridedCopyF32Parameters.Create(119, [4, 5, 3], [-30, -6, -2])!;
        Assert.Equal(p.Encode(), StridedCopyF32Parameters.Decode(p.Encode()).Encode());
        Assert.Equal(120, p.InputExtent);

        var backwards = new StridedCopyF32Parameters(5, [4], [-2]).Encode();
        Assert.Throws<InvalidDataException>(() => StridedCopyF32Parameters.Decode(backwards));
    }

    /// <summary>Records compare arrays by reference: the values as a comparable string.</summary>
    private static string Normalized(StridedCopyF32Parameters? p) => p is null ? "null" : $"{p.Start} [{string.Join(",", p.Dims)}] [{string.Join(",", p.Strides)}]";

    private static float[] Reference(float[] x, int start, int[] dims, int[] strides)
    {
        int count = dims.Aggregate(1, (p, d) => p * d);
        var y = new float[count];
        for (int at = 0; at < count; at++)
        {
            int rest = at, offset = start;
            for (int k = dims.Length - 1; k >= 0; k--)
            {
                offset += rest % dims[k] * strides[k];
                rest /= dims[k];
            }

            y[at] = x[offset];
        }

        return y;
    }
}
