using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class LayoutTests
{
    [Fact]
    public void CopyStrided_concatenates_along_any_axis()
    {
        var random = new Random(501);
        int[][] shapes = [[2, 3, 4], [2, 1, 4], [2, 5, 4]];
        for (int axis = 0; axis < 3; axis++)
        {
            var inputShapes = shapes.Select(s => axis == 1 ? s : Rotate(s, axis)).ToArray();
            var inputs = inputShapes.Select(s => RandomFloats(random, Count(s))).ToArray();
            var outShape = (int[])inputShapes[0].Clone();
            outShape[axis] = inputShapes.Sum(s => s[axis]);
            int outer = outShape.Take(axis).Aggregate(1, (p, d) => p * d);
            int after = outShape.Skip(axis + 1).Aggregate(1, (p, d) => p * d);
            var y = new float[Count(outShape)];
            var codes = new byte[y.Length];
            int offset = 0;
            for (int i = 0; i < inputs.Length; i++)
            {
                int inner = inputShapes[i][axis] * after;
                Kernels.CopyStrided(inputs[i], outer, inner, y, outShape[axis] * after, offset);
                Kernels.CopyStridedU8(Array.ConvertAll(inputs[i], v => (byte)(128 + (100 * v))), outer, inner, codes, outShape[axis] * after, offset);
                offset += inner;
            }

            // Reference: output index (o, a, r) reads input k at (o, a − start_k, r).
            for (int at = 0; at < y.Length; at++)
            {
                int o = at / (outShape[axis] * after), a = at / after % outShape[axis], r = at % after;
                int k = 0, start = 0;
                while (a - start >= inputShapes[k][axis])
                {
                    start += inputShapes[k][axis];
                    k++;
                }

                float expected = inputs[k][(((o * inputShapes[k][axis]) + (a - start)) * after) + r];
                Assert.Equal(expected, y[at]);
                Assert.Equal((byte)(128 + (100 * expected)), codes[at]);
            }
        }
    }

    [Fact]
    public void CopyStrided_rejects_blocks_that_do_not_fit()
    {
        Assert.Throws<ArgumentException>(() => Kernels.CopyStrided(new float[6], 2, 3, new float[8], 4, 2));
        Assert.Throws<ArgumentException>(() => Kernels.CopyStrided(new float[5], 2, 3, new float[8], 4, 0));
        Assert.Throws<ArgumentException>(() => Kernels.CopyStridedU8(new byte[6], 2, 3, new byte[7], 4, 0));
    }

    [Fact]
    public void Transpose_matches_index_reference_for_every_permutation_up_to_rank_4()
    {
        var random = new Random(502);
        int[][] shapes = [[], [7], [3, 5], [1, 4], [2, 3, 4], [3, 1, 5], [2, 3, 4, 5], [1, 16, 7, 1], [4, 1, 1, 9]];
        foreach (var dims in shapes)
        {
            foreach (var perm in Permutations(dims.Length))
            {
                AssertTranspose(random, dims, perm);
            }
        }
    }

    [Fact]
    public void Transpose_handles_rank_6_and_large_blocks()
    {
        var random = new Random(503);
        AssertTranspose(random, [2, 3, 1, 2, 3, 2], [5, 3, 0, 4, 1, 2]);
        AssertTranspose(random, [2, 2, 2, 2, 2, 2], [1, 0, 3, 2, 5, 4]);
        AssertTranspose(random, [1, 64, 28, 28], [0, 2, 3, 1]);
        AssertTranspose(random, [1, 28, 28, 64], [0, 3, 1, 2]);
    }

    [Fact]
    public void Transpose_rejects_bad_permutations_and_lengths()
    {
        Assert.Throws<ArgumentException>(() => Kernels.TransposeF32(new float[6], [2, 3], [0, 0], new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.TransposeF32(new float[6], [2, 3], [1, 2], new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.TransposeF32(new float[6], [2, 3], [1], new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.TransposeU8(new byte[6], [2, 3], [1, 0], new byte[5]));
        Assert.Throws<ArgumentException>(() => Kernels.TransposeU8(new byte[1], [1, 1, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5, 6], new byte[1]));
    }

    [Theory]
    [InlineData(nameof(PadMode.Constant))]
    [InlineData(nameof(PadMode.Reflect))]
    [InlineData(nameof(PadMode.Edge))]
    [InlineData(nameof(PadMode.Wrap))]
    public void Pad_matches_index_reference_including_crops(string modeName)
    {
        var mode = Enum.Parse<PadMode>(modeName);
        var random = new Random(504);
        (int[] Dims, int[] Pads)[] cases =
        [
            ([5], [2, 3]),
            ([5], [-1, 2]),
            ([4, 6], [1, 2, 3, 0]),
            ([4, 6], [0, -2, 1, -1]),
            ([1, 3, 4, 5], [0, 0, 1, 2, 0, 0, 3, 2]),
            ([1, 3, 4, 5], [0, 1, -1, 0, 0, -1, 2, -2]),
            ([2, 3, 4], [1, 2, 3, 1, 2, 3]),
            ([3, 4], [5, 7, 6, 9]),
            ([1, 2, 1, 2, 1, 2], [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]),
            ([1], [3, 2]),
            ([4], [0, 0]),
        ];
        foreach (var (dims, pads) in cases)
        {
            var x = RandomFloats(random, Count(dims));
            int rank = dims.Length;
            var outDims = Enumerable.Range(0, rank).Select(k => dims[k] + pads[k] + pads[rank + k]).ToArray();
            var y = new float[Count(outDims)];
            Kernels.PadF32(x, dims, pads, mode, 9.5f, y);
            var codes = Array.ConvertAll(x, v => (byte)(128 + (100 * v)));
            var yCodes = new byte[y.Length];
            Kernels.PadU8(codes, dims, pads, mode, 7, yCodes);

            var index = new int[rank];
            for (int at = 0; at < y.Length; at++)
            {
                int rest = at, source = 0, stride = 1;
                bool constant = false;
                for (int k = rank - 1; k >= 0; k--)
                {
                    int i = (rest % outDims[k]) - pads[k];
                    rest /= outDims[k];
                    int mapped = MapReference(i, dims[k], mode);
                    constant |= mapped < 0;
                    source += mapped * stride;
                    stride *= dims[k];
                }

                Assert.Equal(constant ? 9.5f : x[source], y[at]);
                Assert.Equal(constant ? (byte)7 : codes[source], yCodes[at]);
            }
        }
    }

    [Fact]
    public void Pad_rejects_bad_shapes()
    {
        Assert.Throws<ArgumentException>(() => Kernels.PadF32(new float[4], [4], [1], PadMode.Constant, 0, new float[5]));
        Assert.Throws<ArgumentException>(() => Kernels.PadF32(new float[4], [4], [1, 1], PadMode.Constant, 0, new float[5]));
        Assert.Throws<ArgumentException>(() => Kernels.PadF32(new float[4], [4], [-3, -2], PadMode.Constant, 0, new float[0]));
        Assert.Throws<ArgumentException>(() => Kernels.PadF32(new float[0], [0], [1, 1], PadMode.Edge, 0, new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.PadU8(new byte[4], [4], [1, 1], (PadMode)7, 0, new byte[6]));
    }

    private static void AssertTranspose(Random random, int[] dims, int[] perm)
    {
        var x = RandomFloats(random, Count(dims));
        var outDims = perm.Select(p => dims[p]).ToArray();
        var y = new float[x.Length];
        var yCodes = new byte[x.Length];
        var codes = Array.ConvertAll(x, v => (byte)(128 + (100 * v)));
        Kernels.TransposeF32(x, dims, perm, y);
        Kernels.TransposeU8(codes, dims, perm, yCodes);
        var outIndex = new int[dims.Length];
        var inIndex = new int[dims.Length];
        for (int at = 0; at < y.Length; at++)
        {
            int rest = at;
            for (int k = dims.Length - 1; k >= 0; k--)
            {
                outIndex[k] = rest % outDims[k];
                rest /= outDims[k];
            }

            for (int k = 0; k < dims.Length; k++)
            {
                inIndex[perm[k]] = outIndex[k];
            }

            int source = 0;
            for (int k = 0; k < dims.Length; k++)
            {
                source = (source * dims[k]) + inIndex[k];
            }

            if (x[source] != y[at] || codes[source] != yCodes[at])
            {
                Assert.Fail($"dims [{string.Join(",", dims)}] perm [{string.Join(",", perm)}]: output {at} should be input {source}.");
            }
        }
    }

    /// <summary>numpy's pad modes by repeated folding: reflect mirrors about the edge elements until the index lands inside.</summary>
    private static int MapReference(int i, int size, PadMode mode)
    {
        switch (mode)
        {
            case PadMode.Constant:
                return i >= 0 && i < size ? i : -1;
            case PadMode.Edge:
                return Math.Clamp(i, 0, size - 1);
            case PadMode.Wrap:
                while (i < 0)
                {
                    i += size;
                }

                return i % size;
            default:
                if (size == 1)
                {
                    return 0;
                }

                while (i < 0 || i >= size)
                {
                    i = i < 0 ? -i : (2 * (size - 1)) - i;
                }

                return i;
        }
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0)
        {
            yield return [];
            yield break;
        }

        foreach (var rest in Permutations(n - 1))
        {
            for (int at = 0; at <= rest.Length; at++)
            {
                yield return [.. rest[..at], n - 1, .. rest[at..]];
            }
        }
    }

    private static int[] Rotate(int[] shape, int axis)
    {
        // Move the varying middle extent to `axis` so each axis sees inputs of different sizes.
        var r = (int[])shape.Clone();
        (r[1], r[axis]) = (r[axis], r[1]);
        return r;
    }

    private static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);
}
