namespace BuildOptim.Onnx.Lowering;

/// <summary>Elementwise activations the layer IR knows.</summary>
public enum ActivationKind
{
    Relu,
    Sigmoid,
    Tanh,
}

/// <summary>One layer of a lowered model; every layer reads the previous layer's output (per sample, flat).</summary>
public abstract record Layer(string Name)
{
    /// <summary>Floats per sample this layer produces, given the floats it consumes.</summary>
    public abstract int OutputLength(int inputLength);
}

/// <summary><c>y[n] = Bias[n] + Σ_k x[k] · Weights[n·K + k]</c> (Gemm, MatMul + Add).</summary>
public sealed record DenseLayer(string Name, int K, int N, float[] Weights, float[] Bias) : Layer(Name)
{
    public override int OutputLength(int inputLength) => N;
}

/// <summary><c>y = act(x)</c> elementwise.</summary>
public sealed record ActivationLayer(string Name, ActivationKind Kind) : Layer(Name)
{
    public override int OutputLength(int inputLength) => inputLength;
}

/// <summary>Softmax (or LogSoftmax) over contiguous groups of <see cref="AxisSize"/> floats.</summary>
public sealed record SoftmaxLayer(string Name, int AxisSize, bool Log) : Layer(Name)
{
    public override int OutputLength(int inputLength) => inputLength;
}

/// <summary>A model lowered to a chain of layers over one float input and one float output.</summary>
public sealed class LayerModel
{
    public required string SourcePath { get; init; }

    public required string InputName { get; init; }

    /// <summary>Per-sample input dims (batch excluded).</summary>
    public required int[] InputShape { get; init; }

    public required string OutputName { get; init; }

    /// <summary>Per-sample output dims (batch excluded).</summary>
    public required int[] OutputShape { get; init; }

    /// <summary>True when the model's batch dimension is symbolic.</summary>
    public required bool DynamicBatch { get; init; }

    public required List<Layer> Layers { get; init; }

    public int InputLength => InputShape.Aggregate(1, (a, b) => a * b);

    public int OutputLength => OutputShape.Aggregate(1, (a, b) => a * b);

    /// <summary>Sum of float parameters (weights and biases) in bytes, as the original model stores them.</summary>
    public long ParameterBytes => Layers.OfType<DenseLayer>().Sum(d => ((long)d.Weights.Length + d.Bias.Length) * sizeof(float));
}
