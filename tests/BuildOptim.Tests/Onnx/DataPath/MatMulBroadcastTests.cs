namespace BuildOptim.Tests.Onnx.DataPath;

/// <summary>MatMul of two runtime tensors with numpy broadcasting of every batch dim, as ONNX Runtime computes it.</summary>
public class MatMulBroadcastTests
{
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(new long[] { 2, 1, 3, 4 }, new long[] { 1, 3, 4, 5 })]
    [InlineData(new long[] { 3, 1, 2, 4 }, new long[] { 5, 4, 2 })]
    [InlineData(new long[] { 4 }, new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 2, 1, 3, 4 }, new long[] { 4 })]
    [InlineData(new long[] { 1, 2, 3, 4 }, new long[] { 2, 1, 4, 6 })]
    public void Batch_dims_broadcast_both_ways(long[] a, long[] b)
    {
        var model = new TypedModel()
            .Input("a", Values((int)a.Aggregate(1L, (p, d) => p * d), 1), a)
            .Input("b", Values((int)b.Aggregate(1L, (p, d) => p * d), 2), b)
            .Node("MatMul", ["a", "b"], ["y"])
            .Output("y");

        model.AssertMatchesOnnxRuntime(tolerance: 1e-5f);
        model.AssertMatchesOnnxRuntime(int8: true, tolerance: 1e-5f);
    }

    [Fact]
    public void Attention_scores_and_context_of_a_batch_of_heads()
    {
        // Q·Kᵀ over [1, heads, seq, d], softmax, then P·V: equal batches, the existing batched op.
        var model = new TypedModel()
            .Input("q", Values(2 * 5 * 8, 3), 1, 2, 5, 8)
            .Input("k", Values(2 * 5 * 8, 4), 1, 2, 5, 8)
            .Input("v", Values(2 * 5 * 8, 5), 1, 2, 5, 8)
            .Node("Transpose", ["k"], ["kt"], OnnxModelBuilder.Attr("perm", 0L, 1L, 3L, 2L))
            .Node("MatMul", ["q", "kt"], ["scores"])
            .Node("Softmax", ["scores"], ["p"], OnnxModelBuilder.Attr("axis", -1L))
            .Node("MatMul", ["p", "v"], ["context"])
            .Output("context");

        model.AssertMatchesOnnxRuntime(tolerance: 1e-5f);
    }
}
