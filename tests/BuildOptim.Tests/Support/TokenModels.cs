namespace BuildOptim.Tests;

/// <summary>
/// A small sequence model as a transformer's feed-forward block is built: token ids → embedding lookup → MatMul + bias →
/// Relu → MatMul + bias, over <c>rows</c> tokens (dense layers of several rows: an int8 plan of it is dynamic).
/// </summary>
internal static class TokenModels
{
    public const int Vocabulary = 200;
    public const int Hidden = 40;
    public const int Inner = 72;

    /// <summary>Writes the model for <paramref name="rows"/> tokens into <paramref name="folder"/> and returns its path and weights.</summary>
    public static (string Path, float[] Table, float[] W1, float[] B1, float[] W2, float[] B2) Write(string folder, int rows, int seed = 7)
    {
        var random = new Random(seed);
        float[] Random(int count, double scale) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * 2 * scale)).ToArray();
        var table = Random(Vocabulary * Hidden, 1);
        var w1 = Random(Hidden * Inner, 0.3);
        var b1 = Random(Inner, 0.1);
        var w2 = Random(Inner * Hidden, 0.3);
        var b2 = Random(Hidden, 0.1);
        var builder = new OnnxModelBuilder(features: rows)
            .Floats("table", table, Vocabulary, Hidden)
            .Int64s("shape", [1, rows], 2)
            .Floats("W1", w1, Hidden, Inner)
            .Floats("b1", b1, Inner)
            .Floats("W2", w2, Inner, Hidden)
            .Floats("b2", b2, Hidden)
            .Int64s("flat", [1, rows * Hidden], 2)
            .Node("Reshape", "ids", ["x", "shape"], ["i"])
            .Node("Cast", "to_int", ["i"], ["c"], OnnxModelBuilder.Attr("to", 7L))
            .Node("Gather", "embed", ["table", "c"], ["e"])
            .Node("MatMul", "up", ["e", "W1"], ["u"])
            .Node("Add", "up_bias", ["u", "b1"], ["ub"])
            .Node("Relu", "relu", ["ub"], ["h"])
            .Node("MatMul", "down", ["h", "W2"], ["d"])
            .Node("Add", "down_bias", ["d", "b2"], ["db"])
            .Node("Reshape", "out", ["db", "flat"], ["y"])
            .Output("y", rows * Hidden);
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, $"tokens{rows}.onnx");
        File.WriteAllBytes(path, builder.ToBytes());
        return (path, table, w1, b1, w2, b2);
    }
}
