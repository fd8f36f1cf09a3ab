using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Lowers an ONNX <see cref="Graph"/> to a <see cref="Network"/> with concrete shapes: the batch
/// dimension is bound to 1 (models run one sample at a time; the generated class loops batches),
/// constants and shape subgraphs are folded, Identity/Dropout disappear, and every remaining node
/// becomes a layer. The network is returned as lowered, before any graph pass: <see cref="OnnxFrontEnd"/>
/// runs the passes.
/// </summary>
public static class GraphLowering
{
    /// <summary>The operators this lowering accepts: the keys of <see cref="OperatorRegistry"/>, in ordinal order.</summary>
    public static IReadOnlySet<string> SupportedOperators => OperatorRegistry.Supported;

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

    /// <summary>
    /// Lowers a graph with the given concrete input shapes: any number of inputs and outputs, each float32, int64, int32 or
    /// bool (<see cref="IsRuntimeType"/>); the network's values keep their element types (<see cref="Network.InputTypes"/>,
    /// <see cref="Network.OutputTypes"/>).
    /// </summary>
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

            if (!IsRuntimeType(input.Type))
            {
                throw Unsupported(path, $"Input '{input.Name}' of '{path}' is {input.Type}; BuildOptim supports float32, int64, int32 and bool inputs.");
            }

            int id = context.NewValue(input.Name, shape, input.Type);
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
                id = context.AddLayer(new ReshapeLayer { Name = output.Name, Inputs = [id], Output = context.NewValue(output.Name, context.Shape(id), context.Type(id)) });
            }

            CheckOutputType(path, output, context.Type(id));

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

    /// <summary>
    /// The element types a plan carries at run time: float32, and int64, int32 and bool held as float32 (see
    /// <see cref="NetworkValue"/>).
    /// </summary>
    public static bool IsRuntimeType(ElementType type) => type is ElementType.Float or ElementType.Int64 or ElementType.Int32 or ElementType.Bool;

    /// <summary>
    /// A graph output computes what it declares: one of the <see cref="IsRuntimeType"/> types, or float32 for a double
    /// output (the plan computes in float32, as before element types were tracked); an output without a declared type
    /// takes what it computes.
    /// </summary>
    private static void CheckOutputType(string path, ValueInfo output, ElementType computed)
    {
        var declared = output.Type == ElementType.Double ? ElementType.Float : output.Type;
        if (declared == ElementType.Other || declared == computed)
        {
            return;
        }

        throw Unsupported(path, IsRuntimeType(declared)
            ? $"Output '{output.Name}' of '{path}' is declared {output.Type} but computes {computed}."
            : $"Output '{output.Name}' of '{path}' is {output.Type}; BuildOptim supports float32, int64, int32 and bool outputs.");
    }

    internal static OnnxModelException Unsupported(string path, string message) => new(OnnxDiagnostics.UnsupportedModel, path, message);

    internal static OnnxModelException Missing(LoweringContext c, Node node, int i)
        => new(OnnxDiagnostics.InvalidModel, c.Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{c.Path}' is missing input {i}.");

    /// <summary>
    /// Lowers one node with its operator's entry in <see cref="OperatorRegistry"/>: folded when every input is a
    /// constant and the operator folds, lowered otherwise.
    /// </summary>
    private static void LowerNode(LoweringContext c, Node node)
    {
        var inputs = node.Inputs.Select(name => name.Length == 0 ? null : c.Get(node, name)).ToArray();
        if (inputs.Length == 0 || inputs[0] is null)
        {
            throw Missing(c, node, 0); // every supported operator reads its first input
        }

        var op = OperatorRegistry.Find(node.OpType);
        if (op.Fold is { } fold && inputs.All(i => i is null or ConstantValue))
        {
            var tensors = inputs.Select(i => (i as ConstantValue)?.Tensor).ToArray();
            c.Set(node, 0, new ConstantValue(ConstantFolding.Fold(new NodeFolding(c, node, tensors), fold)));
            return;
        }

        if (op.Lower is not { } lower)
        {
            throw new OnnxModelException(
                OnnxDiagnostics.UnsupportedOperator,
                c.Path,
                $"Node '{node.DisplayName}' in '{c.Path}' applies '{node.OpType}' to the model's data; BuildOptim supports '{node.OpType}' only on shapes and constants.");
        }

        c.Set(node, 0, lower(new NodeLowering(c, node, inputs)));
    }
}
