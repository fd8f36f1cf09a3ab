namespace BuildOptim.Onnx;

/// <summary>Element types the IR understands (subset of ONNX TensorProto.DataType).</summary>
public enum ElementType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Double = 11,
    Other = 0,
}

/// <summary>A constant tensor. Float-like data lives in <see cref="Floats"/>, integer-like in <see cref="Int64s"/>.</summary>
public sealed class Tensor
{
    public Tensor(string name, int[] dims, float[] floats)
    {
        Name = name;
        Dims = dims;
        Floats = floats;
        Type = ElementType.Float;
    }

    public Tensor(string name, int[] dims, long[] int64s, ElementType type = ElementType.Int64)
    {
        Name = name;
        Dims = dims;
        Int64s = int64s;
        Type = type;
    }

    public string Name { get; }

    public int[] Dims { get; }

    public ElementType Type { get; }

    public float[]? Floats { get; }

    public long[]? Int64s { get; }

    public int ElementCount => Floats?.Length ?? Int64s!.Length;

    public bool IsFloat => Floats is not null;
}

/// <summary>A node attribute (the kinds the supported ops use).</summary>
public sealed record Attribute(string Name, float? F = null, long? I = null, string? S = null, float[]? Floats = null, long[]? Ints = null, Tensor? T = null);

/// <summary>One ONNX node.</summary>
public sealed class Node
{
    public Node(string name, string opType, string domain, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, IReadOnlyDictionary<string, Attribute> attributes)
    {
        Name = name;
        OpType = opType;
        Domain = domain;
        Inputs = inputs;
        Outputs = outputs;
        Attributes = attributes;
    }

    public string Name { get; }

    public string OpType { get; }

    public string Domain { get; }

    /// <summary>Input value names; an empty string is an omitted optional input.</summary>
    public IReadOnlyList<string> Inputs { get; }

    public IReadOnlyList<string> Outputs { get; }

    public IReadOnlyDictionary<string, Attribute> Attributes { get; }

    /// <summary>The name used in messages: the node name, or its op type and first output.</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? $"{OpType} -> {Outputs.FirstOrDefault()}" : Name;

    public long GetInt(string name, long fallback) => Attributes.TryGetValue(name, out var a) && a.I is { } v ? v : fallback;

    public float GetFloat(string name, float fallback) => Attributes.TryGetValue(name, out var a) && a.F is { } v ? v : fallback;

    public long[]? GetInts(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : null;
}

/// <summary>A graph input or output: name, element type and dims (<c>null</c> for a symbolic dim).</summary>
public sealed record ValueInfo(string Name, ElementType Type, int?[] Dims)
{
    /// <summary>Per dimension, the model's symbolic name of a dynamic one (<c>sequence_length</c>), or null.</summary>
    public string?[] DimNames { get; init; } = [];
}

/// <summary>An ONNX graph lowered to plain objects.</summary>
public sealed class Graph
{
    public required string SourcePath { get; init; }

    public required long OpsetVersion { get; init; }

    public required string ProducerName { get; init; }

    /// <summary>Graph inputs that are not initializers.</summary>
    public required List<ValueInfo> Inputs { get; init; }

    public required List<ValueInfo> Outputs { get; init; }

    public required List<Node> Nodes { get; set; }

    public required Dictionary<string, Tensor> Initializers { get; init; }
}
