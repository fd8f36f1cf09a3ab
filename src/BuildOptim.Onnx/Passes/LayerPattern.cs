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

    /// <summary>
    /// Until no layer starts a match: tries <paramref name="match"/> at each layer in order and replaces the first match's last
    /// layer by its fused layer, dropping the other matched layers (constants they read are left to EliminateDeadLayers).
    /// </summary>
    public static Network Fuse(Network network, Func<LayerPattern, Layer, PatternMatch?> match)
    {
        while (true)
        {
            var pattern = new LayerPattern(network);
            if (network.Layers.Select(layer => match(pattern, layer)).FirstOrDefault(m => m is not null) is not { } found)
            {
                return network;
            }

            var layers = network.Layers.Where(l => ReferenceEquals(l, found.Last) || !found.Matched.Contains(l));
            network = network.With(layers.Select(l => ReferenceEquals(l, found.Last) ? found.Fused : l).ToList());
        }
    }
}

/// <summary>The layers of a matched pattern, the last of them (whose output the fused layer writes) and the fused layer.</summary>
internal sealed record PatternMatch(IReadOnlyCollection<Layer> Matched, Layer Last, Layer Fused);
