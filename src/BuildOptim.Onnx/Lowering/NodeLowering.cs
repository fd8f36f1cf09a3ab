using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// One node being lowered to layers: the lowering's state, the node, and what is known of each of its inputs
/// (null for an omitted optional input). An operator reads its inputs and adds its layers through it.
/// </summary>
internal readonly struct NodeLowering(LoweringContext context, Node node, SymbolicValue?[] inputs)
{
    public LoweringContext Context { get; } = context;

    public Node Node { get; } = node;

    public SymbolicValue?[] Inputs { get; } = inputs;

    public string Path => Context.Path;

    /// <summary>How messages and layers name the node.</summary>
    public string Name => Node.DisplayName;

    /// <summary>Input <paramref name="i"/>, or null when it is omitted or past the node's inputs.</summary>
    public SymbolicValue? Input(int i) => Inputs.ElementAtOrDefault(i);

    /// <summary>The value id of input <paramref name="i"/>; a constant becomes a <see cref="ConstantLayer"/>.</summary>
    public int Runtime(int i) => Input(i) is { } v ? Context.Materialize(v, Node.Inputs[i]) : throw Missing(i);

    /// <summary>Input <paramref name="i"/>, which must be a constant (a weight, a shape, axes...).</summary>
    public Tensor Constant(int i, string role) => Input(i) is ConstantValue { Tensor: var t }
        ? t
        : throw Unsupported($"{Node.OpType} '{Name}' in '{Path}' needs a constant {role}; computed {role}s are not supported.");

    /// <summary>A new value for the node's first output, of the first input's element type unless <paramref name="type"/> says otherwise.</summary>
    public int NewOutput(int[] shape, ElementType? type = null) => NewOutput(0, shape, type);

    /// <summary>A new value for output <paramref name="output"/> of the node, of the first input's element type unless <paramref name="type"/> says otherwise.</summary>
    public int NewOutput(int output, int[] shape, ElementType? type = null)
        => Context.NewValue(Node.Outputs[output], shape, type ?? Context.TypeOf(Inputs[0]!));

    /// <summary>The element type of input <paramref name="i"/>.</summary>
    public ElementType TypeOf(int i) => Input(i) is { } v ? Context.TypeOf(v) : throw Missing(i);

    /// <summary>Sets what output <paramref name="output"/> (after the first, which the lowering returns) holds.</summary>
    public void SetOutput(int output, SymbolicValue value) => Context.Symbols[Node.Outputs[output]] = value;

    /// <summary>Adds <paramref name="layer"/>; its output is what the node's first output holds.</summary>
    public RuntimeValue Add(Layer layer) => new(Context.AddLayer(layer));

    /// <summary>The dims of a symbol: a constant's or a runtime value's.</summary>
    public int[] DimsOf(SymbolicValue value) => value switch
    {
        RuntimeValue r => Context.Shape(r.Id),
        ConstantValue k => k.Tensor.Dims,
        _ => throw new InvalidOperationException(),
    };

    public OnnxModelException Missing(int i) => GraphLowering.Missing(Context, Node, i);

    /// <summary>BOPT1004: a valid model this lowering does not support.</summary>
    public OnnxModelException Unsupported(string message) => GraphLowering.Unsupported(Path, message);

    /// <summary>BOPT1002 naming the node: <c>Op 'name' in 'model.onnx' {problem}.</c></summary>
    public OnnxModelException Bad(string problem) => Shapes.Bad(Path, Node, problem);
}
