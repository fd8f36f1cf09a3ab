using Onnx;

namespace BuildOptim.Onnx;

/// <summary>
/// Turns a graph's <c>sparse_initializer</c> into a dense <see cref="Tensor"/>: <c>values</c> [NNZ] placed at
/// <c>indices</c>, either [NNZ] linear offsets or [NNZ, rank] coordinates, in a tensor of <c>dims</c>.
/// Values and indices go through the same checks as dense initializers (external data refused, sizes
/// bounded), and every index is checked against the dense shape.
/// </summary>
internal static class SparseInitializers
{
    public static Tensor ToDense(SparseTensorProto sparse, string path)
    {
        string name = sparse.Values?.Name is { Length: > 0 } n ? n : "(unnamed)";
        string subject = $"Sparse initializer '{name}' in '{path}'";
        if (sparse.Values is null || sparse.Indices is null)
        {
            throw Invalid(path, $"{subject} has no values or no indices.");
        }

        // Both parts are TensorProtos: external data is refused here, before anything else can read it.
        var values = OnnxModelLoader.ToTensor(sparse.Values, path);
        var indices = OnnxModelLoader.ToTensor(sparse.Indices, path);
        int[] dims = ModelLimits.Dims(sparse.Dims.ToArray(), path, subject);
        int count = ModelLimits.ElementCount(dims, path, subject);
        int nonZero = values.ElementCount;
        if (values.Dims.Length != 1)
        {
            throw Invalid(path, $"{subject} has values of shape [{string.Join(",", values.Dims)}]; they must be 1-D.");
        }

        if (indices.Int64s is not { } index || indices.IsFloat)
        {
            throw Invalid(path, $"{subject} has non-integer indices.");
        }

        bool linear = indices.Dims is [var nnz] && nnz == nonZero;
        bool coordinates = indices.Dims is [var rows, var rank] && rows == nonZero && rank == dims.Length;
        if (!linear && !coordinates)
        {
            throw Invalid(path, $"{subject} has indices of shape [{string.Join(",", indices.Dims)}] for {nonZero} values in a tensor of rank {dims.Length}.");
        }

        var offsets = new int[nonZero];
        for (int v = 0; v < nonZero; v++)
        {
            long offset = 0;
            if (linear)
            {
                offset = index[v];
            }
            else
            {
                for (int d = 0; d < dims.Length; d++)
                {
                    long coordinate = index[(v * dims.Length) + d];
                    if (coordinate < 0 || coordinate >= dims[d])
                    {
                        throw Invalid(path, $"{subject} has coordinate {coordinate} along axis {d} of size {dims[d]} (value {v}).");
                    }

                    offset = (offset * dims[d]) + coordinate;
                }
            }

            if (offset < 0 || offset >= count)
            {
                throw Invalid(path, $"{subject} has index {offset} outside its {count} elements (value {v}).");
            }

            offsets[v] = (int)offset;
        }

        if (values.IsFloat)
        {
            var dense = new float[count];
            for (int v = 0; v < nonZero; v++)
            {
                dense[offsets[v]] = values.Floats![v];
            }

            return new Tensor(name, dims, dense);
        }

        var denseInts = new long[count];
        for (int v = 0; v < nonZero; v++)
        {
            denseInts[offsets[v]] = values.Int64s![v];
        }

        return new Tensor(name, dims, denseInts, values.Type);
    }

    private static OnnxModelException Invalid(string path, string message) => new(OnnxDiagnostics.InvalidModel, path, message);
}
