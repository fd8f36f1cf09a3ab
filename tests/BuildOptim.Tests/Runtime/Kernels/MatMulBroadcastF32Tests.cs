using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.DataPathTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class MatMulBroadcastF32Tests
{
    /// <summary>Batch dims of a and b: partial broadcasts both ways, a leading batch, rank 4 batches, an empty batch.</summary>
    private static readonly (int[] A, int[] B)[] Batches =
    [
        ([3, 1], [1, 2]),
        ([2, 1, 4], [3, 1]),
        ([1, 5], [4, 1]),
        ([2, 1, 3, 1], [1, 2, 1, 2]),
        ([0, 1], [1, 3]),
    ];

    [Fact]
    public void Each_output_matrix_multiplies_the_matrices_its_batch_index_picks_from_a_and_b()
    {
        var random = new Random(651);
        foreach (var (batchA, batchB) in Batches)
        {
            foreach (var (m, k, n) in new[] { (3, 4, 5), (1, 7, 1), (6, 17, 19) })
            {
                var batch = BroadcastShape.Create(batchA, batchB)!;
                var a = RandomFloats(random, Count(batchA) * m * k);
                var b = RandomFloats(random, Count(batchB) * k * n);
                var y = new float[batch.Length * m * n];
                Kernels.MatMulBroadcastF32(a, b, m, k, n, batch, y);

                // Reference: each output matrix as a batch-1 MatMulF32 of the matrices numpy's rules pick.
                var picks = Broadcast([batchA, batchB], at => (at[0], at[1]));
                var expected = new float[y.Length];
                for (int t = 0; t < picks.Length; t++)
                {
                    var (ta, tb) = picks[t];
                    Kernels.MatMulF32(a.AsSpan(ta * m * k, m * k), b.AsSpan(tb * k * n, k * n), 1, m, k, n, false, false, expected.AsSpan(t * m * n, m * n));
                }

                Assert.True(expected.AsSpan().SequenceEqual(y), $"[{string.Join(",", batchA)}] × [{string.Join(",", batchB)}], {m}×{k}×{n}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(652);
        var batch = BroadcastShape.Create([2, 1], [1, 3])!;
        foreach (var (m, k, n) in new[] { (1, 1, 1), (7, 33, 17), (12, 64, 40) })
        {
            var a = RandomFloats(random, 2 * m * k);
            var b = RandomFloats(random, 3 * k * n);
            var scalar = new float[6 * m * n];
            var vector = new float[6 * m * n];
            Kernels.MatMulBroadcastF32(a, b, m, k, n, batch, scalar, SimdLevel.Scalar);
            Kernels.MatMulBroadcastF32(a, b, m, k, n, batch, vector, simd);
            Assert.True(scalar.AsSpan().SequenceEqual(vector), $"{level} {m}×{k}×{n}");
        }
    }

    [Fact]
    public void Operands_that_do_not_fit_the_batch_are_refused()
    {
        var batch = BroadcastShape.Create([3, 1], [1, 2])!;
        Assert.Throws<ArgumentException>(() => Kernels.MatMulBroadcastF32(new float[2 * 4], new float[2 * 4], 2, 2, 2, batch, new float[6 * 4]));
        Assert.Throws<ArgumentException>(() => Kernels.MatMulBroadcastF32(new float[3 * 4], new float[2 * 4], 2, 2, 2, batch, new float[5 * 4]));
    }
}
