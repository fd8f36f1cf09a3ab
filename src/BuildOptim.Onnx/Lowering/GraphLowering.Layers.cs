using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering;

public static partial class GraphLowering
{
    private static int LowerLayer(LoweringContext c, Node node, SymbolicValue?[] inputs)
    {
        string name = node.DisplayName;
        string path = c.Path;
        int Rt(int i) => inputs.ElementAtOrDefault(i) is { } v ? c.Materialize(v, node.Inputs[i]) : throw Missing(c, node, i);
        Tensor Const(int i, string role) => inputs.ElementAtOrDefault(i) is ConstantValue { Tensor: var t }
            ? t
            : throw Unsupported(path, $"{node.OpType} '{name}' in '{path}' needs a constant {role}; computed {role}s are not supported.");
        int Out(int[] shape) => c.NewValue(node.Outputs[0], shape);

        switch (node.OpType)
        {
            case "Relu":
            case "Sigmoid":
            case "Tanh":
            case "HardSwish":
            case "Softplus":
            case "Softsign":
            case "LeakyRelu":
            case "Elu":
            case "Selu":
            case "HardSigmoid":
            case "Clip":
            {
                int x = Rt(0);
                var (kind, alpha, beta) = ActivationOf(c, node, inputs);
                return c.AddLayer(new ActivationLayer { Name = name, Inputs = [x], Output = Out(c.Shape(x)), Kind = kind, Alpha = alpha, Beta = beta });
            }

            case "Gemm":
                return LowerGemm(c, node, inputs);
            case "MatMul":
                return LowerMatMul(c, node, inputs);
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
            case "PRelu":
            {
                int a = Rt(0), b = Rt(1);
                var shape = Shapes.Broadcast(c.Shape(a), c.Shape(b))
                    ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"{node.OpType} '{name}' in '{path}' cannot broadcast [{string.Join(",", c.Shape(a))}] with [{string.Join(",", c.Shape(b))}].");
                var kind = Enum.Parse<BinaryKind>(node.OpType);
                return c.AddLayer(new BinaryLayer { Name = name, Inputs = [a, b], Output = Out(shape), Kind = kind });
            }

            case "Sum":
            {
                int acc = Rt(0);
                for (int i = 1; i < node.Inputs.Count; i++)
                {
                    int b = Rt(i);
                    var shape = Shapes.Broadcast(c.Shape(acc), c.Shape(b)) ?? throw Unsupported(path, $"Sum '{name}' in '{path}' cannot broadcast its inputs.");
                    int output = i == node.Inputs.Count - 1 ? Out(shape) : c.NewValue(node.Outputs[0] + "#" + i, shape);
                    acc = c.AddLayer(new BinaryLayer { Name = name, Inputs = [acc, b], Output = output, Kind = BinaryKind.Add });
                }

                if (node.Inputs.Count == 1)
                {
                    return c.AddLayer(new ReshapeLayer { Name = name, Inputs = [acc], Output = Out(c.Shape(acc)) });
                }

                return acc;
            }

            case "Conv":
                return LowerConv(c, node, Rt(0), Const(1, "weight"), inputs.ElementAtOrDefault(2) is null ? null : Const(2, "bias"));
            case "MaxPool":
            case "AveragePool":
                if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
                {
                    throw Unsupported(path, $"MaxPool '{name}' in '{path}' returns indices, which BuildOptim does not support.");
                }

                return LowerPool(c, node, Rt(0));
            case "GlobalAveragePool":
            case "GlobalMaxPool":
            {
                int x = Rt(0);
                var shape = c.Shape(x);
                if (shape.Length < 3)
                {
                    throw Unsupported(path, $"{node.OpType} '{name}' in '{path}' needs an [N, C, spatial...] input.");
                }

                int[] outShape = [shape[0], shape[1], .. Enumerable.Repeat(1, shape.Length - 2)];
                return c.AddLayer(new GlobalPoolLayer
                {
                    Name = name, Inputs = [x], Output = Out(outShape),
                    Kind = node.OpType == "GlobalMaxPool" ? PoolKind.Max : PoolKind.Average,
                    C = shape[0] * shape[1], Spatial = Shapes.Product(shape.Skip(2)),
                });
            }

            case "BatchNormalization":
            {
                int x = Rt(0);
                if (node.Outputs.Count > 1 && node.Outputs.Skip(1).Any(o => o.Length > 0 && c.IsUsedLater(o)))
                {
                    throw Unsupported(path, $"BatchNormalization '{name}' in '{path}' is in training mode; export the model in eval mode.");
                }

                var shape = c.Shape(x);
                var parameters = new[] { Const(1, "scale"), Const(2, "bias"), Const(3, "mean"), Const(4, "variance") };
                if (shape.Length < 2 || parameters.Any(p => !p.IsFloat || p.ElementCount != shape[1]))
                {
                    throw Shapes.Bad(path, node, $"normalizes [{string.Join(",", shape)}] with scale, bias, mean and variance of {string.Join(", ", parameters.Select(p => p.ElementCount))} float values; it needs one per channel");
                }

                var (gamma, beta, mean, variance) = (parameters[0].Floats!, parameters[1].Floats!, parameters[2].Floats!, parameters[3].Floats!);
                float epsilon = node.GetFloat("epsilon", 1e-5f);
                c.Charge(node, 2L * gamma.Length);
                var scale = new float[gamma.Length];
                var shift = new float[gamma.Length];
                for (int i = 0; i < gamma.Length; i++)
                {
                    scale[i] = (float)(gamma[i] / Math.Sqrt((double)variance[i] + epsilon));
                    shift[i] = (float)(beta[i] - (double)mean[i] * scale[i]);
                }

                return c.AddLayer(new ChannelAffineLayer { Name = name, Inputs = [x], Output = Out(c.Shape(x)), Scale = scale, Shift = shift });
            }

            case "Concat":
            {
                var ids = Enumerable.Range(0, node.Inputs.Count).Select(Rt).ToArray();
                var first = c.Shape(ids[0]);
                int axis = Shapes.Axis(path, node, node.GetInt("axis", 0), first.Length);
                var shape = first.Select(d => (long)d).ToArray();
                shape[axis] = 0;
                foreach (int id in ids)
                {
                    var dims = c.Shape(id);
                    if (dims.Length != first.Length || Enumerable.Range(0, dims.Length).Any(d => d != axis && dims[d] != first[d]))
                    {
                        throw Shapes.Bad(path, node, $"concatenates [{string.Join(",", first)}] with [{string.Join(",", dims)}] along axis {axis}");
                    }

                    shape[axis] += dims[axis];
                }

                Shapes.ElementCount(path, node, shape);
                return c.AddLayer(new ConcatLayer { Name = name, Inputs = ids, Output = Out(shape.Select(d => (int)d).ToArray()), Axis = axis });
            }

            case "Transpose":
            {
                int x = Rt(0);
                var dims = c.Shape(x);
                var perm = Shapes.Permutation(path, node, dims.Length);
                return c.AddLayer(new TransposeLayer { Name = name, Inputs = [x], Output = Out(perm.Select(p => dims[p]).ToArray()), Perm = perm });
            }

            case "Reshape":
            {
                int x = Rt(0);
                var target = Const(1, "shape").Int64s ?? throw Unsupported(path, $"Reshape '{name}' in '{path}' has a non-integer shape.");
                return c.AddLayer(new ReshapeLayer { Name = name, Inputs = [x], Output = Out(Shapes.Reshape(path, node, c.Shape(x), target, node.GetInt("allowzero", 0) != 0)) });
            }

            case "Flatten":
            {
                int x = Rt(0);
                return c.AddLayer(new ReshapeLayer { Name = name, Inputs = [x], Output = Out(Shapes.Flatten(path, node, c.Shape(x))) });
            }

            case "Squeeze":
            {
                int x = Rt(0);
                var axes = node.GetInts("axes") ?? (inputs.ElementAtOrDefault(1) is ConstantValue { Tensor.Int64s: { } a } ? a : null);
                return c.AddLayer(new ReshapeLayer { Name = name, Inputs = [x], Output = Out(Shapes.Squeeze(path, node, c.Shape(x), axes)) });
            }

            case "Unsqueeze":
            {
                int x = Rt(0);
                var axes = node.GetInts("axes") ?? Const(1, "axes").Int64s;
                return c.AddLayer(new ReshapeLayer { Name = name, Inputs = [x], Output = Out(Shapes.Unsqueeze(path, node, c.Shape(x), axes)) });
            }

            case "Pad":
                return LowerPad(c, node, Rt(0), inputs);
            case "Softmax":
            case "LogSoftmax":
            {
                int x = Rt(0);
                var dims = c.Shape(x);
                int rank = dims.Length;
                bool legacy = c.Graph.OpsetVersion < 13;
                int axis = Shapes.Axis(path, node, node.GetInt("axis", legacy ? 1 : -1), rank);
                int outer = Shapes.Product(dims.Take(axis));
                int axisSize = legacy ? Shapes.Product(dims.Skip(axis)) : dims[axis];
                int inner = legacy ? 1 : Shapes.Product(dims.Skip(axis + 1));
                return c.AddLayer(new SoftmaxLayer { Name = name, Inputs = [x], Output = Out(dims), Outer = outer, AxisSize = axisSize, Inner = inner, Log = node.OpType == "LogSoftmax" });
            }

            case "LRN":
            {
                int x = Rt(0);
                long size = node.GetInt("size", 1);
                if (size < 1 || size > int.MaxValue || c.Shape(x).Length < 2)
                {
                    throw Shapes.Bad(path, node, $"has size {size} over [{string.Join(",", c.Shape(x))}]; it needs a positive size and an [N, C, ...] input");
                }

                return c.AddLayer(new LrnLayer
                {
                    Name = name, Inputs = [x], Output = Out(c.Shape(x)),
                    Size = (int)size, Alpha = node.GetFloat("alpha", 1e-4f), Beta = node.GetFloat("beta", 0.75f), Bias = node.GetFloat("bias", 1f),
                });
            }

            default:
                throw new OnnxModelException(
                    OnnxDiagnostics.UnsupportedOperator,
                    path,
                    $"Node '{name}' in '{path}' applies '{node.OpType}' to the model's data; BuildOptim supports '{node.OpType}' only on shapes and constants.");
        }
    }

    private static OnnxModelException Missing(LoweringContext c, Node node, int i)
        => new(OnnxDiagnostics.InvalidModel, c.Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{c.Path}' is missing input {i}.");

    private static (ActivationKind Kind, float Alpha, float Beta) ActivationOf(LoweringContext c, Node node, SymbolicValue?[] inputs)
    {
        switch (node.OpType)
        {
            case "Relu": return (ActivationKind.Relu, 0, 0);
            case "Sigmoid": return (ActivationKind.Sigmoid, 0, 0);
            case "Tanh": return (ActivationKind.Tanh, 0, 0);
            case "HardSwish": return (ActivationKind.HardSwish, 0, 0);
            case "Softplus": return (ActivationKind.Softplus, 0, 0);
            case "Softsign": return (ActivationKind.Softsign, 0, 0);
            case "LeakyRelu": return (ActivationKind.LeakyRelu, node.GetFloat("alpha", 0.01f), 0);
            case "Elu": return (ActivationKind.Elu, node.GetFloat("alpha", 1f), 0);
            case "Selu": return (ActivationKind.Selu, node.GetFloat("alpha", 1.67326319217681884765625f), node.GetFloat("gamma", 1.05070102214813232421875f));
            case "HardSigmoid": return (ActivationKind.HardSigmoid, node.GetFloat("alpha", 0.2f), node.GetFloat("beta", 0.5f));
            case "Clip":
            {
                float min = float.NegativeInfinity, max = float.PositiveInfinity;
                if (c.Graph.OpsetVersion < 11)
                {
                    min = node.GetFloat("min", min);
                    max = node.GetFloat("max", max);
                }
                else
                {
                    for (int i = 1; i <= 2; i++)
                    {
                        var v = inputs.ElementAtOrDefault(i);
                        if (v is null)
                        {
                            continue;
                        }

                        if (v is not ConstantValue { Tensor: var t })
                        {
                            throw Unsupported(c.Path, $"Clip '{node.DisplayName}' in '{c.Path}' takes a computed bound; only constant bounds are supported.");
                        }

                        if (t.ElementCount != 1)
                        {
                            throw Shapes.Bad(c.Path, node, $"has a bound of {t.ElementCount} elements; it must be a scalar");
                        }

                        float bound = t.IsFloat ? t.Floats![0] : t.Int64s![0];
                        if (i == 1)
                        {
                            min = bound;
                        }
                        else
                        {
                            max = bound;
                        }
                    }
                }

                return (ActivationKind.Clip, min, max);
            }

            default:
                throw new InvalidOperationException(node.OpType);
        }
    }

    private static int LowerGemm(LoweringContext c, Node node, SymbolicValue?[] inputs)
    {
        string path = c.Path;
        bool transA = node.GetInt("transA", 0) != 0;
        bool transB = node.GetInt("transB", 0) != 0;
        float alpha = node.GetFloat("alpha", 1f);
        float beta = node.GetFloat("beta", 1f);
        var operandB = inputs.ElementAtOrDefault(1) ?? throw Missing(c, node, 1);
        int[] aDims = DimsOf(c, inputs[0]!), bDims = DimsOf(c, operandB);
        if (aDims.Length != 2 || bDims.Length != 2)
        {
            throw Shapes.Bad(path, node, $"multiplies [{string.Join(",", aDims)}] by [{string.Join(",", bDims)}]; Gemm takes two 2-D operands");
        }

        if ((transA ? aDims[0] : aDims[1]) != (transB ? bDims[1] : bDims[0]))
        {
            throw Shapes.Bad(path, node, $"multiplies [{string.Join(",", aDims)}]{(transA ? "ᵀ" : "")} by [{string.Join(",", bDims)}]{(transB ? "ᵀ" : "")}: the inner dimensions differ");
        }

        int m = transA ? aDims[1] : aDims[0], n = transB ? bDims[0] : bDims[1];
        if (inputs.ElementAtOrDefault(2) is { } bias && Shapes.Broadcast(DimsOf(c, bias), [m, n])?.SequenceEqual([m, n]) != true)
        {
            throw Shapes.Bad(path, node, $"adds a bias of shape [{string.Join(",", DimsOf(c, bias))}] to a [{m},{n}] product");
        }

        if (inputs[0] is not RuntimeValue a || operandB is not ConstantValue { Tensor: { IsFloat: true } b } || transA)
        {
            return LowerGeneralGemm(c, node, inputs, transA, transB, alpha, beta);
        }

        var aShape = c.Shape(a.Id);
        int k = aShape[1];
        var weights = RowsPerOutput(c, node, b, k, n, transB, alpha);
        var biasValues = new float[n];
        var output = c.NewValue(node.Outputs[0], [aShape[0], n]);
        if (inputs.ElementAtOrDefault(2) is { } cValue)
        {
            if (cValue is ConstantValue { Tensor: var ct } && (ct.ElementCount == 1 || ct.ElementCount == n))
            {
                var values = FloatsOf(c, node, ct);
                for (int i = 0; i < n; i++)
                {
                    biasValues[i] = beta * values[ct.ElementCount == 1 ? 0 : i];
                }
            }
            else
            {
                // A full [M, N] bias (or a computed one) becomes an Add after the product.
                int product = c.NewValue(node.Outputs[0] + "#gemm", [aShape[0], n]);
                c.AddLayer(new DenseLayer { Name = node.DisplayName, Inputs = [a.Id], Output = product, K = k, N = n, Weights = weights, Bias = biasValues });
                int addend = c.Materialize(cValue is ConstantValue { Tensor: var full } && beta != 1f
                    ? new ConstantValue(new Tensor(node.Inputs[2], full.Dims, Scaled(c, node, full, beta)))
                    : cValue, node.Inputs[2]);
                return c.AddLayer(new BinaryLayer { Name = node.DisplayName + "#bias", Inputs = [product, addend], Output = output, Kind = BinaryKind.Add });
            }
        }

        return c.AddLayer(new DenseLayer { Name = node.DisplayName, Inputs = [a.Id], Output = output, K = k, N = n, Weights = weights, Bias = biasValues });
    }

    /// <summary>Gemm with a computed weight or a transposed data input: Transpose → MatMul → Mul(alpha) → Add(beta·C). Shapes are checked by <see cref="LowerGemm"/>.</summary>
    private static int LowerGeneralGemm(LoweringContext c, Node node, SymbolicValue?[] inputs, bool transA, bool transB, float alpha, float beta)
    {
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
        int m = c.Shape(a)[0], n = c.Shape(b)[1];
        bool more = alpha != 1f || inputs.ElementAtOrDefault(2) is not null;
        int result = c.AddLayer(new MatMulLayer { Name = name, Inputs = [a, b], Output = c.NewValue(more ? node.Outputs[0] + "#mm" : node.Outputs[0], [m, n]) });
        if (alpha != 1f)
        {
            int k = c.Materialize(new ConstantValue(new Tensor(name + "#alpha", [], [alpha])), name + "#alpha");
            bool last = inputs.ElementAtOrDefault(2) is null;
            result = c.AddLayer(new BinaryLayer { Name = name + "#alpha", Inputs = [result, k], Output = c.NewValue(last ? node.Outputs[0] : node.Outputs[0] + "#scaled", [m, n]), Kind = BinaryKind.Mul });
        }

        if (inputs.ElementAtOrDefault(2) is { } cValue)
        {
            int addend = cValue is ConstantValue { Tensor: var t } && beta != 1f
                ? c.Materialize(new ConstantValue(new Tensor(node.Inputs[2] + "#beta", t.Dims, Scaled(c, node, t, beta))), node.Inputs[2] + "#beta")
                : c.Materialize(cValue, node.Inputs[2]);
            if (beta != 1f && cValue is RuntimeValue)
            {
                int k = c.Materialize(new ConstantValue(new Tensor(name + "#betak", [], [beta])), name + "#betak");
                addend = c.AddLayer(new BinaryLayer { Name = name + "#beta", Inputs = [addend, k], Output = c.NewValue(node.Inputs[2] + "#scaled", c.Shape(addend)), Kind = BinaryKind.Mul });
            }

            result = c.AddLayer(new BinaryLayer { Name = name + "#bias", Inputs = [result, addend], Output = c.NewValue(node.Outputs[0], [m, n]), Kind = BinaryKind.Add });
        }

        return result;
    }

    private static int LowerMatMul(LoweringContext c, Node node, SymbolicValue?[] inputs)
    {
        string path = c.Path;
        var right = inputs.ElementAtOrDefault(1) ?? throw Missing(c, node, 1);
        int[] leftDims = DimsOf(c, inputs[0]!), rightDims = DimsOf(c, right);
        if (leftDims.Length == 0 || rightDims.Length == 0)
        {
            throw Shapes.Bad(path, node, $"multiplies [{string.Join(",", leftDims)}] by [{string.Join(",", rightDims)}]; MatMul takes no 0-d (scalar) operand");
        }

        if (inputs[0] is RuntimeValue a && right is ConstantValue { Tensor: { IsFloat: true, Dims.Length: 2 } b })
        {
            var aShape = c.Shape(a.Id);
            int k = b.Dims[0], n = b.Dims[1];
            if (aShape[^1] != k)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"MatMul '{node.DisplayName}' in '{path}' multiplies [..,{aShape[^1]}] by [{k},{n}].");
            }

            int[] outShape = aShape.Length == 1 ? [n] : [.. aShape[..^1], n];
            return c.AddLayer(new DenseLayer
            {
                Name = node.DisplayName, Inputs = [a.Id], Output = c.NewValue(node.Outputs[0], outShape),
                K = k, N = n, Weights = RowsPerOutput(c, node, b, k, n, transposed: false, 1f), Bias = new float[n],
            });
        }

        var shape = MatMulShape(leftDims, rightDims)
            ?? throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"MatMul '{node.DisplayName}' in '{path}' has incompatible shapes [{string.Join(",", leftDims)}] × [{string.Join(",", rightDims)}].");
        int leftId = c.Materialize(inputs[0]!, node.Inputs[0]);
        int rightId = c.Materialize(right, node.Inputs[1]);
        return c.AddLayer(new MatMulLayer { Name = node.DisplayName, Inputs = [leftId, rightId], Output = c.NewValue(node.Outputs[0], shape) });
    }

    /// <summary>The dims of a symbol: a constant's or a runtime value's.</summary>
    private static int[] DimsOf(LoweringContext c, SymbolicValue value) => value switch
    {
        RuntimeValue r => c.Shape(r.Id),
        ConstantValue k => k.Tensor.Dims,
        _ => throw new InvalidOperationException(),
    };

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

    /// <summary>numpy matmul result shape.</summary>
    internal static int[]? MatMulShape(int[] a, int[] b)
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
