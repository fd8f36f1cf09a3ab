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

    /// <summary>
    /// Lowers a model for compression: every input is [batch, ...] with the batch symbolic or 1 and every other dimension
    /// fixed, by the model or by <paramref name="inputShapes"/> (the <c>InputShape</c> option: input name, or "" for a
    /// one-input model, to dims with null for one left dynamic); every output has the batch as its first dimension.
    /// </summary>
    public static Network LowerModel(Graph graph, IReadOnlyDictionary<string, int?[]>? inputShapes = null)
    {
        string path = graph.SourcePath;
        if (graph.Inputs.Count == 0 || graph.Outputs.Count == 0)
        {
            throw Unsupported(path, $"'{path}' has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs; BuildOptim compresses models with at least one of each.");
        }

        if (inputShapes is not null)
        {
            foreach (string name in inputShapes.Keys)
            {
                if (name.Length == 0 ? graph.Inputs.Count != 1 : graph.Inputs.All(i => i.Name != name))
                {
                    throw Unsupported(path, name.Length == 0
                        ? $"InputShape gives one shape without a name, but '{path}' has {graph.Inputs.Count} inputs ({string.Join(", ", graph.Inputs.Select(i => i.Name))}); name each: 'name:1,128;other:1,128'."
                        : $"InputShape names '{name}', which is not an input of '{path}' (its inputs: {string.Join(", ", graph.Inputs.Select(i => i.Name))}).");
                }
            }
        }

        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        bool? dynamicBatch = null;
        foreach (var input in graph.Inputs)
        {
            int?[] dims = input.Dims;
            if (InputShapes.GivenFor(inputShapes, input.Name, graph.Inputs.Count) is { } given)
            {
                dims = Override(path, input, given);
            }

            string declared = InputShapes.Format(input.Dims);
            if (dims.Length < 2 || dims.Skip(1).Any(d => d is null))
            {
                throw Unsupported(path, $"Input '{input.Name}' of '{path}' has shape {InputShapes.Format(dims)} (the model declares {declared}); BuildOptim needs [batch, d1, ...] with every dimension after the batch fixed: set InputShape (e.g. InputShape=\"{(graph.Inputs.Count > 1 ? input.Name + ":" : "")}{InputShapes.Format(dims.Select((d, i) => (int?)(i == 0 ? d ?? 1 : d ?? 128))).Trim('[', ']')}\") to fix them.");
            }

            bool dynamic = dims[0] is null;
            if (!dynamic && dims[0] != 1)
            {
                throw Unsupported(path, $"Input '{input.Name}' of '{path}' has a fixed batch of {dims[0]}; export it with a dynamic batch dimension or batch 1.");
            }

            if (dynamicBatch is { } other && other != dynamic)
            {
                throw Unsupported(path, $"Some inputs of '{path}' have a dynamic batch and others a fixed one; export them alike.");
            }

            dynamicBatch = dynamic;
            shapes[input.Name] = [1, .. dims.Skip(1).Select(d => d!.Value)];
        }

        var network = Lower(graph, shapes, dynamicBatch ?? false);
        foreach (int id in network.Outputs)
        {
            var output = network.Values[id];
            if (output.Shape.Length == 0 || output.Shape[0] != 1)
            {
                throw Unsupported(path, $"Output '{output.Name}' of '{path}' has shape [{string.Join(",", output.Shape)}] for one sample; BuildOptim needs the batch as the output's first dimension.");
            }
        }

        return network;
    }

    /// <summary>The declared dims of <paramref name="input"/> with <paramref name="given"/> filling them (fixed ones must agree).</summary>
    private static int?[] Override(string path, ValueInfo input, int?[] given)
    {
        if (given.Length != input.Dims.Length)
        {
            throw Unsupported(path, $"InputShape gives {InputShapes.Format(given)} for input '{input.Name}' of '{path}', which has rank {input.Dims.Length} ({InputShapes.Format(input.Dims)}).");
        }

        for (int i = 0; i < given.Length; i++)
        {
            if (input.Dims[i] is { } fixedDim && given[i] is { } g && g != fixedDim)
            {
                throw Unsupported(path, $"InputShape gives {InputShapes.Format(given)} for input '{input.Name}' of '{path}', but the model fixes dimension {i} at {fixedDim} ({InputShapes.Format(input.Dims)}).");
            }
        }

        return InputShapes.Fill(input.Dims, given);
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
