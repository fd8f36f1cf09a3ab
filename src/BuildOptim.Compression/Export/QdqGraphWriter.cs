using BuildOptim.Compression.Export.Layers;
using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export;

/// <summary>
/// Writes the nodes of one network, layer by layer, keeping track of the tensor that carries each value:
/// its DequantizeLinear output when the plan keeps it as codes, its float tensor otherwise. Each layer's nodes come
/// from its exporter (<see cref="LayerExporters"/>), which reads its inputs with <see cref="Input"/>, writes to
/// <see cref="Output"/> and publishes the result with <see cref="Written"/>.
/// </summary>
internal sealed class QdqGraphWriter
{
    private readonly CodeAssignment _codes;
    private readonly Network _network;
    private readonly OnnxGraphBuilder _graph;

    /// <summary>The tensor every reader that does not quantize the value itself sees.</summary>
    private readonly string?[] _read;

    /// <summary>DequantizeLinear(QuantizeLinear(x)) of a float value, for the int8 layers that read it (made on first use).</summary>
    private readonly string?[] _quantizedRead;

    private readonly (string Scale, string ZeroPoint)?[] _quantParams;

    public QdqGraphWriter(CodeAssignment codes, string name)
    {
        _codes = codes;
        _network = codes.Network;
        _graph = new OnnxGraphBuilder(string.IsNullOrEmpty(name) ? "model" : name);
        _read = new string?[_network.Values.Count];
        _quantizedRead = new string?[_network.Values.Count];
        _quantParams = new (string, string)?[_network.Values.Count];
    }

    /// <summary>Where the plan keeps codes, and with which parameters.</summary>
    public CodeAssignment Codes => _codes;

    public Network Network => _network;

    /// <summary>The graph being written: its nodes and initializers, with unique names.</summary>
    public OnnxGraphBuilder Graph => _graph;

    public GraphProto Write()
    {
        // Value names are claimed first so that no helper tensor can take a graph input's or output's name.
        foreach (int input in _network.Inputs)
        {
            _read[input] = _graph.Reserve(_network.Value(input).Name);
            _graph.Graph.Input.Add(TensorValue(_read[input]!, _network.Value(input).Type, Dims(input)));
        }

        foreach (var layer in _network.Layers)
        {
            _graph.Reserve(_network.Value(layer.Output).Name);
        }

        foreach (var layer in _network.Layers)
        {
            LayerExporters.For(layer).Write(layer, this);
        }

        foreach (int output in _network.Outputs)
        {
            string name = _network.Value(output).Name;
            if (_read[output] != name)
            {
                throw new InvalidOperationException($"Output '{name}' was not written under its own name.");
            }

            _graph.Graph.Output.Add(TensorValue(name, _network.Value(output).Type, Dims(output)));
        }

        return _graph.Graph;
    }

    /// <summary>A graph input's or output's dims, the leading batch dim symbolic (null) when the model's is.</summary>
    private IEnumerable<int?> Dims(int value)
    {
        var shape = _network.Value(value).Shape;
        return shape.Select((d, i) => i == 0 && DynamicBatch && d == 1 ? (int?)null : d);
    }

    public int[] ShapeOf(int value) => _network.Value(value).Shape;

    /// <summary>
    /// Whether the export's batch is symbolic: the model's is, and no Transpose moves the batch away from the first axis.
    /// Layers are lowered at batch 1, and where the batch leaves the first axis (multi-head attention written sequence-first
    /// reshapes to [sequence, batch × heads, width]) the shapes written say nothing of it, so such an export is at batch 1.
    /// </summary>
    public bool DynamicBatch => _network.DynamicBatch && !_network.Layers.Any(l => l is TransposeLayer { Perm: [not 0, ..] });

    /// <summary>Whether <paramref name="value"/> is a constant (the same for every sample, whatever the batch).</summary>
    public bool IsConstant(int value) => _network.Layers.Any(l => l.Output == value && l is ConstantLayer);

    /// <summary>The tensor <paramref name="reader"/> reads for <paramref name="value"/>.</summary>
    public string Input(Layer reader, int value)
    {
        string source = _read[value] ?? throw new InvalidOperationException($"Value '{_network.Value(value).Name}' is read before it is written.");
        if (!_codes.ReadsQuantizedFloat(reader, value))
        {
            return source;
        }

        if (_quantizedRead[value] is null)
        {
            string name = _network.Value(value).Name;
            var (scale, zeroPoint) = QuantParamsOf(value);
            string q = _graph.Unique(name + "_quantized");
            _graph.Node("QuantizeLinear", name + "_QuantizeLinear", [source, scale, zeroPoint], q);
            _quantizedRead[value] = _graph.Unique(name + "_dequantized");
            _graph.Node("DequantizeLinear", name + "_DequantizeLinear", [q, scale, zeroPoint], _quantizedRead[value]!);
        }

        return _quantizedRead[value]!;
    }

    /// <summary>The tensor the layer producing <paramref name="value"/> writes: the value itself, or its float before QuantizeLinear.</summary>
    public string Output(int value)
    {
        string name = _network.Value(value).Name;
        return _codes.IsCodesPrimary(value) ? _graph.Unique(name + "_float") : name;
    }

    /// <summary>Publishes <paramref name="value"/> written to <paramref name="tensor"/>, through QuantizeLinear → DequantizeLinear when the plan keeps codes.</summary>
    public void Written(int value, string tensor)
    {
        string name = _network.Value(value).Name;
        if (!_codes.IsCodesPrimary(value))
        {
            _read[value] = tensor;
            return;
        }

        var (scale, zeroPoint) = QuantParamsOf(value);
        string q = _graph.Unique(name + "_quantized");
        _graph.Node("QuantizeLinear", name + "_QuantizeLinear", [tensor, scale, zeroPoint], q);
        _graph.Node("DequantizeLinear", name + "_DequantizeLinear", [q, scale, zeroPoint], name);
        _read[value] = name;
    }

    /// <summary>Scalar scale and uint8 zero-point initializers of a value's codes.</summary>
    public (string Scale, string ZeroPoint) QuantParamsOf(int value)
    {
        if (_quantParams[value] is { } known)
        {
            return known;
        }

        var p = _codes.ParamsOf(value);
        string name = _network.Value(value).Name;
        var result = (_graph.Floats(name + "_scale", [p.Scale], []), _graph.UInt8s(name + "_zero_point", [(byte)p.ZeroPoint], []));
        _quantParams[value] = result;
        return result;
    }

    /// <summary>Publishes <paramref name="tensor"/> as what every reader of <paramref name="value"/> sees, as it is (no QDQ pair added).</summary>
    public void Publish(int value, string tensor) => _read[value] = tensor;

    /// <summary>One node reading every input of the layer and writing its output.</summary>
    public void Simple(Layer layer, string opType, params AttributeProto[] attributes)
    {
        var inputs = layer.Inputs.Select(v => Input(layer, v)).ToArray();
        string output = Output(layer.Output);
        _graph.Node(opType, layer.Name, inputs, output, attributes);
        Written(layer.Output, output);
    }

    /// <summary>A fused ReLU or Clip as its own node from <paramref name="x"/> to <paramref name="output"/> (nothing when none).</summary>
    public void FusedActivationNode(string layer, FusedActivation? activation, string x, string output)
    {
        switch (activation)
        {
            case null:
                return;
            case { Kind: ActivationKind.Relu }:
                _graph.Node("Relu", layer + "_Relu", [x], output);
                return;
            default:
                _graph.Node("Clip", layer + "_Clip", [x, Scalar(layer + "_min", activation.Min), Scalar(layer + "_max", activation.Max)], output);
                return;
        }
    }

    /// <summary>A float32 scalar initializer.</summary>
    public string Scalar(string name, float value) => _graph.Floats(name, [value], []);

    /// <summary>A Reshape target; with a symbolic batch, a leading batch dim of 1 becomes −1 so any batch flows through.</summary>
    public string ShapeTensor(string name, int[] from, int[] to)
    {
        var target = to.Select(d => (long)d).ToArray();
        if (DynamicBatch && from.Length > 0 && from[0] == 1 && target.Length > 0 && target[0] == 1)
        {
            target[0] = -1;
        }

        return _graph.Int64s(name, target, [target.Length]);
    }
}
