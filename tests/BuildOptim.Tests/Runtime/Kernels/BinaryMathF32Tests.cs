using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.ElementwiseTests;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary><see cref="Kernels.BinaryMathF32"/>: numpy broadcasting, each function as its scalar definition, every width bit-identical.</summary>
public class BinaryMathF32Tests
{
    /// <summary>Same shape, scalars either side, per-channel, innermost and two-sided broadcasts, rank 0 and 6.</summary>
    private static readonly (int[] A, int[] B)[] Shapes =
    [
        ([2, 3, 4, 5], [2, 3, 4, 5]),
        ([37], [37]),
        ([3, 7, 9], [1]),
        ([1], [3, 7, 9]),
        ([1, 8, 6, 7], [1, 8, 1, 1]),
        ([2, 3, 4, 5], [5]),
        ([4, 1, 6], [1, 5, 1]),
        ([1, 2, 1, 3, 1, 4], [2, 1, 3, 1, 5, 1]),
        ([], []),
    ];

    public static TheoryData<string> Ops => [.. Enum.GetNames<BinaryMathOp>()];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Broadcasts_like_numpy_and_computes_each_element_as_its_scalar_definition(string opName)
    {
        var op = Enum.Parse<BinaryMathOp>(opName);
        var random = new Random(1511);
        foreach (var (dimsA, dimsB) in Shapes)
        {
            var shape = BroadcastShape.Create(dimsA, dimsB)!;
            var a = RandomFloats(random, Count(dimsA), -3, 3);
            var b = RandomFloats(random, Count(dimsB), -3, 3);
            var y = new float[shape.Length];
            Kernels.BinaryMathF32(op, a, b, shape, y, SimdLevel.Vector512);
            var expected = Broadcast(dimsA, dimsB, (i, j) => Definition(op, a[i], b[j]));
            AssertBitIdentical(expected, y, $"{op} [{string.Join(",", dimsA)}] with [{string.Join(",", dimsB)}]");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(1512);
        foreach (var op in Enum.GetValues<BinaryMathOp>())
        {
            foreach (var (dimsA, dimsB) in Shapes)
            {
                var shape = BroadcastShape.Create(dimsA, dimsB)!;
                var a = RandomFloats(random, Count(dimsA), -3, 3);
                var b = RandomFloats(random, Count(dimsB), -3, 3);
                var scalar = new float[shape.Length];
                var vector = new float[shape.Length];
                Kernels.BinaryMathF32(op, a, b, shape, scalar, SimdLevel.Scalar);
                Kernels.BinaryMathF32(op, a, b, shape, vector, simd);
                AssertBitIdentical(scalar, vector, $"{op} {level} [{string.Join(",", dimsA)}] with [{string.Join(",", dimsB)}]");
            }
        }
    }

    private static float Definition(BinaryMathOp op, float a, float b) => op switch
    {
        BinaryMathOp.Pow => MathF.Pow(a, b),
        BinaryMathOp.Max => MathF.Max(a, b),
        BinaryMathOp.Min => MathF.Min(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };
}
