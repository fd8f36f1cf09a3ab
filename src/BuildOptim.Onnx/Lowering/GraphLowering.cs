using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Lowers an ONNX <see cref="Graph"/> to a <see cref="Network"/> with concrete shapes: the batch
/// dimension is bound to 1 (models run one sample at a time; the generated class loops batches),
/// constants and shape subgraphs are folded, Identity/Dropout disappear, and every remaining node
/// becomes a layer. The network is returned as lowered, before any graph pass: <see cref="OnnxFrontEnd"/>
/// runs the passes.
/// </summary>
public static partial class GraphLowering
{
    /// <summary>The operators this lowering accepts.</summary>
    public static readonly IReadOnlySet<string> SupportedOperators = new SortedSet<string>(StringComparer.Ordinal)
    {
        "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv",
        "Div", "Dropout", "Elu", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid",
        "HardSwish", "Identity", "LeakyRelu", "LogSoftmax", "LRN", "MatMul", "MaxPool", "Mul", "Neg", "Pad", "PRelu",
        "Range", "Relu", "Reshape", "Selu", "Shape", "Sigmoid", "Slice", "Softmax", "Softplus", "Softsign", "Sqrt",
        "Squeeze", "Sub", "Sum", "Tanh", "Transpose", "Unsqueeze",
    };

    /// <summary>Lowers a model with one float input [batch, ...] (batch symbolic or 1).</summary>
    public static Network LowerModel(Graph graph)
    {
        string path = graph.SourcePath;
        if (graph.Inputs.Count != 1)
        {
            throw Unsupported(path, $"'{path}' has {graph.Inputs.Count} inputs ({string.Join(", ", graph.Inputs.Select(i => i.Name))}); BuildOptim compresses models with exactly one input.");
        }

        if (graph.Outputs.Count != 1)
        {
            throw Unsupported(path, $"'{path}' has {graph.Outputs.Count} outputs; BuildOptim compresses models with exactly one output.");
        }

        var input = graph.Inputs[0];
        if (input.Type != ElementType.Float)
        {
            throw Unsupported(path, $"Input '{input.Name}' of '{path}' is {input.Type}; BuildOptim supports float32 inputs.");
        }

        if (input.Dims.Length < 2 || input.Dims.Skip(1).Any(d => d is null))
        {
            throw Unsupported(path, $"Input '{input.Name}' of '{path}' has shape [{string.Join(",", input.Dims.Select(d => d?.ToString() ?? "?"))}]; BuildOptim needs [batch, d1, ...] with every dimension after the batch fixed.");
        }

        bool dynamicBatch = input.Dims[0] is null;
        if (!dynamicBatch && input.Dims[0] != 1)
        {
            throw Unsupported(path, $"Input '{input.Name}' of '{path}' has a fixed batch of {input.Dims[0]}; export it with a dynamic batch dimension or batch 1.");
        }

        int[] shape = [1, .. input.Dims.Skip(1).Select(d => d!.Value)];
        var network = Lower(graph, new Dictionary<string, int[]> { [input.Name] = shape }, dynamicBatch);
        var output = network.Values[network.Outputs[0]];
        if (output.Shape.Length == 0 || output.Shape[0] != 1)
        {
            throw Unsupported(path, $"Output '{output.Name}' of '{path}' has shape [{string.Join(",", output.Shape)}] for one sample; BuildOptim needs the batch as the output's first dimension.");
        }

        return network;
    }

    /// <summary>Lowers a graph with the given concrete input shapes (any number of inputs and outputs).</summary>
    public static Network Lower(Graph graph, IReadOnlyDictionary<string, int[]> inputShapes, bool dynamicBatch = false)
    {
        string path = graph.SourcePath;
        foreach (var node in graph.Nodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || !SupportedOperators.Contains(node.OpType))
            {
                string op = node.Domain is "" or "ai.onnx" ? node.OpType : node.Domain + "." + node.OpType;
                throw new OnnxModelException(
                    OnnxDiagnostics.UnsupportedOperator,
                    path,
                    $"Node '{node.DisplayName}' in '{path}' uses operator '{op}', which BuildOptim does not support yet. Supported: {string.Join(", ", SupportedOperators)}.");
            }
        }

        var context = new LoweringContext(graph);
        foreach (var input in graph.Inputs)
        {
            if (!inputShapes.TryGetValue(input.Name, out var shape))
            {
                throw Unsupported(path, $"No shape was given for input '{input.Name}' of '{path}'.");
            }

            if (input.Type != ElementType.Float)
            {
                throw Unsupported(path, $"Input '{input.Name}' of '{path}' is {input.Type}; BuildOptim supports float32 inputs.");
            }

            int id = context.NewValue(input.Name, shape);
            context.Inputs.Add(id);
            context.Symbols[input.Name] = new RuntimeValue(id);
        }

        foreach (var node in graph.Nodes)
        {
            context.Node = node;
            LowerNode(context, node);
        }

        context.Node = null;

        var outputs = new List<int>();
        foreach (var output in graph.Outputs)
        {
            if (!context.Symbols.TryGetValue(output.Name, out var value))
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Output '{output.Name}' of '{path}' is not produced by any node.");
            }

            int id = context.Materialize(value, output.Name);
            if (context.Inputs.Contains(id) || outputs.Contains(id))
            {
                id = context.AddLayer(new ReshapeLayer { Name = output.Name, Inputs = [id], Output = context.NewValue(output.Name, context.Shape(id)) });
            }

            outputs.Add(id);
        }

        return new Network
        {
            SourcePath = path,
            Values = context.Values,
            Layers = context.Layers,
            Inputs = context.Inputs,
            Outputs = outputs,
            DynamicBatch = dynamicBatch,
        };
    }

    internal static OnnxModelException Unsupported(string path, string message) => new(OnnxDiagnostics.UnsupportedModel, path, message);

    private static void LowerNode(LoweringContext c, Node node)
    {
        var inputs = node.Inputs.Select(name => name.Length == 0 ? null : c.Get(node, name)).ToArray();
        if (inputs.Length == 0 || inputs[0] is null)
        {
            throw Missing(c, node, 0); // every supported operator reads its first input
        }

        if (node.OpType == "Shape")
        {
            c.Set(node, 0, new ConstantValue(ShapeOf(c, node, inputs[0]!)));
            return;
        }

        bool allConstant = inputs.All(i => i is null or ConstantValue);
        if (allConstant && ConstantFolding.Foldable.Contains(node.OpType))
        {
            var tensors = inputs.Select(i => (i as ConstantValue)?.Tensor).ToArray();
            c.Set(node, 0, new ConstantValue(ConstantFolding.Fold(c, node, tensors)));
            return;
        }

        if (node.OpType == "Dropout" && inputs.ElementAtOrDefault(2) is { } training
            && (training is not ConstantValue { Tensor: var mode } || (mode.IsFloat ? mode.Floats!.Any(v => v != 0) : mode.Int64s!.Any(v => v != 0))))
        {
            throw Unsupported(c.Path, $"Dropout '{node.DisplayName}' in '{c.Path}' runs in training mode; export the model in eval mode.");
        }

        if (node.OpType is "Identity" or "Dropout")
        {
            if (node.OpType == "Dropout" && node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && c.IsUsedLater(node.Outputs[1]))
            {
                throw Unsupported(c.Path, $"Dropout '{node.DisplayName}' in '{c.Path}' exposes its mask, which BuildOptim does not support.");
            }

            c.Set(node, 0, inputs[0]!);
            return;
        }

        if (node.OpType == "Cast")
        {
            long to = node.GetInt("to", 1);
            if (to is not (1 or 10 or 11))
            {
                throw Unsupported(c.Path, $"Cast '{node.DisplayName}' in '{c.Path}' converts the data to type {to}; only float casts of runtime tensors are supported.");
            }

            c.Set(node, 0, inputs[0]!);
            return;
        }

        var layer = LowerLayer(c, node, inputs);
        c.Set(node, 0, new RuntimeValue(layer));
    }

    private static Tensor ShapeOf(LoweringContext c, Node node, SymbolicValue value)
    {
        int[] dims = DimsOf(c, value);
        long rank = dims.Length;
        long start = node.GetInt("start", 0);
        long end = node.GetInt("end", rank);
        start = Math.Clamp(start < 0 ? start + rank : start, 0, rank);
        end = Math.Clamp(end < 0 ? end + rank : end, 0, rank);
        long[] slice = dims.Select(d => (long)d).ToArray()[(int)start..(int)Math.Max(start, end)];
        return new Tensor(node.Outputs[0], [slice.Length], slice);
    }
}
