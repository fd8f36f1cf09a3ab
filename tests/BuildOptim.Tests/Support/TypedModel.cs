using BuildOptim.Compression;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Planning;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace BuildOptim.Tests;

/// <summary>
/// A small ONNX graph with typed inputs (float, int64, int32, bool arrays with their data) and outputs, run on a BuildOptim
/// plan (fp32 or int8, calibrated on the inputs themselves) and on ONNX Runtime, the reference the data-path operators must
/// match exactly.
/// </summary>
internal sealed class TypedModel(int opset = 18)
{
    private readonly List<(string Name, Array Data, long[] Dims)> _inputs = [];

    public GraphProto Graph { get; } = new() { Name = "g" };

    /// <summary>A graph input of the array's element type (float, long, int or bool), fed with <paramref name="data"/>.</summary>
    public TypedModel Input(string name, Array data, params long[] dims)
    {
        _inputs.Add((name, data, dims));
        Graph.Input.Add(Value(name, ElementTypeOf(data), dims));
        return this;
    }

    /// <summary>A graph output of ONNX data type <paramref name="elementType"/> (1 float, 6 int32, 7 int64, 9 bool), shape left to inference.</summary>
    public TypedModel Output(string name, int elementType = 1)
    {
        Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType } } });
        return this;
    }

    public TypedModel Node(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = opType + "_" + Graph.Node.Count };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return this;
    }

    /// <summary>An initializer of the array's element type.</summary>
    public TypedModel Initializer(string name, Array data, params long[] dims)
    {
        Graph.Initializer.Add(Tensor(name, data, dims));
        return this;
    }

    public static TensorProto Tensor(string name, Array data, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = ElementTypeOf(data) };
        t.Dims.AddRange(dims);
        switch (data)
        {
            case float[] f:
                t.FloatData.AddRange(f);
                break;
            case long[] l:
                t.Int64Data.AddRange(l);
                break;
            case int[] i:
                t.Int32Data.AddRange(i);
                break;
            case bool[] b:
                t.Int32Data.AddRange(b.Select(v => v ? 1 : 0));
                break;
            default:
                throw new ArgumentException(data.GetType().Name);
        }

        return t;
    }

    public byte[] ToBytes() => new ModelProto { IrVersion = 8, Graph = Graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = opset } } }.ToByteArray();

    /// <summary>The network the conformance runner would build: lowered with the inputs' shapes, after the graph passes.</summary>
    public Network Lower() => WithFile(path => OnnxFrontEnd.Import(OnnxModelLoader.Load(path), _inputs.ToDictionary(i => i.Name, i => i.Dims.Select(d => (int)d).ToArray())));

    /// <summary>The outputs of the compiled plan, as floats (integers and bools as their exact values).</summary>
    public List<float[]> RunPlan(bool int8 = false)
    {
        var network = Lower();
        var inputs = _inputs.Select(i => AsFloats(i.Data)).ToList();
        var plan = int8 ? PlanCompiler.Compile(network, QuantizeMode.Int8, Calibrate(network)) : PlanCompiler.Compile(network, QuantizeMode.None, null);

        var runner = new PlanRunner(ModelPlan.FromBytes(plan.Bytes));
        var outputs = network.Outputs.Select(o => new float[network.Value(o).Length]).ToList();
        runner.RunMany(inputs, outputs);
        return outputs;
    }

    /// <summary>Every value's range over the inputs, as the int8 compilation and the QDQ export take them.</summary>
    public Dictionary<int, TensorRange> Calibrate(Network network)
    {
        var probe = new ValueProbe(network);
        var ranges = probe.Values.ToDictionary(v => v, _ => TensorRange.Empty);
        probe.Run(_inputs.Select(i => AsFloats(i.Data)).ToList());
        probe.VisitValues((value, values) => ranges[value] = ranges[value].Include(values));
        return ranges;
    }

    /// <summary>The outputs of ONNX Runtime on the same model and inputs, as floats.</summary>
    public List<float[]> RunOnnxRuntime() => RunOnnxRuntime(ToBytes());

    /// <summary>The outputs of ONNX Runtime running <paramref name="model"/> (this one, or its QDQ export) on the inputs, as floats.</summary>
    public List<float[]> RunOnnxRuntime(byte[] model, GraphOptimizationLevel optimization = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = optimization, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        var values = _inputs.Select(i => OrtInput(i.Data, i.Dims)).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, _inputs.Select(i => i.Name).ToArray(), values, session.OutputNames.ToArray());
            return outputs.Select(AsFloats).ToList();
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    /// <summary>Asserts that the plan computes what ONNX Runtime does, within <paramref name="tolerance"/> (0: bit for bit).</summary>
    public void AssertMatchesOnnxRuntime(bool int8 = false, float tolerance = 0)
    {
        var expected = RunOnnxRuntime();
        var actual = RunPlan(int8);
        Assert.Equal(expected.Count, actual.Count);
        for (int o = 0; o < expected.Count; o++)
        {
            Assert.Equal(expected[o].Length, actual[o].Length);
            for (int i = 0; i < expected[o].Length; i++)
            {
                bool same = tolerance == 0
                    ? expected[o][i].Equals(actual[o][i])
                    : Math.Abs(expected[o][i] - actual[o][i]) <= tolerance * Math.Max(1, Math.Abs(expected[o][i]));
                Assert.True(same, $"output {o}[{i}]: plan {actual[o][i]}, ONNX Runtime {expected[o][i]}");
            }
        }
    }

    private T WithFile<T>(Func<string, T> use)
    {
        string path = Path.Combine(Path.GetTempPath(), $"bopt-typed-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, ToBytes());
        try
        {
            return use(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static int ElementTypeOf(Array data) => data switch
    {
        float[] => 1,
        int[] => 6,
        long[] => 7,
        bool[] => 9,
        _ => throw new ArgumentException(data.GetType().Name),
    };

    private static ValueInfoProto Value(string name, int elementType, long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } } };
    }

    private static OrtValue OrtInput(Array data, long[] dims) => data switch
    {
        float[] f => OrtValue.CreateTensorValueFromMemory(f, dims),
        long[] l => OrtValue.CreateTensorValueFromMemory(l, dims),
        int[] i => OrtValue.CreateTensorValueFromMemory(i, dims),
        bool[] b => OrtValue.CreateTensorValueFromMemory(b, dims),
        _ => throw new ArgumentException(data.GetType().Name),
    };

    private static float[] AsFloats(Array data) => data switch
    {
        float[] f => f,
        long[] l => l.Select(v => (float)v).ToArray(),
        int[] i => i.Select(v => (float)v).ToArray(),
        bool[] b => b.Select(v => v ? 1f : 0f).ToArray(),
        _ => throw new ArgumentException(data.GetType().Name),
    };

    private static float[] AsFloats(OrtValue value) => value.GetTensorTypeAndShape().ElementDataType switch
    {
        TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
        TensorElementType.Int64 => value.GetTensorDataAsSpan<long>().ToArray().Select(v => (float)v).ToArray(),
        TensorElementType.Int32 => value.GetTensorDataAsSpan<int>().ToArray().Select(v => (float)v).ToArray(),
        TensorElementType.Bool => value.GetTensorDataAsSpan<bool>().ToArray().Select(v => v ? 1f : 0f).ToArray(),
        var type => throw new NotSupportedException(type.ToString()),
    };
}
