namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Lowers an ONNX <see cref="Graph"/> to a <see cref="LayerModel"/>: folds constants and shape
/// subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape with a symbolic batch), drops
/// Identity/Dropout, fuses MatMul + Add into dense layers, and turns Flatten/Reshape into no-ops
/// on the flat per-sample layout.
/// </summary>
public static class ModelLowering
{
    /// <summary>The operators this lowering accepts.</summary>
    public static readonly IReadOnlySet<string> SupportedOperators = new SortedSet<string>(StringComparer.Ordinal)
    {
        "Gemm", "MatMul", "Add", "Relu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Flatten", "Reshape",
        "Identity", "Dropout", "Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast",
    };

    public static LayerModel Lower(Graph graph)
    {
        string path = graph.SourcePath;
        if (graph.Inputs.Count != 1)
        {
            throw Unsupported(path, $"'{path}' has {graph.Inputs.Count} inputs ({string.Join(", ", graph.Inputs.Select(i => i.Name))}); BuildOptim supports models with exactly one input.");
        }

        if (graph.Outputs.Count != 1)
        {
            throw Unsupported(path, $"'{path}' has {graph.Outputs.Count} outputs; BuildOptim supports models with exactly one output.");
        }

        var input = graph.Inputs[0];
        if (input.Type != ElementType.Float)
        {
            throw Unsupported(path, $"Input '{input.Name}' of '{path}' is {input.Type}; BuildOptim supports float32 inputs.");
        }

        if (input.Dims.Length < 2 || input.Dims.Skip(1).Any(d => d is null))
        {
            throw Unsupported(path, $"Input '{input.Name}' of '{path}' has shape [{FormatDims(input.Dims)}]; BuildOptim needs [batch, d1, ...] with every dimension after the batch fixed.");
        }

        bool dynamicBatch = input.Dims[0] is null;
        if (!dynamicBatch && input.Dims[0] != 1)
        {
            throw Unsupported(path, $"Input '{input.Name}' of '{path}' has a fixed batch of {input.Dims[0]}; export it with a dynamic batch dimension or batch 1.");
        }

        foreach (var node in graph.Nodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || !SupportedOperators.Contains(node.OpType))
            {
                throw new OnnxModelException(
                    OnnxDiagnostics.UnsupportedOperator,
                    path,
                    $"Node '{node.DisplayName}' in '{path}' uses operator '{(node.Domain is "" or "ai.onnx" ? node.OpType : node.Domain + "." + node.OpType)}', which BuildOptim does not support yet. Supported: {string.Join(", ", SupportedOperators)}.");
            }
        }

        var state = new LoweringState(graph);
        int[] inputShape = input.Dims.Skip(1).Select(d => d!.Value).ToArray();
        state.Values[input.Name] = new RuntimeValue(0, inputShape);
        foreach (var node in graph.Nodes)
        {
            LowerNode(state, node);
        }

        var output = graph.Outputs[0];
        if (!state.Values.TryGetValue(output.Name, out var result) || result is not RuntimeValue runtime)
        {
            throw Unsupported(path, $"Output '{output.Name}' of '{path}' does not depend on the input; nothing to compress.");
        }

        if (runtime.LayerCount != state.Layers.Count)
        {
            throw Unsupported(path, $"Output '{output.Name}' of '{path}' is not produced by the last layer; BuildOptim supports chains of layers.");
        }

        return new LayerModel
        {
            SourcePath = path,
            InputName = input.Name,
            InputShape = inputShape,
            OutputName = output.Name,
            OutputShape = runtime.SampleShape,
            DynamicBatch = dynamicBatch,
            Layers = state.Layers,
        };
    }

    private sealed class LoweringState(Graph graph)
    {
        public Graph Graph { get; } = graph;

        public Dictionary<string, SymbolicValue> Values { get; } = graph.Initializers.ToDictionary(kv => kv.Key, kv => (SymbolicValue)new ConstantValue(kv.Value), StringComparer.Ordinal);

        public List<Layer> Layers { get; } = [];

        public string Path => Graph.SourcePath;

        public SymbolicValue Get(Node node, int index)
        {
            if (index >= node.Inputs.Count || node.Inputs[index].Length == 0)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{Path}' is missing input {index}.");
            }

            return Values.TryGetValue(node.Inputs[index], out var v)
                ? v
                : throw new OnnxModelException(OnnxDiagnostics.InvalidModel, Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{Path}' reads '{node.Inputs[index]}', which no earlier node produces.");
        }

        public SymbolicValue? GetOptional(Node node, int index)
            => index < node.Inputs.Count && node.Inputs[index].Length > 0 ? Get(node, index) : null;

        /// <summary>Appends a layer consuming <paramref name="input"/>, which must be the chain's current end.</summary>
        public RuntimeValue Append(Node node, RuntimeValue input, Layer layer, int[] outputShape)
        {
            RequireChainEnd(node, input);
            Layers.Add(layer);
            return new RuntimeValue(Layers.Count, outputShape);
        }

        public void RequireChainEnd(Node node, RuntimeValue input)
        {
            if (input.LayerCount != Layers.Count)
            {
                throw Unsupported(Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{Path}' reads an earlier tensor than the last layer's output; BuildOptim supports chains of layers (no branches) for now.");
            }
        }
    }

    private static void LowerNode(LoweringState s, Node node)
    {
        SymbolicValue result = node.OpType switch
        {
            "Identity" or "Dropout" => s.Get(node, 0),
            "Gemm" => LowerGemm(s, node),
            "MatMul" => LowerMatMul(s, node),
            "Add" => LowerAdd(s, node),
            "Relu" => LowerActivation(s, node, ActivationKind.Relu),
            "Sigmoid" => LowerActivation(s, node, ActivationKind.Sigmoid),
            "Tanh" => LowerActivation(s, node, ActivationKind.Tanh),
            "Softmax" or "LogSoftmax" => LowerSoftmax(s, node),
            "Flatten" => LowerFlatten(s, node),
            "Reshape" => LowerReshape(s, node),
            "Shape" => LowerShape(s, node),
            "Gather" => ShapeFolding.Gather(s.Path, node, s.Get(node, 0), s.Get(node, 1)),
            "Unsqueeze" => ShapeFolding.Unsqueeze(s.Path, node, s.Get(node, 0), s.GetOptional(node, 1)),
            "Squeeze" => ShapeFolding.Squeeze(s.Path, node, s.Get(node, 0), s.GetOptional(node, 1)),
            "Concat" => ShapeFolding.Concat(s.Path, node, Enumerable.Range(0, node.Inputs.Count).Select(i => s.Get(node, i)).ToArray()),
            "Cast" => ShapeFolding.Cast(s.Path, node, s.Get(node, 0)),
            _ => throw new InvalidOperationException(node.OpType),
        };

        s.Values[node.Outputs[0]] = result;
    }

    private static RuntimeValue RequireRuntime(LoweringState s, Node node, SymbolicValue value)
        => value as RuntimeValue ?? throw Unsupported(s.Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{s.Path}' has a constant first operand; BuildOptim expects the data to flow through its first input.");

    private static Tensor RequireConstant(LoweringState s, Node node, SymbolicValue value, string role)
        => (value as ConstantValue)?.Tensor is { IsFloat: true } t
            ? t
            : throw Unsupported(s.Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{s.Path}' needs a constant float {role}; computed {role}s are not supported.");

    private static SymbolicValue LowerGemm(LoweringState s, Node node)
    {
        var x = RequireRuntime(s, node, s.Get(node, 0));
        var b = RequireConstant(s, node, s.Get(node, 1), "weight");
        if (node.GetInt("transA", 0) != 0)
        {
            throw Unsupported(s.Path, $"Gemm '{node.DisplayName}' in '{s.Path}' transposes its data input (transA=1), which is not supported.");
        }

        bool transB = node.GetInt("transB", 0) != 0;
        float alpha = node.GetFloat("alpha", 1f);
        float beta = node.GetFloat("beta", 1f);
        if (b.Dims.Length != 2)
        {
            throw Unsupported(s.Path, $"Gemm '{node.DisplayName}' in '{s.Path}' has a {b.Dims.Length}-D weight; expected 2-D.");
        }

        int k = transB ? b.Dims[1] : b.Dims[0];
        int n = transB ? b.Dims[0] : b.Dims[1];
        RequireFeatureLength(s, node, x, k);
        var weights = ToRowsPerOutput(b.Floats!, k, n, transB, alpha);
        var bias = new float[n];
        if (s.GetOptional(node, 2) is { } cValue)
        {
            var c = RequireConstant(s, node, cValue, "bias");
            AddBroadcastBias(s, node, bias, c, beta);
        }

        return s.Append(node, x, new DenseLayer(node.DisplayName, k, n, weights, bias), [n]);
    }

    private static SymbolicValue LowerMatMul(LoweringState s, Node node)
    {
        var x = RequireRuntime(s, node, s.Get(node, 0));
        var b = RequireConstant(s, node, s.Get(node, 1), "weight");
        if (b.Dims.Length != 2)
        {
            throw Unsupported(s.Path, $"MatMul '{node.DisplayName}' in '{s.Path}' has a {b.Dims.Length}-D weight; expected 2-D [K, N].");
        }

        int k = b.Dims[0], n = b.Dims[1];
        RequireFeatureLength(s, node, x, k);
        return s.Append(node, x, new DenseLayer(node.DisplayName, k, n, ToRowsPerOutput(b.Floats!, k, n, transposed: false, 1f), new float[n]), [n]);
    }

    private static SymbolicValue LowerAdd(LoweringState s, Node node)
    {
        var a = s.Get(node, 0);
        var b = s.Get(node, 1);
        if (a is ConstantValue && b is RuntimeValue)
        {
            (a, b) = (b, a);
        }

        if (a is ConstantValue ca && b is ConstantValue cb)
        {
            return ShapeFolding.Arithmetic(s.Path, node, ca.Tensor, cb.Tensor);
        }

        var x = RequireRuntime(s, node, a);
        var c = RequireConstant(s, node, b, "addend");
        s.RequireChainEnd(node, x);
        if (s.Layers.Count == 0 || s.Layers[^1] is not DenseLayer dense || x.SampleShape.Length != 1)
        {
            throw Unsupported(s.Path, $"Add '{node.DisplayName}' in '{s.Path}' adds a constant to a tensor that is not a dense layer's output; only bias adds are supported for now.");
        }

        AddBroadcastBias(s, node, dense.Bias, c, 1f);
        return x;
    }

    private static SymbolicValue LowerActivation(LoweringState s, Node node, ActivationKind kind)
    {
        var x = RequireRuntime(s, node, s.Get(node, 0));
        return s.Append(node, x, new ActivationLayer(node.DisplayName, kind), x.SampleShape);
    }

    private static SymbolicValue LowerSoftmax(LoweringState s, Node node)
    {
        var x = RequireRuntime(s, node, s.Get(node, 0));
        int rank = x.SampleShape.Length + 1;
        bool legacy = s.Graph.OpsetVersion < 13;
        long axis = node.GetInt("axis", legacy ? 1 : -1);
        if (axis < 0)
        {
            axis += rank;
        }

        int axisSize;
        if (legacy && axis == 1)
        {
            axisSize = x.SampleShape.Aggregate(1, (p, d) => p * d); // coerced to 2-D at axis 1
        }
        else if (axis == rank - 1 && rank >= 2)
        {
            axisSize = x.SampleShape[^1];
        }
        else
        {
            throw Unsupported(s.Path, $"{node.OpType} '{node.DisplayName}' in '{s.Path}' normalizes over axis {axis} of a rank-{rank} tensor; only the last axis is supported for now.");
        }

        return s.Append(node, x, new SoftmaxLayer(node.DisplayName, axisSize, node.OpType == "LogSoftmax"), x.SampleShape);
    }

    private static SymbolicValue LowerFlatten(LoweringState s, Node node)
    {
        var input = s.Get(node, 0);
        if (input is not RuntimeValue x)
        {
            throw Unsupported(s.Path, $"Flatten '{node.DisplayName}' in '{s.Path}' of a constant is not supported.");
        }

        long axis = node.GetInt("axis", 1);
        if (axis < 0)
        {
            axis += x.SampleShape.Length + 1;
        }

        if (axis != 1)
        {
            throw Unsupported(s.Path, $"Flatten '{node.DisplayName}' in '{s.Path}' uses axis {axis}; only axis 1 (keep the batch) is supported.");
        }

        return x with { SampleShape = [x.SampleShape.Aggregate(1, (p, d) => p * d)] };
    }

    private static SymbolicValue LowerReshape(LoweringState s, Node node)
    {
        var data = s.Get(node, 0);
        var shapeValue = s.Get(node, 1);
        long[] target = shapeValue switch
        {
            ConstantValue { Tensor.Int64s: { } ints } => ints,
            _ => throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' takes its shape from a computed tensor BuildOptim cannot fold."),
        };

        if (data is ConstantValue constant)
        {
            return ShapeFolding.ReshapeConstant(s.Path, node, constant.Tensor, target);
        }

        var x = RequireRuntime(s, node, data);
        int sampleLength = x.SampleShape.Aggregate(1, (p, d) => p * d);
        if (target.Length == 0 || !(target[0] is ShapeVector.Batch or 0 or -1 or 1))
        {
            throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' to [{string.Join(",", target)}] changes the batch dimension; only reshapes that keep the batch first are supported.");
        }

        bool batchInferred = target[0] == -1;
        var dims = new int[target.Length - 1];
        int inferAt = -1;
        long known = 1;
        for (int i = 1; i < target.Length; i++)
        {
            long t = target[i];
            if (t == 0)
            {
                t = i < x.SampleShape.Length + 1 ? x.SampleShape[i - 1] : throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' copies a dimension that does not exist.");
            }

            if (t == -1)
            {
                if (inferAt >= 0 || batchInferred)
                {
                    throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' has two inferred dimensions.");
                }

                inferAt = i - 1;
                continue;
            }

            if (t <= 0)
            {
                throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' has a symbolic dimension after the batch.");
            }

            dims[i - 1] = checked((int)t);
            known *= t;
        }

        if (inferAt >= 0)
        {
            if (known == 0 || sampleLength % known != 0)
            {
                throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' cannot infer a dimension: {sampleLength} is not a multiple of {known}.");
            }

            dims[inferAt] = (int)(sampleLength / known);
            known = sampleLength;
        }

        if (known != sampleLength)
        {
            throw Unsupported(s.Path, $"Reshape '{node.DisplayName}' in '{s.Path}' maps {sampleLength} values per sample to [{string.Join(",", target)}].");
        }

        return x with { SampleShape = dims };
    }

    private static SymbolicValue LowerShape(LoweringState s, Node node)
    {
        var input = s.Get(node, 0);
        long[] full = input switch
        {
            RuntimeValue r => [ShapeVector.Batch, .. r.SampleShape.Select(d => (long)d)],
            ConstantValue c => c.Tensor.Dims.Select(d => (long)d).ToArray(),
            _ => throw Unsupported(s.Path, $"Shape '{node.DisplayName}' in '{s.Path}' of a shape tensor is not supported."),
        };

        long rank = full.Length;
        long start = node.GetInt("start", 0);
        long end = node.GetInt("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        long[] slice = full[(int)start..(int)Math.Max(start, end)];
        return new ConstantValue(new Tensor(node.Outputs[0], [slice.Length], slice));
    }

    private static void RequireFeatureLength(LoweringState s, Node node, RuntimeValue x, int k)
    {
        if (x.SampleShape.Length != 1 || x.SampleShape[0] != k)
        {
            throw Unsupported(s.Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{s.Path}' multiplies a [batch,{string.Join(",", x.SampleShape)}] tensor by a weight with {k} input features; BuildOptim supports [batch, {k}] here.");
        }
    }

    /// <summary>Returns weights as [N, K] row-major (one row per output), scaled by alpha.</summary>
    private static float[] ToRowsPerOutput(float[] b, int k, int n, bool transposed, float alpha)
    {
        var w = new float[n * k];
        for (int row = 0; row < n; row++)
        {
            for (int col = 0; col < k; col++)
            {
                float v = transposed ? b[row * k + col] : b[col * n + row];
                w[row * k + col] = alpha * v;
            }
        }

        return w;
    }

    private static void AddBroadcastBias(LoweringState s, Node node, float[] bias, Tensor c, float beta)
    {
        int n = bias.Length;
        var values = c.Floats!;
        bool broadcastable = values.Length == 1 || (values.Length == n && c.Dims.Take(c.Dims.Length - 1).All(d => d == 1));
        if (!broadcastable)
        {
            throw Unsupported(s.Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{s.Path}' adds a [{string.Join(",", c.Dims)}] tensor that does not broadcast to [batch,{n}].");
        }

        for (int i = 0; i < n; i++)
        {
            bias[i] += beta * values[values.Length == 1 ? 0 : i];
        }
    }

    internal static OnnxModelException Unsupported(string path, string message) => new(OnnxDiagnostics.UnsupportedModel, path, message);

    private static string FormatDims(int?[] dims) => string.Join(",", dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"));
}
