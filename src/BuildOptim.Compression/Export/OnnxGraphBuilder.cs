using System.Runtime.InteropServices;
using BuildOptim.Onnx;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Compression.Export;

/// <summary>
/// Appends nodes and initializers to an ONNX <see cref="GraphProto"/> with unique tensor and node names;
/// tensors are stored little-endian in <c>raw_data</c>.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string name)
    {
        Graph = new GraphProto { Name = name };
    }

    public GraphProto Graph { get; }

    /// <summary>Claims <paramref name="name"/> as a tensor name, or a suffixed variant of it when taken.</summary>
    public string Unique(string name)
    {
        string candidate = name;
        for (int i = 1; !_names.Add(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }

    /// <summary>Claims an exact tensor name (graph inputs and outputs must keep theirs).</summary>
    public string Reserve(string name)
        => _names.Add(name) ? name : throw new InvalidOperationException($"Tensor name '{name}' is used twice.");

    public NodeProto Node(string opType, string name, IEnumerable<string> inputs, string output, params AttributeProto[] attributes)
        => Node(opType, name, inputs, [output], attributes);

    /// <summary>A node with several outputs (DynamicQuantizeLinear's codes, scale and zero point).</summary>
    public NodeProto Node(string opType, string name, IEnumerable<string> inputs, string[] outputs, params AttributeProto[] attributes)
    {
        string nodeName = name;
        for (int i = 1; !_nodeNames.Add(nodeName); i++)
        {
            nodeName = $"{name}_{i}";
        }

        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node;
    }

    /// <summary>A float32 initializer; <paramref name="exactName"/> when the name was already claimed with <see cref="Reserve"/>.</summary>
    public string Floats(string name, ReadOnlySpan<float> values, int[] dims, bool exactName = false) => Initializer(name, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(values), dims, exactName);

    public string Int8s(string name, ReadOnlySpan<sbyte> values, int[] dims) => Initializer(name, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values), dims, exactName: false);

    public string UInt8s(string name, ReadOnlySpan<byte> values, int[] dims) => Initializer(name, TensorProto.Types.DataType.Uint8, values, dims, exactName: false);

    public string Int32s(string name, ReadOnlySpan<int> values, int[] dims) => Initializer(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes(values), dims, exactName: false);

    public string Int64s(string name, ReadOnlySpan<long> values, int[] dims) => Initializer(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes(values), dims, exactName: false);

    /// <summary>
    /// A tensor of <paramref name="values"/> (float32 in the plan) stored as <paramref name="type"/>: float32, or the exact
    /// integers an int64, int32 or bool value holds.
    /// </summary>
    public string Typed(string name, ElementType type, float[] values, int[] dims, bool exactName = false) => type switch
    {
        ElementType.Int64 => Initializer(name, TensorProto.Types.DataType.Int64, MemoryMarshal.AsBytes<long>(values.Select(v => (long)v).ToArray()), dims, exactName),
        ElementType.Int32 => Initializer(name, TensorProto.Types.DataType.Int32, MemoryMarshal.AsBytes<int>(values.Select(v => (int)v).ToArray()), dims, exactName),
        ElementType.Bool => Initializer(name, TensorProto.Types.DataType.Bool, values.Select(v => v != 0 ? (byte)1 : (byte)0).ToArray(), dims, exactName),
        _ => Floats(name, values, dims, exactName),
    };

    /// <summary>A tensor value (graph input or output) of <paramref name="type"/>; a null dimension is the symbolic <c>batch</c>.</summary>
    public static ValueInfoProto TensorValue(string name, ElementType type, IEnumerable<int?> dims)
    {
        var shape = new TensorShapeProto();
        foreach (int? d in dims)
        {
            shape.Dim.Add(d is { } value ? new TensorShapeProto.Types.Dimension { DimValue = value } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType(type), Shape = shape } },
        };
    }

    /// <summary>The ONNX data type of a value's element type (float-like values are float32).</summary>
    public static TensorProto.Types.DataType DataType(ElementType type) => type switch
    {
        ElementType.Int64 => TensorProto.Types.DataType.Int64,
        ElementType.Int32 => TensorProto.Types.DataType.Int32,
        ElementType.Bool => TensorProto.Types.DataType.Bool,
        _ => TensorProto.Types.DataType.Float,
    };

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, IEnumerable<int> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values.Select(v => (long)v));
        return attribute;
    }

    public static AttributeProto String(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private string Initializer(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> bytes, int[] dims, bool exactName)
    {
        string unique = exactName ? name : Unique(name);
        var tensor = new TensorProto { Name = unique, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims.Select(d => (long)d));
        Graph.Initializer.Add(tensor);
        return unique;
    }
}
