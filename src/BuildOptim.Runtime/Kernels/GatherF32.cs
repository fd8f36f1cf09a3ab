namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// ONNX Gather along the middle axis of <paramref name="data"/> [outer, axisSize, inner]:
    /// <c>y[o, k, i] = data[o, j, i]</c> with <c>j = indices[k]</c>, or <c>indices[k] + axisSize</c> when negative, for k in
    /// [0, indices.Length). Indices are integers held as floats (an embedding lookup's token ids).
    /// </summary>
    /// <remarks>
    /// Each picked row of <paramref name="inner"/> floats is one block copy. An index outside [−axisSize, axisSize) (or NaN)
    /// is an <see cref="ArgumentOutOfRangeException"/>, as ONNX Runtime refuses it: a token id beyond the vocabulary must
    /// not read another tensor's memory.
    /// </remarks>
    internal static void GatherF32(ReadOnlySpan<float> data, ReadOnlySpan<float> indices, int outer, int axisSize, int inner, Span<float> y)
    {
        if (outer < 0 || axisSize < 0 || inner < 0 || data.Length != (long)outer * axisSize * inner || y.Length != (long)outer * indices.Length * inner)
        {
            ThrowShape($"Gather of [{outer}, {axisSize}, {inner}] by {indices.Length} indices got {data.Length} and {y.Length} elements.");
        }

        GatherF32Core(data, indices, outer, axisSize, inner, y);
    }

    /// <summary><see cref="GatherF32"/> with its shapes checked by the caller (<see cref="PlanRunner"/>, at load); the indices are checked here, on every call.</summary>
    internal static void GatherF32Core(ReadOnlySpan<float> data, ReadOnlySpan<float> indices, int outer, int axisSize, int inner, Span<float> y)
    {
        int count = indices.Length;
        for (int k = 0; k < count; k++)
        {
            float index = indices[k];
            if (!(index >= -axisSize && index < axisSize))
            {
                ThrowIndex(index, axisSize);
            }
        }

        for (int o = 0; o < outer; o++)
        {
            var source = data.Slice(o * axisSize * inner, axisSize * inner);
            var target = y.Slice(o * count * inner, count * inner);
            for (int k = 0; k < count; k++)
            {
                int j = (int)indices[k];
                j = j < 0 ? j + axisSize : j;
                source.Slice(j * inner, inner).CopyTo(target.Slice(k * inner, inner));
            }
        }
    }

    private static void ThrowIndex(float index, int axisSize)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"Gather index {index} is outside [{-axisSize}, {axisSize}).");
}
