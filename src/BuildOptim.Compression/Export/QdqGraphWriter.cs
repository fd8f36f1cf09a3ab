using BuildOptim.Compression.Planning;
using BuildOptim.Onnx.Ir;
using Onnx;
using static BuildOptim.Compression.Export.OnnxGraphBuilder;

namespace BuildOptim.Compression.Export;

/// <summary>
/// Writes the nodes of one network, layer by layer, keeping track of the tensor that carries each value:
/// its DequantizeLinear output when the plan keeps it as codes, its float tensor otherwise.
/// </summary>
internal sealed partial class QdqGraphWriter
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

    public GraphProto Write()
    {
        // Value names are claimed first so that no helper tensor can take a graph input's or output's name.
        foreach (int input in _network.Inputs)
        {
            _read[input] = _graph.Reserve(_network.Value(input).Name);
            _graph.Graph.Input.Add(FloatValue(_read[input]!, Dims(input)));
        }

        foreach (var layer in _network.Layers)
        {
            _graph.Reserve(_network.Value(layer.Output).Name);
        }

        foreach (var layer in _network.Layers)
        {
            WriteLayer(layer);
        }

        foreach (int output in _network.Outputs)
        {
            string name = _network.Value(output).Name;
            if (_read[output] != name)
            {
                throw new InvalidOperationException($"Output '{name}' was not written under its own name.");
            }

            _graph.Graph.Output.Add(FloatValue(name, Dims(output)));
        }

        return _graph.Graph;
    }

    /// <summary>A graph input's or output's dims, the leading batch dim symbolic (null) when the model's is.</summary>
    private IEnumerable<int?> Dims(int value)
    {
        var shape = _network.Value(value).Shape;
        return shape.Select((d, i) => i == 0 && _network.DynamicBatch && d == 1 ? (int?)null : d);
    }

    /// <summary>The tensor <paramref name="reader"/> reads for <paramref name="value"/>.</summary>
    private string Input(Layer reader, int value)
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
    private string Output(int value)
    {
        string name = _network.Value(value).Name;
        return _codes.IsCodesPrimary(value) ? _graph.Unique(name + "_float") : name;
    }

    /// <summary>Publishes <paramref name="value"/> written to <paramref name="tensor"/>, through QuantizeLinear → DequantizeLinear when the plan keeps codes.</summary>
    private void Written(int value, string tensor)
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
    private (string Scale, string ZeroPoint) QuantParamsOf(int value)
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
}
