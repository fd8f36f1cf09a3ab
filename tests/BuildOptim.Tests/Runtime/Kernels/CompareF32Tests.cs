using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.DataPathTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class CompareF32Tests
{
    private static readonly (int[] A, int[] B)[] Shapes =
    [
        ([37], [37]),
        ([3, 70], [1]),
        ([1], [3, 70]),
        ([8, 6, 7], [8, 1, 1]),
        ([2, 3, 4, 5], [5]),
        ([4, 1, 6], [1, 5, 1]),
        ([], []),
    ];

    /// <summary>Values with ties, both zeros, NaN and infinities, so every predicate meets its edge cases.</summary>
    private static float[] Values(Random random, int length)
    {
        float[] special = [0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 2f];
        return Enumerable.Range(0, length).Select(_ => random.Next(3) == 0 ? special[random.Next(special.Length)] : random.Next(-2, 3)).Select(v => (float)v).ToArray();
    }

    [Fact]
    public void Each_predicate_is_one_where_it_holds_and_zero_elsewhere()
    {
        var random = new Random(611);
        foreach (var op in Enum.GetValues<CompareOp>())
        {
            foreach (var (dimsA, dimsB) in Shapes)
            {
                var shape = BroadcastShape.Create(dimsA, dimsB)!;
                var a = Values(random, Count(dimsA));
                var b = Values(random, Count(dimsB));
                var y = new float[shape.Length];
                Kernels.CompareF32(op, a, b, shape, y);
                var expected = Broadcast([dimsA, dimsB], at => Holds(op, a[at[0]], b[at[1]]) ? 1f : 0f);
                Assert.True(expected.AsSpan().SequenceEqual(y), $"{op} [{string.Join(",", dimsA)}] with [{string.Join(",", dimsB)}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin_at_every_length(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(612);
        foreach (var op in Enum.GetValues<CompareOp>())
        {
            for (int length = 0; length <= 300; length += length < 40 ? 1 : 37)
            {
                foreach (var (dimsA, dimsB) in new[] { ([length], [length]), ([length], [1]), (new[] { 1 }, new[] { length }) })
                {
                    var shape = BroadcastShape.Create(dimsA, dimsB)!;
                    var a = Values(random, Count(dimsA));
                    var b = Values(random, Count(dimsB));
                    var scalar = new float[shape.Length];
                    var vector = new float[shape.Length];
                    Kernels.CompareF32(op, a, b, shape, scalar, SimdLevel.Scalar);
                    Kernels.CompareF32(op, a, b, shape, vector, simd);
                    Assert.True(scalar.AsSpan().SequenceEqual(vector), $"{op} {level} [{dimsA[0]}] with [{dimsB[0]}]");
                }
            }
        }
    }

    private static bool Holds(CompareOp op, float a, float b) => op switch
    {
        CompareOp.Equal => a == b,
        CompareOp.Less => a < b,
        CompareOp.Greater => a > b,
        CompareOp.LessOrEqual => a <= b,
        CompareOp.GreaterOrEqual => a >= b,
        CompareOp.And => a != 0 && b != 0,
        CompareOp.Or => a != 0 || b != 0,
        _ => (a != 0) ^ (b != 0),
    };
}
