namespace BuildOptim.Onnx.Lowering;

/// <summary>Mutable state of one lowering: symbols by ONNX name, values and layers built so far.</summary>
internal sealed class LoweringContext(Graph graph)
{
    private readonly Dictionary<string, int> _lastUse = BuildLastUse(graph);
    private int _nodeIndex;

    public Graph Graph { get; } = graph;

    public string Path => Graph.SourcePath;

    public Dictionary<string, SymbolicValue> Symbols { get; } = graph.Initializers.ToDictionary(kv => kv.Key, kv => (SymbolicValue)new ConstantValue(kv.Value), StringComparer.Ordinal);

    public List<NetworkValue> Values { get; } = [];

    public List<Layer> Layers { get; } = [];

    public List<int> Inputs { get; } = [];

    public int NewValue(string name, int[] shape)
    {
        Values.Add(new NetworkValue(Values.Count, name, shape));
        return Values.Count - 1;
    }

    public int[] Shape(int id) => Values[id].Shape;

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

    /// <summary>The value id of a symbol, turning a constant into a <see cref="ConstantLayer"/>.</summary>
    public int Materialize(SymbolicValue value, string name)
    {
        switch (value)
        {
            case RuntimeValue r:
                return r.Id;
            case ConstantValue { Tensor: var t }:
            {
                float[] data = t.IsFloat ? t.Floats! : t.Int64s!.Select(v => (float)v).ToArray();
                int id = NewValue(name, t.Dims);
                AddLayer(new ConstantLayer { Name = name, Inputs = [], Output = id, Data = data });
                Symbols[name] = new RuntimeValue(id);
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
