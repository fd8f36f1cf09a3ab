using BuildOptim.Compression.Sharing;
using BuildOptim.Compression.Training.Layers;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Training;

/// <summary>How a network's weights are trained.</summary>
/// <param name="FakeInt8">Dense and Conv weights are fake-quantized as the int8 plan quantizes them (<see cref="ParameterForm.FakeInt8"/>).</param>
/// <param name="KeepZeros">Weights that are exactly zero stay zero (pruned weights: the mask is the nonzero pattern).</param>
/// <param name="Shared">Layers whose weights are shared, by name: their codebooks are trained (<see cref="ParameterForm.Shared"/>).</param>
internal sealed record TrainingSetup(bool FakeInt8 = false, bool KeepZeros = false, IReadOnlyDictionary<string, SharedWeights>? Shared = null);

/// <summary>What the trained network ends with, when it ends with a softmax the training leaves out.</summary>
internal enum FinalSoftmax
{
    None,
    Softmax,
    LogSoftmax,
}

/// <summary>
/// A <see cref="Network"/> laid out for training on batches of up to <see cref="MaxBatch"/> samples: one buffer and one
/// gradient per value (<see cref="Slot"/>) and one <see cref="TrainingLayer"/> per layer, in network order.
/// </summary>
/// <remarks>
/// A classifier whose output is a softmax over its classes is trained on the softmax's input, its logits
/// (<see cref="Final"/> says so): the distillation loss applies its own softened softmax.
/// </remarks>
internal sealed class TrainingGraph
{
    private readonly Network _network;
    private readonly List<TrainingLayer> _layers = [];
    private readonly Dictionary<int, Slot> _slots = [];
    private readonly Slot _input;
    private readonly Slot _output;

    public TrainingGraph(Network network, int maxBatch, TrainingSetup setup, bool trainOnLogits = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        if (network.Inputs.Count != 1 || network.Outputs.Count != 1)
        {
            throw new NotSupportedException($"the model has {network.Inputs.Count} inputs and {network.Outputs.Count} outputs; distillation trains models with one of each");
        }

        _network = network;
        MaxBatch = maxBatch;
        _input = new Slot(network.Value(network.Inputs[0]).Shape, batched: true, maxBatch, needsGradient: false);
        _slots[network.Inputs[0]] = _input;
        var layers = network.Layers;
        int outputId = network.Outputs[0];
        if (trainOnLogits && layers.Count > 0 && layers[^1] is SoftmaxLayer { Outer: 1, Inner: 1 } softmax && softmax.Output == outputId)
        {
            Final = softmax.Log ? FinalSoftmax.LogSoftmax : FinalSoftmax.Softmax;
            outputId = softmax.Inputs[0];
            layers = layers.Take(layers.Count - 1).ToList();
        }

        foreach (var layer in layers)
        {
            _layers.Add(Create(layer, setup, maxBatch));
        }

        _output = _slots.TryGetValue(outputId, out var output) ? output : throw new NotSupportedException("the model's output is not computed from its input");
        Parameters = _layers.SelectMany(l => l.Parameters).ToList();
    }

    public int MaxBatch { get; }

    public FinalSoftmax Final { get; }

    public int InputLength => _input.Length;

    /// <summary>Values per sample of what is trained: the logits when <see cref="Final"/> is not <see cref="FinalSoftmax.None"/>.</summary>
    public int OutputLength => _output.Length;

    public IReadOnlyList<Parameter> Parameters { get; }

    public IReadOnlyList<TrainingLayer> Layers => _layers;

    /// <summary>Where the caller writes the inputs of the first <paramref name="batch"/> samples.</summary>
    public Span<float> Input(int batch) => _input.Rows(batch);

    public ReadOnlySpan<float> Output(int batch) => _output.Rows(batch);

    /// <summary>Where the caller writes the loss's gradient with respect to the outputs before <see cref="Backward"/>.</summary>
    public Span<float> OutputGradient(int batch) => _output.GradRows(batch);

    /// <summary>Recomputes every parameter's effective values (after an optimizer step).</summary>
    public void Refresh()
    {
        foreach (var p in Parameters)
        {
            p.Refresh();
        }
    }

    public void Forward(int batch)
    {
        CheckBatch(batch);
        foreach (var layer in _layers)
        {
            layer.Forward(batch);
        }
    }

    /// <summary>Clears every gradient but the output's, runs the layers backwards, and maps the gradients to the trained values.</summary>
    public void Backward(int batch)
    {
        CheckBatch(batch);
        foreach (var p in Parameters)
        {
            Array.Clear(p.Gradient);
        }

        foreach (var slot in _slots.Values)
        {
            if (slot != _output && slot.Grad is not null)
            {
                Array.Clear(slot.Grad, 0, batch * slot.Length);
            }
        }

        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            _layers[i].Backward(batch);
        }

        foreach (var p in Parameters)
        {
            p.PullGradient();
        }
    }

    /// <summary>The network with the trained weights (shared layers decoded), and the trained codebooks of the shared layers.</summary>
    public (Network Network, IReadOnlyDictionary<string, SharedWeights> Shared) ToNetwork()
    {
        var trained = _layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var shared = new Dictionary<string, SharedWeights>(StringComparer.Ordinal);
        var layers = _network.Layers.Select(layer => Trained(layer, trained.GetValueOrDefault(layer.Name))).ToList();
        foreach (var p in Parameters)
        {
            if (p.TrainedShared is { } s)
            {
                shared[p.Name] = s;
            }
        }

        return (_network.With(layers), shared);
    }

    /// <summary><paramref name="layer"/> with the values <paramref name="trained"/> learnt, if it has any.</summary>
    private static Layer Trained(Layer layer, TrainingLayer? trained) => (layer, trained) switch
    {
        (DenseLayer d, DenseTraining t) => d with { Weights = t.Weights.TrainedWeights(), Bias = (float[])t.Bias.Values.Clone() },
        (ConvLayer c, ConvTraining t) => c with { Weights = t.Weights.TrainedWeights(), Bias = (float[])t.Bias.Values.Clone() },
        (ChannelAffineLayer a, ChannelAffineTraining t) => a with { Scale = (float[])t.Scale.Values.Clone(), Shift = (float[])t.Shift.Values.Clone() },
        _ => layer,
    };

    private TrainingLayer Create(Layer layer, TrainingSetup setup, int maxBatch)
    {
        if (layer is ConstantLayer constant)
        {
            _slots[layer.Output] = new Slot(Shape(layer.Output), batched: false, maxBatch, constant.Data);
            return new ConstantTraining(layer.Name);
        }

        var inputs = layer.Inputs.Select(id => _slots.TryGetValue(id, out var s) ? s : throw new NotSupportedException($"layer '{layer.Name}' reads a value computed by no layer")).ToArray();
        if (!inputs.Any(s => s.Batched))
        {
            throw new NotSupportedException($"layer '{layer.Name}' computes on constants only");
        }

        var output = _slots[layer.Output] = new Slot(Shape(layer.Output), batched: true, maxBatch);
        return layer switch
        {
            DenseLayer d => new DenseTraining(d, inputs[0], output, Weights(d.Name, d.Weights, d.K, setup), Parameter.Free(d.Name + ".bias", d.Bias)),
            ConvLayer c => new ConvTraining(c, inputs[0], output, Weights(c.Name, c.Weights, c.Weights.Length / c.M, setup), Parameter.Free(c.Name + ".bias", c.Bias)),
            ActivationLayer a => new ActivationTraining(a, inputs[0], output),
            BinaryLayer { Kind: BinaryKind.Add or BinaryKind.Sub or BinaryKind.Mul or BinaryKind.Div or BinaryKind.PRelu } b => new BinaryTraining(b, inputs[0], inputs[1], output),
            ReshapeLayer r => new ReshapeTraining(r, inputs[0], output),
            SoftmaxLayer s => new SoftmaxTraining(s, inputs[0], output),
            ChannelAffineLayer a => new ChannelAffineTraining(a, inputs[0], output),
            PoolLayer p => new PoolTraining(p, inputs[0], output),
            GlobalPoolLayer g => new GlobalPoolTraining(g, inputs[0], output),
            _ => throw new NotSupportedException($"layer '{layer.Name}' ({layer.GetType().Name.Replace("Layer", "", StringComparison.Ordinal)}) has no training form yet"),
        };
    }

    private static Parameter Weights(string name, float[] weights, int rowLength, TrainingSetup setup)
    {
        if (setup.Shared is { } shared && shared.TryGetValue(name, out var s))
        {
            return Parameter.Shared(name, s);
        }

        bool[]? mask = setup.KeepZeros ? weights.Select(w => w != 0).ToArray() : null;
        return setup.FakeInt8 ? Parameter.FakeInt8(name, weights, rowLength, mask) : Parameter.Free(name, weights, mask);
    }

    private int[] Shape(int valueId) => _network.Value(valueId).Shape;

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"A batch holds 1 to {MaxBatch} samples.");
        }
    }

    /// <summary>A constant's value lives in its slot; nothing to compute.</summary>
    private sealed class ConstantTraining(string name) : TrainingLayer(name)
    {
        public override void Forward(int batch)
        {
        }

        public override void Backward(int batch)
        {
        }
    }
}
