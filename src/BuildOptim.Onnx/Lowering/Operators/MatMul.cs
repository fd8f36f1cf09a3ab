using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// numpy matmul: a <see cref="DenseLayer"/> when the right operand is a 2-D float constant (weights), a
/// <see cref="MatMulLayer"/> of two tensors otherwise.
/// </summary>
internal static class MatMul
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        string path = n.Path;
        var right = n.Input(1) ?? throw n.Missing(1);
        int[] leftDims = n.DimsOf(n.Inputs[0]!), rightDims = n.DimsOf(right);
        if (leftDims.Length == 0 || rightDims.Length == 0)
        {
            throw n.Bad($"multiplies [{string.Join(",", leftDims)}] by [{string.Join(",", rightDims)}]; MatMul takes no 0-d (scalar) operand");
        }

        if (n.Inputs[0] is RuntimeValue a && right is ConstantValue { Tensor: { IsFloat: true, Dims.Length: 2 } b })
        {
            var aShape = c.Shape(a.Id);
            int k = b.Dims[0], nOut = b.Dims[1];
            if (aShape[^1] != k)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"MatMul '{node.DisplayName}' in '{path}' multiplies [..,{aShape[^1]}] by [{k},{nOut}].");
            }

            int[] outShape = aShape.Length == 1 ? [nOut] : [.. aShape[..^1], nOut];
            return n.Add(new DenseLayer
            {
                Name = node.DisplayName, Inputs = [a.Id], Output = c.NewValue(node.Outputs[0], outShape),
                K = k, N = nOut, Weights = RowsPerOutput(c, node, b, k, nOut, transposed: false, 1f), Bias = new float[nOut],
            });
        }

        var shape = MatMulShape(leftDims, rightDims)
            ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"MatMul '{node.DisplayName}' in '{path}' has incompatible shapes [{string.Join(",", leftDims)}] × [{string.Join(",", rightDims)}].");
        int leftId = c.Materialize(n.Inputs[0]!, node.Inputs[0]);
        int rightId = c.Materialize(right, node.Inputs[1]);
        return n.Add(new MatMulLayer { Name = node.DisplayName, Inputs = [leftId, rightId], Output = c.NewValue(node.Outputs[0], shape, c.Type(leftId)) });
    }

    /// <summary>numpy matmul result shape.</summary>
    private static int[]? MatMulShape(int[] a, int[] b)
    {
        int[] a2 = a.Length == 1 ? [1, a[0]] : a;
        int[] b2 = b.Length == 1 ? [b[0], 1] : b;
        if (a2[^1] != b2[^2])
        {
            return null;
        }

        var batch = Shapes.Broadcast(a2[..^2], b2[..^2]);
        if (batch is null)
        {
            return null;
        }

        var result = new List<int>(batch);
        if (a.Length > 1)
        {
            result.Add(a2[^2]);
        }

        if (b.Length > 1)
        {
            result.Add(b2[^1]);
        }

        return [.. result];
    }

    /// <summary>Weights as [N, K] rows (one per output), scaled by alpha; <paramref name="weight"/> holds K·N values (its shape is checked by the caller).</summary>
    internal static float[] RowsPerOutput(LoweringContext c, Node node, Tensor weight, int k, int n, bool transposed, float alpha)
    {
        if (k == 0 || n == 0)
        {
            throw Shapes.Bad(c.Path, node, $"has an empty weight [{string.Join(",", weight.Dims)}]");
        }

        c.Charge(node, weight.ElementCount + n); // the rows and the bias beside them
        var b = weight.Floats!;
        var w = new float[n * k];
        for (int row = 0; row < n; row++)
        {
            for (int col = 0; col < k; col++)
            {
                w[row * k + col] = alpha * (transposed ? b[row * k + col] : b[col * n + row]);
            }
        }

        return w;
    }
}
