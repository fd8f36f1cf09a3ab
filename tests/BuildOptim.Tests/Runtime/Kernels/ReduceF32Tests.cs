using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary><see cref="Kernels.ReduceF32"/>: each reduction against double precision, and every width bit-identical to the scalar twin.</summary>
public class ReduceF32Tests
{
    /// <summary>[outer, reduced, inner]: contiguous rows of every length to past two 16-element blocks, strided rows, nothing to reduce.</summary>
    private static readonly (int Outer, int Reduced, int Inner)[] Shapes =
    [
        .. Enumerable.Range(0, 40).Select(r => (3, r, 1)),
        (2, 300, 1), (1, 7, 5), (4, 3, 33), (2, 64, 9), (1, 1, 17), (3, 0, 4), (0, 5, 2),
    ];

    public static TheoryData<string> Ops => [.. Enum.GetNames<ReduceOp>()];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Each_reduction_is_its_definition_within_float_rounding(string opName)
    {
        var op = Enum.Parse<ReduceOp>(opName);
        var random = new Random(1521);
        foreach (var (outer, reduced, inner) in Shapes)
        {
            var x = RandomFloats(random, outer * reduced * inner, -2, 2);
            var y = new float[outer * inner];
            Kernels.ReduceF32(op, x, outer, reduced, inner, y, SimdLevel.Vector512);
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < inner; i++)
                {
                    var values = Enumerable.Range(0, reduced).Select(r => (double)x[(((o * reduced) + r) * inner) + i]).ToArray();
                    double expected = op switch
                    {
                        ReduceOp.Sum => values.Sum(),
                        ReduceOp.Mean => values.Sum() / reduced,
                        ReduceOp.Max => values.DefaultIfEmpty(double.NegativeInfinity).Max(),
                        ReduceOp.Min => values.DefaultIfEmpty(double.PositiveInfinity).Min(),
                        ReduceOp.SumSquare => values.Sum(v => v * v),
                        _ => Math.Sqrt(values.Sum(v => v * v)),
                    };

                    // Each of the n roundings of a sum errs by at most half an ulp of a partial sum bounded by Σ|x|.
                    double magnitude = op is ReduceOp.SumSquare or ReduceOp.L2 ? values.Sum(v => v * v) : values.Sum(Math.Abs);
                    double allowed = op is ReduceOp.Max or ReduceOp.Min ? 0 : (reduced + 2) * magnitude * 6e-8 / (op == ReduceOp.Mean ? Math.Max(reduced, 1) : 1);
                    float actual = y[(o * inner) + i];
                    string context = $"{op} [{outer}, {reduced}, {inner}] at ({o}, {i}): {actual}, expected {expected}";
                    Assert.True(double.IsNaN(expected) ? float.IsNaN(actual) : actual == expected || Math.Abs(actual - expected) <= allowed + (op == ReduceOp.L2 ? 6e-8 * expected : 0), context);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(1522);
        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            foreach (var (outer, reduced, inner) in Shapes)
            {
                var x = RandomFloats(random, outer * reduced * inner, -2, 2);
                if (x.Length > 5)
                {
                    x[x.Length / 3] = float.NaN; // wins every maximum and minimum it takes part in
                }

                var scalar = new float[outer * inner];
                var vector = new float[outer * inner];
                Kernels.ReduceF32(op, x, outer, reduced, inner, scalar, SimdLevel.Scalar);
                Kernels.ReduceF32(op, x, outer, reduced, inner, vector, simd);
                AssertBitIdentical(scalar, vector, $"{op} {level} [{outer}, {reduced}, {inner}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void SumF32_takes_the_fixed_order_of_its_scalar_twin_at_every_length(string level)
    {
        var simd = SimdLevels.Parse(level);
        var x = RandomFloats(new Random(1523), 300, -1e3f, 1e3f);
        for (int length = 0; length <= x.Length; length++)
        {
            float expected = Kernels.SumF32Scalar(x.AsSpan(0, length));
            float actual = Kernels.SumF32(x.AsSpan(0, length), simd);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual), $"{level} length {length}: {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Kernels.ReduceF32(ReduceOp.Sum, new float[6], 2, 3, 1, new float[3], SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => Kernels.ReduceF32(ReduceOp.Sum, new float[5], 1, 3, 2, new float[2], SimdLevel.Scalar));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.ReduceF32((ReduceOp)99, new float[6], 2, 3, 1, new float[2], SimdLevel.Scalar));
    }
}
