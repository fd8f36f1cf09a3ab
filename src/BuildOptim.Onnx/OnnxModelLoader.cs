using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;

namespace BuildOptim.Onnx;

/// <summary>Reads an ONNX file into a <see cref="Graph"/>.</summary>
public static class OnnxModelLoader
{
    public const int MinOpset = 7;
    public const int MaxOpset = 28;

    public static Graph Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new OnnxModelException(OnnxDiagnostics.ModelNotFound, path, $"Model file '{path}' was not found.");
        }

        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Exception e) when (IsCorruptProtobuf(e))
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"'{path}' is not a valid ONNX model: {e.Message}");
        }

        if (model.Graph is null || model.Graph.Node.Count == 0 || model.IrVersion <= 0)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"'{path}' is not a valid ONNX model: it has no graph (ir_version {model.IrVersion}).");
        }

        long opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < MinOpset || opset > MaxOpset)
        {
            throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path, $"'{path}' uses ONNX opset {opset}; BuildOptim supports opsets {MinOpset} to {MaxOpset}. Re-export the model with a supported opset.");
        }

        var graph = model.Graph;
        var initializers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            initializers[t.Name] = ToTensor(t, path);
        }

        foreach (var sparse in graph.SparseInitializer)
        {
            var dense = SparseInitializers.ToDense(sparse, path);
            initializers[dense.Name] = dense;
        }

        var nodes = new List<Node>(graph.Node.Count);
        foreach (var n in graph.Node)
        {
            var attributes = new Dictionary<string, Attribute>(StringComparer.Ordinal);
            foreach (var a in n.Attribute)
            {
                attributes[a.Name] = ToAttribute(a, path);
            }

            var node = new Node(n.Name, n.OpType, n.Domain, n.Input.ToArray(), n.Output.ToArray(), attributes);
            if (node.Outputs.Count == 0)
            {
                throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Node '{node.DisplayName}' ({node.OpType}) in '{path}' has no outputs.");
            }

            if (node.OpType == "Constant" && node.Domain is "" or "ai.onnx")
            {
                initializers[node.Outputs[0]] = ConstantValue(node, path);
                continue;
            }

            nodes.Add(node);
        }

        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).Select(i => ToValueInfo(i, path)).ToList();
        var outputs = graph.Output.Select(o => ToValueInfo(o, path)).ToList();
        return new Graph
        {
            SourcePath = path,
            OpsetVersion = opset,
            ProducerName = $"{model.ProducerName} {model.ProducerVersion}".Trim(),
            Inputs = inputs,
            Outputs = outputs,
            Nodes = nodes,
            Initializers = initializers,
        };
    }

    /// <summary>
    /// What parsing a file of bytes throws: besides <see cref="InvalidProtocolBufferException"/>, Google.Protobuf
    /// 3.30 reports a nested message or string whose length prefix is near int.MaxValue with
    /// <see cref="ArgumentOutOfRangeException"/> or <see cref="IndexOutOfRangeException"/>.
    /// </summary>
    internal static bool IsCorruptProtobuf(Exception e)
        => e is InvalidProtocolBufferException or IOException or UnauthorizedAccessException or ArgumentException or IndexOutOfRangeException or OverflowException;

    private static ValueInfo ToValueInfo(ValueInfoProto v, string path)
    {
        var tensorType = v.Type?.TensorType;
        var type = tensorType is null ? ElementType.Other : MapType(tensorType.ElemType);
        var shape = tensorType?.Shape?.Dim;
        if (shape is not null && (shape.Count > ModelLimits.MaxRank || shape.Any(d => d.DimValue > int.MaxValue)))
        {
            // The product is checked where a shape is bound (LoweringContext.NewValue).
            throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path, $"Graph input or output '{v.Name}' of '{path}' has shape [{string.Join(",", shape.Select(d => d.DimValue))}]: more than {ModelLimits.MaxRank} dimensions or one beyond {int.MaxValue}.");
        }

        int?[] dims = shape?.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? (int?)(int)d.DimValue : null).ToArray() ?? [];
        string?[] names = shape?.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam ? d.DimParam : null).ToArray() ?? [];
        return new ValueInfo(v.Name, type, dims) { DimNames = names };
    }

    private static ElementType MapType(int dataType) => dataType switch
    {
        1 => ElementType.Float,
        2 => ElementType.UInt8,
        3 => ElementType.Int8,
        6 => ElementType.Int32,
        7 => ElementType.Int64,
        9 => ElementType.Bool,
        11 => ElementType.Double,
        _ => ElementType.Other,
    };

    private static Attribute ToAttribute(AttributeProto a, string path) => a.Type switch
    {
        AttributeProto.Types.AttributeType.Float => new Attribute(a.Name, F: a.F),
        AttributeProto.Types.AttributeType.Int => new Attribute(a.Name, I: a.I),
        AttributeProto.Types.AttributeType.String => new Attribute(a.Name, S: a.S.ToStringUtf8()),
        AttributeProto.Types.AttributeType.Floats => new Attribute(a.Name, Floats: a.Floats.ToArray()),
        AttributeProto.Types.AttributeType.Ints => new Attribute(a.Name, Ints: a.Ints.ToArray()),
        AttributeProto.Types.AttributeType.Tensor when a.T is not null => new Attribute(a.Name, T: ToTensor(a.T, path)),
        _ => new Attribute(a.Name),
    };

    private static Tensor ConstantValue(Node node, string path)
    {
        string name = node.Outputs[0];
        foreach (var a in node.Attributes.Values)
        {
            switch (a.Name)
            {
                case "value" when a.T is not null:
                    return a.T.IsFloat ? new Tensor(name, a.T.Dims, a.T.Floats!) : new Tensor(name, a.T.Dims, a.T.Int64s!, a.T.Type);
                case "value_float" when a.F is { } f:
                    return new Tensor(name, [], [f]);
                case "value_floats" when a.Floats is not null:
                    return new Tensor(name, [a.Floats.Length], a.Floats);
                case "value_int" when a.I is { } i:
                    return new Tensor(name, [], [i]);
                case "value_ints" when a.Ints is not null:
                    return new Tensor(name, [a.Ints.Length], a.Ints);
            }
        }

        throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path, $"Constant node '{node.DisplayName}' in '{path}' has no supported value attribute.");
    }

    public static Tensor ToTensor(TensorProto t, string path)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External || t.ExternalData.Count > 0)
        {
            throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path, $"Tensor '{t.Name}' in '{path}' uses external data; save the model with all tensors inside the .onnx file.");
        }

        string subject = $"Tensor '{t.Name}' in '{path}'";
        int[] dims = ModelLimits.Dims(t.Dims.ToArray(), path, subject);
        int n = ModelLimits.ElementCount(dims, path, subject);
        var raw = t.RawData.Span;
        switch (t.DataType)
        {
            case 1: // float
                return new Tensor(t.Name, dims, raw.Length > 0 ? ReadRaw(raw, n, 4, t.Name, path, b => BinaryPrimitives.ReadSingleLittleEndian(b)) : Check(t.FloatData.ToArray(), n, t.Name, path));
            case 11: // double
                return new Tensor(t.Name, dims, raw.Length > 0 ? ReadRaw(raw, n, 8, t.Name, path, b => (float)BinaryPrimitives.ReadDoubleLittleEndian(b)) : Check(t.DoubleData.Select(d => (float)d).ToArray(), n, t.Name, path));
            case 7: // int64
                return new Tensor(t.Name, dims, raw.Length > 0 ? ReadRaw(raw, n, 8, t.Name, path, b => BinaryPrimitives.ReadInt64LittleEndian(b)) : Check(t.Int64Data.ToArray(), n, t.Name, path));
            case 6: // int32
                return new Tensor(t.Name, dims, raw.Length > 0 ? ReadRaw(raw, n, 4, t.Name, path, b => (long)BinaryPrimitives.ReadInt32LittleEndian(b)) : Check(t.Int32Data.Select(v => (long)v).ToArray(), n, t.Name, path), ElementType.Int32);
            case 9: // bool
            case 2: // uint8
                return new Tensor(t.Name, dims, raw.Length > 0 ? ReadRaw(raw, n, 1, t.Name, path, b => (long)b[0]) : Check(t.Int32Data.Select(v => (long)v).ToArray(), n, t.Name, path), t.DataType == 9 ? ElementType.Bool : ElementType.UInt8);
            case 3: // int8
                return new Tensor(t.Name, dims, raw.Length > 0 ? ReadRaw(raw, n, 1, t.Name, path, b => (long)(sbyte)b[0]) : Check(t.Int32Data.Select(v => (long)v).ToArray(), n, t.Name, path), ElementType.Int8);
            default:
                throw new OnnxModelException(OnnxDiagnostics.UnsupportedModel, path, $"Tensor '{t.Name}' in '{path}' has data type {t.DataType}, which BuildOptim does not support.");
        }
    }

    private delegate T Decode<T>(ReadOnlySpan<byte> bytes);

    private static T[] ReadRaw<T>(ReadOnlySpan<byte> raw, int n, int size, string name, string path, Decode<T> decode)
    {
        if (raw.Length != (long)n * size)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Tensor '{name}' in '{path}' holds {raw.Length} bytes of data, expected {(long)n * size}.");
        }

        var result = new T[n];
        for (int i = 0; i < n; i++)
        {
            result[i] = decode(raw.Slice(i * size, size));
        }

        return result;
    }

    private static T[] Check<T>(T[] values, int n, string name, string path)
    {
        if (values.Length != n)
        {
            throw new OnnxModelException(OnnxDiagnostics.InvalidModel, path, $"Tensor '{name}' in '{path}' holds {values.Length} values, expected {n}.");
        }

        return values;
    }
}
