using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class GatherF32Tests
{
    [Theory]
    [InlineData(1, 30, 16)] // an embedding table: rows of 16
    [InlineData(3, 7, 5)]
    [InlineData(4, 9, 1)] // the last axis: single floats
    [InlineData(2, 5, 0)]
    [InlineData(0, 5, 3)]
    public void Gather_copies_the_indexed_rows_counting_negative_indices_from_the_end(int outer, int axisSize, int inner)
    {
        var random = new Random(631 + outer + axisSize + inner);
        var data = RandomFloats(random, outer * axisSize * inner);
        var indices = Enumerable.Range(0, 11).Select(_ => (float)random.Next(-axisSize, axisSize)).ToArray();
        var y = new float[outer * indices.Length * inner];

        Kernels.GatherF32(data, indices, outer, axisSize, inner, y);

        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < indices.Length; k++)
            {
                int j = indices[k] < 0 ? (int)indices[k] + axisSize : (int)indices[k];
                for (int i = 0; i < inner; i++)
                {
                    Assert.Equal(data[(((o * axisSize) + j) * inner) + i], y[(((o * indices.Length) + k) * inner) + i]);
                }
            }
        }
    }

    [Theory]
    [InlineData(5f)]
    [InlineData(-6f)]
    [InlineData(1e9f)]
    [InlineData(float.NaN)]
    public void An_index_outside_the_axis_is_refused_before_anything_is_read(float index)
    {
        var y = new float[6];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.GatherF32(new float[10], [1f, index, 0f], 1, 5, 2, y));
        Assert.Contains("outside [-5, 5)", error.Message);
    }

    [Fact]
    public void Shapes_that_do_not_fit_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Kernels.GatherF32(new float[9], [0f], 1, 5, 2, new float[2]));
        Assert.Throws<ArgumentException>(() => Kernels.GatherF32(new float[10], [0f], 1, 5, 2, new float[3]));
    }
}
