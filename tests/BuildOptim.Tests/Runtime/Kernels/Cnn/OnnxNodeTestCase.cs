using System.Buffers.Binary;
using BuildOptim.Runtime;
using Onnx;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

/// <summary>A tensor read from an ONNX TensorProto file: dims and its elements as floats (every supported type) or bytes (uint8).</summary>
internal sealed record NodeTensor(int[] Dims, float[] Floats, byte[] Bytes, long[] Longs)
{
    public int Length => Floats.Length;
}

/// <summary>
/// One ONNX backend node test (onnx/backend/test/data/node, Apache-2.0): the single-node model, its inputs and the
/// expected output of test_data_set_0, read from <c>tests/TestData/onnx-node</c> or, for the few cases vendored only for
/// the kernel tests, from <c>OnnxNodeTests/</c> beside this file.
/// </summary>
internal sealed class OnnxNodeTestCase
{
    private OnnxNodeTestCase(string name, NodeProto node, NodeTensor[] inputs, NodeTensor output)
    {
        Name = name;
        Node = node;
        Inputs = inputs;
        Output = output;
    }

    private static string SharedRoot => Path.Combine(TestPaths.TestData, "onnx-node");

    private static string KernelRoot => Path.Combine(TestPaths.RepoRoot, "tests", "BuildOptim.Tests", "Runtime", "Kernels", "Cnn", "OnnxNodeTests");

    public string Name { get; }

    public NodeProto Node { get; }

    public NodeTensor[] Inputs { get; }

    public NodeTensor Output { get; }

    public static OnnxNodeTestCase Load(string name)
    {
        string folder = Path.Combine(SharedRoot, name);
        if (!Directory.Exists(folder))
        {
            folder = Path.Combine(KernelRoot, name);
        }

        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
        Assert.Single(model.Graph.Node);
        string data = Path.Combine(folder, "test_data_set_0");
        var inputs = Directory.GetFiles(data, "input_*.pb").Order(StringComparer.Ordinal).Select(ReadTensor).ToArray();
        return new OnnxNodeTestCase(name, model.Graph.Node[0], inputs, ReadTensor(Path.Combine(data, "output_0.pb")));
    }

    public static NodeTensor ReadTensor(string path)
    {
        var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var dims = t.Dims.Select(d => checked((int)d)).ToArray();
        int n = dims.Aggregate(1, (p, d) => p * d);
        var raw = t.RawData.Span;
        var floats = new float[n];
        var bytes = new byte[n];
        var longs = new long[n];
        for (int i = 0; i < n; i++)
        {
            switch ((TensorProto.Types.DataType)t.DataType)
            {
                case TensorProto.Types.DataType.Float:
                    floats[i] = raw.Length > 0 ? BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]) : t.FloatData[i];
                    break;
                case TensorProto.Types.DataType.Uint8:
                    bytes[i] = raw.Length > 0 ? raw[i] : (byte)t.Int32Data[i];
                    floats[i] = bytes[i];
                    break;
                case TensorProto.Types.DataType.Int32:
                    longs[i] = raw.Length > 0 ? BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]) : t.Int32Data[i];
                    floats[i] = longs[i];
                    break;
                case TensorProto.Types.DataType.Int64:
                    longs[i] = raw.Length > 0 ? BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]) : t.Int64Data[i];
                    floats[i] = longs[i];
                    break;
                default:
                    throw new NotSupportedException($"{path}: data type {t.DataType}.");
            }
        }

        return new NodeTensor(dims, floats, bytes, longs);
    }

    public long Int(string name, long fallback) => Attribute(name)?.I ?? fallback;

    public float Float(string name, float fallback) => Attribute(name)?.F ?? fallback;

    public string String(string name, string fallback) => Attribute(name)?.S.ToStringUtf8() ?? fallback;

    public int[] Ints(string name, int[] fallback) => Attribute(name) is { } a ? a.Ints.Select(v => (int)v).ToArray() : fallback;

    private AttributeProto? Attribute(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>
    /// Spatial geometry of a Conv or pooling node over an input [N, C, (H,) W]: explicit pads or auto_pad (SAME_UPPER puts the
    /// odd pad at the end), dilations, strides and, for pools, ceil_mode. A 1-D node becomes H = KH = 1.
    /// </summary>
    public (int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int PB, int PR, int DH, int DW, int OH, int OW) Spatial(int[] inputDims, int[] kernel, bool pool)
    {
        bool oneD = inputDims.Length == 3;
        int[] size = oneD ? [1, inputDims[2]] : [inputDims[2], inputDims[3]];
        int[] k = oneD ? [1, kernel[0]] : kernel;
        int[] Lift(int[] v, int one) => oneD ? [one, v[0]] : v;
        var strides = Lift(Ints("strides", oneD ? [1] : [1, 1]), 1);
        var dilations = Lift(Ints("dilations", oneD ? [1] : [1, 1]), 1);
        var pads = Ints("pads", oneD ? [0, 0] : [0, 0, 0, 0]);
        int[] begin = oneD ? [0, pads[0]] : [pads[0], pads[1]];
        int[] end = oneD ? [0, pads[1]] : [pads[2], pads[3]];
        string autoPad = String("auto_pad", "NOTSET");
        bool ceil = pool && Int("ceil_mode", 0) != 0;
        var output = new int[2];
        for (int d = 0; d < 2; d++)
        {
            int reach = ((k[d] - 1) * dilations[d]) + 1;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                output[d] = (size[d] + strides[d] - 1) / strides[d];
                int total = Math.Max(0, ((output[d] - 1) * strides[d]) + reach - size[d]);
                begin[d] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                end[d] = total - begin[d];
            }
            else if (autoPad == "VALID")
            {
                begin[d] = end[d] = 0;
                output[d] = ((size[d] - reach) / strides[d]) + 1;
            }
            else
            {
                output[d] = CnnTestSupport.PoolOutputSize(size[d], k[d], strides[d], begin[d], end[d], dilations[d], ceil);
            }
        }

        return (size[0], size[1], k[0], k[1], strides[0], strides[1], begin[0], begin[1], end[0], end[1], dilations[0], dilations[1], output[0], output[1]);
    }

    public PoolGeometry PoolGeometry(int[] inputDims)
    {
        var s = Spatial(inputDims, Ints("kernel_shape", []), pool: true);
        return new PoolGeometry(inputDims[1], s.H, s.W, s.KH, s.KW, s.SH, s.SW, s.PT, s.PL, s.PB, s.PR, s.DH, s.DW, s.OH, s.OW);
    }

    public ConvGeometry ConvGeometry(int[] inputDims, int[] weightDims)
    {
        int[] kernel = weightDims[2..];
        var s = Spatial(inputDims, Ints("kernel_shape", kernel), pool: false);
        return new ConvGeometry(inputDims[1], s.H, s.W, weightDims[0], s.KH, s.KW, s.SH, s.SW, s.PT, s.PL, s.DH, s.DW, (int)Int("group", 1), s.OH, s.OW);
    }
}
