namespace BuildOptim.Onnx.Lowering;

/// <summary>One node whose inputs are all constants, being evaluated to the constant its first output holds.</summary>
internal readonly struct NodeFolding(LoweringContext context, Node node, Tensor?[] inputs)
{
    public LoweringContext Context { get; } = context;

    public Node Node { get; } = node;

    /// <summary>The input tensors; null for an omitted optional input.</summary>
    public Tensor?[] Inputs { get; } = inputs;

    public string Path => Context.Path;

    /// <summary>The name of the folded tensor: the node's first output.</summary>
    public string OutputName => Node.Outputs[0];

    public long Opset => Context.Graph.OpsetVersion;

    /// <summary>Input <paramref name="i"/>, which must be present.</summary>
    public Tensor Input(int i) => i < Inputs.Length && Inputs[i] is { } t ? t : throw Fail($"misses input {i}");

    /// <summary>Input <paramref name="i"/>, or null when it is omitted or past the node's inputs.</summary>
    public Tensor? Optional(int i) => Inputs.ElementAtOrDefault(i);

    /// <summary>Every input, each of which must be present.</summary>
    public Tensor[] All()
    {
        var node = this;
        return Inputs.Select((t, i) => t ?? throw node.Fail($"misses input {i}")).ToArray();
    }

    /// <inheritdoc cref="LoweringContext.Charge"/>
    public void Charge(long elements, bool integers = false) => Context.Charge(Node, elements, integers);

    /// <summary>BOPT1004: <c>Op 'name' in 'model.onnx' {problem}; BuildOptim cannot fold it.</c></summary>
    public OnnxModelException Fail(string problem) => ConstantFolding.Fail(Path, Node, problem);

    /// <summary>BOPT1002 naming the node.</summary>
    public OnnxModelException Bad(string problem) => Shapes.Bad(Path, Node, problem);
}
