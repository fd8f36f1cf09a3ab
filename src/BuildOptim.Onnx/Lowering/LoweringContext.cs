using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering;

/// <summary>Mutable state of one lowering: symbols by ONNX name, values and layers built so far.</summary>
internal sealed class LoweringContext(Graph graph)
{
    private readonly Dictionary<string, int> _lastUse = BuildLastUse(graph);

    /// <summary>The <see cref="ConstantLayer"/> output of each constant read as data so far, by name (a lowering may name a
    /// tensor it derives after its source: only the same constant reuses the layer).</summary>
    private readonly Dictionary<string, (ConstantValue Constant, int Id)> _materialized = new(StringComparer.Ordinal);
    private int _nodeIndex;

    /// <summary>
    /// Constant data this lowering may still create (folded tensors, weight copies), in float32 elements: twice
    /// the model's own tensor data plus one tensor's budget (1 GB), so a small model cannot make the engine
    /// allocate gigabytes by folding or by reusing one initializer in many layers.
    /// </summary>
    private long _constantBudget = ModelLimits.MaxTensorElements + 2 * graph.Initializers.Values.Sum(t => t.IsFloat ? t.ElementCount : 2L * t.ElementCount);

    public Graph Graph { get; } = graph;

    /// <summary>The node being lowered; messages about the values it creates name it.</summary>
    public Node? Node { get; set; }

    public string Path => Graph.SourcePath;

    public Dictionary<string, SymbolicValue> Symbols { get; } = graph.Initializers.ToDictionary(kv => kv.Key, kv => (SymbolicValue)new ConstantValue(kv.Value), StringComparer.Ordinal);

    public List<NetworkValue> Values { get; } = [];

    public List<Layer> Layers { get; } = [];

    public List<int> Inputs { get; } = [];

    /// <summary>Adds a value; its shape, computed from model data, is checked against <see cref="ModelLimits"/>.</summary>
    public int NewValue(string name, int[] shape, ElementType type = ElementType.Float)
    {
        string subject = Node is { } node ? $"Output '{name}' of {Shapes.Subject(Path, node)}" : $"Value '{name}' in '{Path}'";
        ModelLimits.ElementCount(shape, Path, subject);
        Values.Add(new NetworkValue(Values.Count, name, shape, type));
        return Values.Count - 1;
    }

    public int[] Shape(int id) => Values[id].Shape;

    /// <summary>The element type of a runtime value.</summary>
    public ElementType Type(int id) => Values[id].Type;

    /// <summary>The element type of a symbol: a runtime value's, or a constant's (float for every float-like tensor).</summary>
    public ElementType TypeOf(SymbolicValue value) => value switch
    {
        RuntimeValue r => Type(r.Id),
        ConstantValue { Tensor: var t } => t.IsFloat ? ElementType.Float : t.Type,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Adds a layer; returns its output value id.</summary>
    public int AddLayer(Layer layer)
    {
        Layers.Add(layer);
        return layer.Output;
    }

    public SymbolicValue Get(Node node, string name)
        => Symbols.TryGetValue(name, out var v)
            ? v
            : throw new OnnxModelException(OnnxDiagnostics.InvalidModel, Path, $"Node '{node.DisplayName}' ({node.OpType}) in '{Path}' reads '{name}', which no earlier node produces.");

    public void Set(Node node, int output, SymbolicValue value)
    {
        Symbols[node.Outputs[output]] = value;
        _nodeIndex++;
    }

    public bool IsUsedLater(string name) => _lastUse.ContainsKey(name);

    /// <summary>
    /// Accounts for <paramref name="elements"/> of constant data about to be allocated for <paramref name="node"/>;
    /// <paramref name="integers"/> count twice, as they are held as int64.
    /// </summary>
    public void Charge(Node node, long elements, bool integers = false)
    {
        long cost = integers ? 2 * elements : elements;
        if (elements > ModelLimits.MaxTensorElements || (_constantBudget -= cost) < 0)
        {
            throw new OnnxModelException(
                OnnxDiagnostics.UnsupportedModel,
                Path,
                $"{Shapes.Subject(Path, node)} would create {elements} more elements of constant data; one lowering may create at most {ModelLimits.MaxTensorElements} float32 elements (int64 count twice) beyond twice the model's own tensor data.");
        }
    }

    /// <summary>
    /// The value id of a symbol, turning a constant into a <see cref="ConstantLayer"/> once per name. The symbol stays a
    /// constant: an initializer that one node reads as data and another as a weight, a shape or a bound (exporters share
    /// scalars such as 6 between a Div and a Clip) is still a constant to the second.
    /// </summary>
    public int Materialize(SymbolicValue value, string name)
    {
        switch (value)
        {
            case RuntimeValue r:
                return r.Id;
            case ConstantValue c when _materialized.TryGetValue(name, out var existing) && ReferenceEquals(existing.Constant, c):
                return existing.Id;
            case ConstantValue { Tensor: var t }:
            {
                if (!t.IsFloat && Node is { } node)
                {
                    Charge(node, t.ElementCount);
                }

                float[] data = t.IsFloat ? t.Floats! : t.Int64s!.Select(v => (float)v).ToArray();
                int id = NewValue(name, t.Dims, TypeOf(value));
                AddLayer(new ConstantLayer { Name = name, Inputs = [], Output = id, Data = data });
                _materialized[name] = ((ConstantValue)value, id);
                return id;
            }

            default:
                throw new InvalidOperationException();
        }
    }

    private static Dictionary<string, int> BuildLastUse(Graph graph)
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            foreach (string input in graph.Nodes[i].Inputs)
            {
                uses[input] = i;
            }
        }

        foreach (var output in graph.Outputs)
        {
            uses[output.Name] = int.MaxValue;
        }

        return uses;
    }
}
