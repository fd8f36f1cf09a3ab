using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering.Operators;

/// <summary>
/// <c>Y = alpha · A' · B' + beta · C</c>: a <see cref="DenseLayer"/> when A is computed and B a float constant
/// (alpha folded into the weights, a per-column or scalar C into the bias, a full C as an Add after it);
/// otherwise Transpose → MatMul → Mul(alpha) → Add(beta · C).
/// </summary>
internal static class Gemm
{
    public static SymbolicValue Lower(NodeLowering n)
    {
        var c = n.Context;
        var node = n.Node;
        var inputs = n.Inputs;
        bool transA = node.GetInt("transA", 0) != 0;
        bool transB = node.GetInt("transB", 0) != 0;
        float alpha = node.GetFloat("alpha", 1f);
        float beta = node.GetFloat("beta", 1f);
        var operandB = n.Input(1) ?? throw n.Missing(1);
        int[] aDims = n.DimsOf(inputs[0]!), bDims = n.DimsOf(operandB);
        if (aDims.Length != 2 || bDims.Length != 2)
        {
            throw n.Bad($"multiplies [{string.Join(",", aDims)}] by [{string.Join(",", bDims)}]; Gemm takes two 2-D operands");
        }

        if ((transA ? aDims[0] : aDims[1]) != (transB ? bDims[1] : bDims[0]))
        {
            throw n.Bad($"multiplies [{string.Join(",", aDims)}]{(transA ? "ᵀ" : "")} by [{string.Join(",", bDims)}]{(transB ? "ᵀ" : "")}: the inner dimensions differ");
        }

        int m = transA ? aDims[1] : aDims[0], nOut = transB ? bDims[0] : bDims[1];
        if (n.Input(2) is { } bias && Shapes.Broadcast(n.DimsOf(bias), [m, nOut])?.SequenceEqual([m, nOut]) != true)
        {
            throw n.Bad($"adds a bias of shape [{string.Join(",", n.DimsOf(bias))}] to a [{m},{nOut}] product");
        }

        if (inputs[0] is not RuntimeValue a || operandB is not ConstantValue { Tensor: { IsFloat: true } b } || transA)
        {
            return LowerGeneral(n, transA, transB, alpha, beta);
        }

        var aShape = c.Shape(a.Id);
        int k = aShape[1];
        var weights = MatMul.RowsPerOutput(c, node, b, k, nOut, transB, alpha);
        var biasValues = new float[nOut];
        var output = c.NewValue(node.Outputs[0], [aShape[0], nOut]);
        if (n.Input(2) is { } cValue)
        {
            if (cValue is ConstantValue { Tensor: var ct } && (ct.ElementCount == 1 || ct.ElementCount == nOut))
            {
                var values = FloatsOf(c, node, ct);
                for (int i = 0; i < nOut; i++)
                {
                    biasValues[i] = beta * values[ct.ElementCount == 1 ? 0 : i];
                }
            }
            else
            {
                // A full [M, N] bias (or a computed one) becomes an Add after the product.
                int product = c.NewValue(node.Outputs[0] + "#gemm", [aShape[0], nOut]);
                c.AddLayer(new DenseLayer { Name = node.DisplayName, Inputs = [a.Id], Output = product, K = k, N = nOut, Weights = weights, Bias = biasValues });
                int addend = c.Materialize(cValue is ConstantValue { Tensor: var full } && beta != 1f
                    ? new ConstantValue(new Tensor(node.Inputs[2], full.Dims, Scaled(c, node, full, beta)))
                    : cValue, node.Inputs[2]);
                return n.Add(new BinaryLayer { Name = node.DisplayName + "#bias", Inputs = [product, addend], Output = output, Kind = BinaryKind.Add });
            }
        }

        return n.Add(new DenseLayer { Name = node.DisplayName, Inputs = [a.Id], Output = output, K = k, N = nOut, Weights = weights, Bias = biasValues });
    }

    /// <summary>Gemm with a computed weight or a transposed data input: Transpose → MatMul → Mul(alpha) → Add(beta·C). Shapes are checked by <see cref="Lower"/>.</summary>
    private static SymbolicValue LowerGeneral(NodeLowering n, bool transA, bool transB, float alpha, float beta)
    {
        var c = n.Context;
        var node = n.Node;
        var inputs = n.Inputs;
        string name = node.DisplayName;
        int Operand(int i, bool transpose)
        {
            int id = c.Materialize(inputs[i]!, node.Inputs[i]);
            if (!transpose)
            {
                return id;
            }

            var dims = c.Shape(id);
            return c.AddLayer(new TransposeLayer { Name = name + "#t" + i, Inputs = [id], Output = c.NewValue(node.Inputs[i] + "#t", [dims[1], dims[0]]), Perm = [1, 0] });
        }

        int a = Operand(0, transA), b = Operand(1, transB);
        int m = c.Shape(a)[0], nOut = c.Shape(b)[1];
        bool more = alpha != 1f || n.Input(2) is not null;
        int result = c.AddLayer(new MatMulLayer { Name = name, Inputs = [a, b], Output = c.NewValue(more ? node.Outputs[0] + "#mm" : node.Outputs[0], [m, nOut]) });
        if (alpha != 1f)
        {
            int k = c.Materialize(new ConstantValue(new Tensor(name + "#alpha", [], [alpha])), name + "#alpha");
            bool last = n.Input(2) is null;
            result = c.AddLayer(new BinaryLayer { Name = name + "#alpha", Inputs = [result, k], Output = c.NewValue(last ? node.Outputs[0] : node.Outputs[0] + "#scaled", [m, nOut]), Kind = BinaryKind.Mul });
        }

        if (n.Input(2) is { } cValue)
        {
            int addend = cValue is ConstantValue { Tensor: var t } && beta != 1f
                ? c.Materialize(new ConstantValue(new Tensor(node.Inputs[2] + "#beta", t.Dims, Scaled(c, node, t, beta))), node.Inputs[2] + "#beta")
                : c.Materialize(cValue, node.Inputs[2]);
            if (beta != 1f && cValue is RuntimeValue)
            {
                int k = c.Materialize(new ConstantValue(new Tensor(name + "#betak", [], [beta])), name + "#betak");
                addend = c.AddLayer(new BinaryLayer { Name = name + "#beta", Inputs = [addend, k], Output = c.NewValue(node.Inputs[2] + "#scaled", c.Shape(addend)), Kind = BinaryKind.Mul });
            }

            result = c.AddLayer(new BinaryLayer { Name = name + "#bias", Inputs = [result, addend], Output = c.NewValue(node.Outputs[0], [m, nOut]), Kind = BinaryKind.Add });
        }

        return new RuntimeValue(result);
    }

    /// <summary>A constant's values as floats (integer tensors converted, and charged as a copy).</summary>
    private static float[] FloatsOf(LoweringContext c, Node node, Tensor t)
    {
        if (t.IsFloat)
        {
            return t.Floats!;
        }

        c.Charge(node, t.ElementCount);
        return t.Int64s!.Select(v => (float)v).ToArray();
    }

    /// <summary>A constant's values times <paramref name="factor"/>, as a new (charged) array.</summary>
    private static float[] Scaled(LoweringContext c, Node node, Tensor t, float factor)
    {
        c.Charge(node, t.ElementCount);
        return t.IsFloat ? t.Floats!.Select(v => v * factor).ToArray() : t.Int64s!.Select(v => v * factor).ToArray();
    }
}
