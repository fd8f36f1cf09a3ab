using BuildOptim.Onnx.Ir;

namespace BuildOptim.Tests.Compression.Training;

/// <summary>Builds small <see cref="Network"/>s by hand, with seeded random weights, for the training engine's tests.</summary>
internal sealed class TinyNetwork
{
    private readonly List<NetworkValue> _values = [];
    private readonly List<Layer> _layers = [];
    private readonly Random _random;

    public TinyNetwork(int[] inputShape, int seed = 1)
    {
        _random = new Random(seed);
        Input = Value(inputShape);
    }

    public int Input { get; }

    public int Value(int[] shape)
    {
        _values.Add(new NetworkValue(_values.Count, "v" + _values.Count, shape));
        return _values.Count - 1;
    }

    public int[] Shape(int value) => _values[value].Shape;

    public float[] Random(int count, double scale = 1) => Enumerable.Range(0, count).Select(_ => (float)((_random.NextDouble() * 2 - 1) * scale)).ToArray();

    /// <summary>Adds the layer <paramref name="make"/> builds for a new output value of <paramref name="shape"/>; returns that value.</summary>
    public int Add(int[] shape, Func<int, Layer> make)
    {
        int output = Value(shape);
        _layers.Add(make(output));
        return output;
    }

    public int Dense(int input, int n, FusedActivation? activation = null)
    {
        var shape = Shape(input);
        int k = shape[^1];
        return Add([.. shape[..^1], n], o => new DenseLayer
        {
            Name = "dense" + o, Inputs = [input], Output = o, K = k, N = n,
            Weights = Random(n * k, 1 / Math.Sqrt(k)), Bias = Random(n, 0.1), Activation = activation,
        });
    }

    public int Constant(int[] shape) => Add(shape, o => new ConstantLayer { Name = "const" + o, Inputs = [], Output = o, Data = Random(shape.Aggregate(1, (p, d) => p * d)) });

    public Network Build(int output) => new()
    {
        SourcePath = "tiny.onnx",
        Values = _values,
        Layers = _layers,
        Inputs = [Input],
        Outputs = [output],
        DynamicBatch = true,
    };
}
