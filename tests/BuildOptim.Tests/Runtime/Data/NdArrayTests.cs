using BuildOptim.Runtime.Data;

namespace BuildOptim.Tests.Runtime.Data;

public sealed class NdArrayTests
{
    private static NdArray Array(ElementKind kind, int[] shape, params float[] data) => new("labels", kind, shape, data, "set.npz");

    [Fact]
    public void Sample_returns_the_row_of_the_first_dimension()
    {
        NdArray array = Array(ElementKind.Float32, [3, 2, 2], Enumerable.Range(0, 12).Select(i => (float)i).ToArray());

        Assert.Equal(3, array.SampleCount);
        Assert.Equal(4, array.SampleLength);
        Assert.Equal([4f, 5f, 6f, 7f], array.Sample(1).ToArray());
    }

    [Fact]
    public void Sample_of_a_one_dimensional_array_is_one_value()
    {
        NdArray array = Array(ElementKind.Int64, [3], 7, 8, 9);

        Assert.Equal(3, array.SampleCount);
        Assert.Equal(1, array.SampleLength);
        Assert.Equal([9f], array.Sample(2).ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2)]
    public void Sample_outside_the_array_throws(int index)
    {
        NdArray array = Array(ElementKind.Float32, [2, 1], 1, 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => array.Sample(index).ToArray());
    }

    [Fact]
    public void Constructor_rejects_data_that_does_not_fill_the_shape()
    {
        Assert.Throws<ArgumentException>(() => Array(ElementKind.Float32, [2, 2], 1, 2, 3));
        Assert.Throws<ArgumentException>(() => Array(ElementKind.Float32, [65536, 65536], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Array(ElementKind.Float32, [-1], 1));
    }

    [Fact]
    public void Shape_is_a_copy_the_caller_cannot_change()
    {
        int[] shape = [2];
        NdArray array = Array(ElementKind.Float32, shape, 1, 2);
        shape[0] = 99;

        Assert.Equal([2], array.Shape);
        Assert.IsNotType<int[]>(array.Shape);
    }

    [Theory]
    [InlineData(ElementKind.Int8)]
    [InlineData(ElementKind.UInt8)]
    [InlineData(ElementKind.Int32)]
    [InlineData(ElementKind.Int64)]
    [InlineData(ElementKind.UInt64)]
    [InlineData(ElementKind.Bool)]
    public void ToLabels_converts_integer_kinds(ElementKind kind)
    {
        Assert.Equal([1, 0, 1], Array(kind, [3], 1, 0, 1).ToLabels());
    }

    [Fact]
    public void ToLabels_accepts_a_column_and_negative_ids()
    {
        Assert.Equal([4, -1, 9], Array(ElementKind.Int32, [3, 1], 4, -1, 9).ToLabels());
    }

    [Fact]
    public void ToLabels_accepts_floats_that_are_exact_integers()
    {
        Assert.Equal([0, 2, 16777216], Array(ElementKind.Float64, [3], 0, 2, 16777216).ToLabels());
    }

    [Theory]
    [InlineData(2.5f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(1e20f)]
    [InlineData(-33554432f)]
    public void ToLabels_rejects_values_that_are_not_exact_class_ids_with_BOPT1106(float value)
    {
        NdArray array = Array(ElementKind.Float32, [2], 1, value);

        var error = DataAssert.Fails("BOPT1106", "set.npz", () => array.ToLabels());
        Assert.Contains("array 'labels'", error.Message);
        Assert.Contains("sample 1", error.Message);
    }

    [Theory]
    [InlineData(new[] { 2, 2 })]
    [InlineData(new[] { 1, 2, 2 })]
    [InlineData(new int[0])]
    public void ToLabels_rejects_arrays_that_are_not_one_id_per_sample_with_BOPT1106(int[] shape)
    {
        int count = shape.Aggregate(1, (a, b) => a * b);
        NdArray array = Array(ElementKind.Int64, shape, new float[count]);

        var error = DataAssert.Fails("BOPT1106", "set.npz", () => array.ToLabels());
        Assert.Contains("(N,) or (N, 1)", error.Message);
    }
}
