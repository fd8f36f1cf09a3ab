using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.DataPathTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class WhereF32Tests
{
    /// <summary>Same shapes, an attention mask over scores with a fill value, scalars, mixed broadcasts, rank 0 and 6.</summary>
    private static readonly int[][][] Shapes =
    [
        [[37], [37], [37]],
        [[1, 1, 1, 9], [1, 4, 9, 9], []],
        [[2, 1, 5], [1, 3, 1], [2, 3, 5]],
        [[1], [6, 7], [1]],
        [[8, 1], [1, 70], [8, 70]],
        [[2, 1, 3, 1, 2, 1], [1, 2, 1, 3, 1, 2], [2, 2, 3, 3, 2, 2]],
        [[], [], []],
        [[0, 3], [3], [1]],
    ];

    [Fact]
    public void Where_selects_x_where_the_condition_is_not_zero_with_numpy_broadcasting()
    {
        var random = new Random(621);
        foreach (var dims in Shapes)
        {
            var (c, x, y) = Operands(random, dims);
            var shape = WhereShape.Create(dims[0], dims[1], dims[2])!;
            var output = new float[shape.Length];
            Kernels.WhereF32(c, x, y, shape, output);
            var expected = Broadcast(dims, at => c[at[0]] != 0 ? x[at[1]] : y[at[2]]);
            Assert.True(expected.AsSpan().SequenceEqual(output), $"[{string.Join("] [", dims.Select(d => string.Join(",", d)))}]");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin_at_every_length(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(622);
        for (int length = 1; length <= 300; length += length < 40 ? 1 : 37)
        {
            int[][][] cases = [[[length], [length], [length]], [[1], [length], [1]], [[length], [1], [length]], [[length], [length], [1]]];
            foreach (var dims in cases)
            {
                var (c, x, y) = Operands(random, dims);
                var shape = WhereShape.Create(dims[0], dims[1], dims[2])!;
                var scalar = new float[shape.Length];
                var vector = new float[shape.Length];
                Kernels.WhereF32(c, x, y, shape, scalar, SimdLevel.Scalar);
                Kernels.WhereF32(c, x, y, shape, vector, simd);
                Assert.True(scalar.AsSpan().SequenceEqual(vector), $"{level} length {length}");
            }
        }
    }

    [Fact]
    public void Operands_that_do_not_fit_the_shape_are_refused()
    {
        var shape = WhereShape.Create([2, 3], [3], [1])!;
        Assert.Throws<ArgumentException>(() => Kernels.WhereF32(new float[6], new float[2], new float[1], shape, new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.WhereF32(new float[6], new float[3], new float[1], shape, new float[5]));
        Assert.Null(WhereShape.Create([2], [3], [1]));
    }

    /// <summary>A condition of zeros, ones, other values and NaN (true); x and y with −0 and NaN, which must be copied as they are.</summary>
    private static (float[] C, float[] X, float[] Y) Operands(Random random, int[][] dims)
    {
        float[] conditions = [0f, 1f, -0f, 2f, float.NaN];
        var c = Enumerable.Range(0, Count(dims[0])).Select(_ => conditions[random.Next(conditions.Length)]).ToArray();
        var x = RandomFloats(random, Count(dims[1]), -3, 3);
        var y = RandomFloats(random, Count(dims[2]), -3, 3);
        if (y.Length > 2)
        {
            (y[0], y[1]) = (-0f, float.NaN);
        }

        return (c, x, y);
    }
}
