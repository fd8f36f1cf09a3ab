using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

/// <summary><see cref="Kernels.LayerNormF32"/>: the two-pass normalization in double, every width bit-identical to the scalar twin.</summary>
public class LayerNormF32Tests
{
    private static readonly (int Rows, int Cols)[] Shapes = [.. Enumerable.Range(1, 40).Select(c => (3, c)), (2, 384), (5, 17), (0, 8), (1, 1)];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Each_row_is_normalized_then_scaled_and_shifted(bool withBias)
    {
        var random = new Random(1531);
        foreach (var (rows, cols) in Shapes)
        {
            var x = RandomFloats(random, rows * cols, -3, 5);
            var scale = RandomFloats(random, cols, 0.5f, 2);
            var bias = withBias ? RandomFloats(random, cols, -1, 1) : [];
            var y = new float[x.Length];
            Kernels.LayerNormF32(x, rows, cols, 1e-5f, scale, bias, y, SimdLevel.Vector512);
            for (int r = 0; r < rows; r++)
            {
                var row = x.AsSpan(r * cols, cols).ToArray().Select(v => (double)v).ToArray();
                double mean = row.Average();
                double deviation = Math.Sqrt(row.Sum(v => (v - mean) * (v - mean)) / cols + 1e-5);
                for (int i = 0; i < cols; i++)
                {
                    double expected = ((row[i] - mean) / deviation * scale[i]) + (withBias ? bias[i] : 0);
                    Assert.True(Math.Abs(y[(r * cols) + i] - expected) <= 2e-5 * (1 + Math.Abs(expected)), $"[{rows}, {cols}] ({r}, {i}): {y[(r * cols) + i]}, expected {expected}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_paths_are_bit_identical_to_the_scalar_twin_and_in_place_is_the_same(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(1532);
        foreach (var (rows, cols) in Shapes)
        {
            foreach (bool withBias in new[] { true, false })
            {
                var x = RandomFloats(random, rows * cols, -3, 5);
                var scale = RandomFloats(random, cols, -2, 2);
                var bias = withBias ? RandomFloats(random, cols, -1, 1) : [];
                var scalar = new float[x.Length];
                var vector = new float[x.Length];
                Kernels.LayerNormF32(x, rows, cols, 1e-3f, scale, bias, scalar, SimdLevel.Scalar);
                Kernels.LayerNormF32(x, rows, cols, 1e-3f, scale, bias, vector, simd);
                AssertBitIdentical(scalar, vector, $"{level} [{rows}, {cols}] bias {withBias}");
                Kernels.LayerNormF32(x, rows, cols, 1e-3f, scale, bias, x, simd);
                AssertBitIdentical(scalar, x, $"{level} [{rows}, {cols}] bias {withBias} in place");
            }
        }
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Kernels.LayerNormF32(new float[6], 2, 3, 1e-5f, new float[2], [], new float[6], SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => Kernels.LayerNormF32(new float[6], 2, 3, 1e-5f, new float[3], new float[2], new float[6], SimdLevel.Scalar));
        Assert.Throws<ArgumentException>(() => Kernels.LayerNormF32(new float[6], 2, 3, 1e-5f, new float[3], [], new float[5], SimdLevel.Scalar));
    }
}
