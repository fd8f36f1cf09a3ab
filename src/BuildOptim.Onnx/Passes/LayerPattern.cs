using BuildOptim.Onnx.Ir;

namespace BuildOptim.Onnx.Passes;

/// <summary>
/// What the fusing passes ask of a network while they match a written-out pattern: who produces a value, the one layer that
/// reads it, and which operand of a binary layer is a scalar constant.
/// </summary>
internal sealed class LayerPattern
{
    private readonly Network _network;
    private readonly Layer?[] _producers;
    private readonly List<Layer>[] _readers;
    private readonly bool[] _isOutput;

    public LayerPattern(Network network)
    {
        _network = network;
        _producers = GraphPasses.Producers(network);
        _readers = Enumerable.Range(0, network.Values.Count).Select(_ => new List<Layer>()).ToArray();
        foreach (var layer in network.Layers)
        {
            foreach (int input in layer.Inputs.Distinct())
            {
                _readers[input].Add(layer);
            }
        }

        _isOutput = new bool[network.Values.Count];
        foreach (int output in network.Outputs)
        {
            _isOutput[output] = true;
        }
    }

    public Layer? Producer(int value) => _producers[value];

    public int[] Shape(int value) => _network.Value(value).Shape;

    public bool IsGraphOutput(int value) => _isOutput[value];

    /// <summary>The layers reading <paramref name="value"/>, each once.</summary>
    public IReadOnlyList<Layer> Readers(int value) => _readers[value];

    /// <summary>The one layer reading <paramref name="layer"/>'s output, when it is <typeparamref name="T"/> and the output no graph output.</summary>
    public T? SoleReader<T>(Layer layer)
        where T : Layer
        => !_isOutput[layer.Output] && _readers[layer.Output] is [T reader] ? reader : null;

    /// <summary>The value of a scalar <see cref="ConstantLayer"/>, or null when <paramref name="value"/> is something else.</summary>
    public float? Scalar(int value) => _producers[value] is ConstantLayer { Data: [var scalar] } ? scalar : null;

    /// <summary>The operand of <paramref name="layer"/> that is not <paramref name="value"/> (null when it reads it twice or not at all).</summary>
    public static int? Other(Layer layer, int value) => layer.Inputs switch
    {
        [var a, var b] when a == value && b != value => b,
        [var a, var b] when b == value && a != value => a,
        _ => null,
    };

    /// <summary>The scalar constant operand of a two-input layer whose other operand is <paramref name="value"/>.</summary>
    public float? ScalarBeside(Layer layer, int value) => Other(layer, value) is { } other ? Scalar(other) : null;

    /// <summary><paramref name="layers"/> with <paramref name="last"/> replaced by <paramref name="fused"/> and the rest of <paramref name="matched"/> dropped.</summary>
    public static List<Layer> Replace(List<Layer> layers, IReadOnlyCollection<Layer> matched, Layer last, Layer fused)
        => layers.Where(l => ReferenceEquals(l, last) || !matched.Contains(l)).Select(l => ReferenceEquals(l, last) ? fused : l).ToList();
}
