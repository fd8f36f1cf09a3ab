using Google.Protobuf;
using Onnx;

namespace BuildOptim.Tests;

/// <summary>
/// Builds small ONNX models in code: a float input <c>x</c> of [batch, features] and whatever nodes and
/// initializers a test adds. Hostile-input tests use it to write exactly the malformed field they test.
/// </summary>
internal sealed class OnnxModelBuilder
{
    public OnnxModelBuilder(int features = 4, int opset = 13)
    {
        Opset = opset;
        Graph.Input.Add(FloatValue("x", null, features));
    }

    public GraphProto Graph { get; } = new() { Name = "g" };

    public int Opset { get; set; }

    /// <summary>Adds a node; <paramref name="name"/> is what error messages must mention.</summary>
    public OnnxModelBuilder Node(string opType, string name, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return this;
    }

    /// <summary>Declares a graph output; a model needs one, and tests usually declare <c>y</c> after a Relu of <c>x</c>.</summary>
    public OnnxModelBuilder Output(string name, int features = 4)
    {
        Graph.Output.Add(FloatValue(name, null, features));
        return this;
    }

    /// <summary>The usual body around a hostile node: <c>y = Relu(x)</c>, so lowering gets past the hostile node only by folding it.</summary>
    public OnnxModelBuilder ReluOutput() => Node("Relu", "relu", ["x"], ["y"]).Output("y");

    public OnnxModelBuilder Int64s(string name, long[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.AddRange(dims.Length == 0 ? [values.Length] : dims);
        t.Int64Data.AddRange(values);
        Graph.Initializer.Add(t);
        return this;
    }

    public OnnxModelBuilder Floats(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = 1 };
        t.Dims.AddRange(dims.Length == 0 ? [values.Length] : dims);
        t.FloatData.AddRange(values);
        Graph.Initializer.Add(t);
        return this;
    }

    /// <summary>A 0-d (scalar) initializer.</summary>
    public OnnxModelBuilder Scalar(string name, float value)
    {
        Graph.Initializer.Add(new TensorProto { Name = name, DataType = 1, FloatData = { value } });
        return this;
    }

    /// <summary>A 0-d (scalar) int64 initializer.</summary>
    public OnnxModelBuilder Scalar(string name, long value)
    {
        Graph.Initializer.Add(new TensorProto { Name = name, DataType = 7, Int64Data = { value } });
        return this;
    }

    public OnnxModelBuilder Initializer(TensorProto tensor)
    {
        Graph.Initializer.Add(tensor);
        return this;
    }

    public byte[] ToBytes()
        => new ModelProto { IrVersion = 8, Graph = Graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } } }.ToByteArray();

    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attr(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attr(string name, params long[] values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public static AttributeProto Attr(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    public static ValueInfoProto FloatValue(string name, long? batch, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(batch is { } b ? new TensorShapeProto.Types.Dimension { DimValue = b } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (long d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }
}
