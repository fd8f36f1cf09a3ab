namespace BuildOptim.Onnx.Lowering;

/// <summary>Elementwise activations. Parameters: LeakyRelu/Elu α; Clip [α, β]; HardSigmoid α, β; Selu α, γ=β.</summary>
public enum ActivationKind
{
    Relu,
    Sigmoid,
    Tanh,
    LeakyRelu,
    Clip,
    HardSigmoid,
    HardSwish,
    Elu,
    Selu,
    Softplus,
    Softsign,
}

public enum PoolKind
{
    Max,
    Average,
}

public enum BinaryKind
{
    Add,
    Sub,
    Mul,
    Div,
    PRelu,
}

public enum PaddingMode
{
    Constant,
    Reflect,
    Edge,
}

/// <summary>A tensor flowing through the network, with its full concrete shape (batch bound to 1 for models).</summary>
public sealed record NetworkValue(int Id, string Name, int[] Shape)
{
    public int Length => Shape.Aggregate(1, (p, d) => p * d);
}

/// <summary>An activation fused into the layer that produces its input.</summary>
public sealed record FusedActivation(ActivationKind Kind, float Min, float Max)
{
    public static FusedActivation? From(ActivationLayer a) => a.Kind switch
    {
        ActivationKind.Relu => new FusedActivation(ActivationKind.Relu, 0, float.PositiveInfinity),
        ActivationKind.Clip => new FusedActivation(ActivationKind.Clip, a.Alpha, a.Beta),
        _ => null,
    };
}

/// <summary>One layer: reads <see cref="Inputs"/> (value ids) and writes <see cref="Output"/>.</summary>
public abstract record Layer
{
    public required string Name { get; init; }

    public required int[] Inputs { get; init; }

    public required int Output { get; init; }
}

/// <summary>A constant tensor materialized as a value (operand of an elementwise op or Concat).</summary>
public sealed record ConstantLayer : Layer
{
    public required float[] Data { get; init; }
}

/// <summary><c>y[r, n] = act(Bias[n] + Σ_k x[r, k] · Weights[n·K + k])</c> for every row r of the input.</summary>
public sealed record DenseLayer : Layer
{
    public required int K { get; init; }

    public required int N { get; init; }

    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }

    public FusedActivation? Activation { get; init; }
}

/// <summary>Batched matrix product of two runtime tensors, numpy broadcasting on the batch dims.</summary>
public sealed record MatMulLayer : Layer;

/// <summary>2-D convolution (1-D as H = 1) in NCHW; weights [M, C/group, KH, KW].</summary>
public sealed record ConvLayer : Layer
{
    public required int C { get; init; }

    public required int H { get; init; }

    public required int W { get; init; }

    public required int M { get; init; }

    public required int KH { get; init; }

    public required int KW { get; init; }

    public required int StrideH { get; init; }

    public required int StrideW { get; init; }

    public required int PadTop { get; init; }

    public required int PadLeft { get; init; }

    public required int DilationH { get; init; }

    public required int DilationW { get; init; }

    public required int Group { get; init; }

    public required int OH { get; init; }

    public required int OW { get; init; }

    public required float[] Weights { get; init; }

    public required float[] Bias { get; init; }

    public FusedActivation? Activation { get; init; }
}

/// <summary>Max or average pooling over [C, H, W].</summary>
public sealed record PoolLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required int H { get; init; }

    public required int W { get; init; }

    public required int KH { get; init; }

    public required int KW { get; init; }

    public required int StrideH { get; init; }

    public required int StrideW { get; init; }

    public required int PadTop { get; init; }

    public required int PadLeft { get; init; }

    public required int PadBottom { get; init; }

    public required int PadRight { get; init; }

    public required int DilationH { get; init; }

    public required int DilationW { get; init; }

    public required int OH { get; init; }

    public required int OW { get; init; }

    public bool CountIncludePad { get; init; }
}

/// <summary>GlobalAveragePool / GlobalMaxPool over [C, spatial].</summary>
public sealed record GlobalPoolLayer : Layer
{
    public required PoolKind Kind { get; init; }

    public required int C { get; init; }

    public required int Spatial { get; init; }
}

public sealed record ActivationLayer : Layer
{
    public required ActivationKind Kind { get; init; }

    public float Alpha { get; init; }

    public float Beta { get; init; }
}

/// <summary>Elementwise binary op with numpy broadcasting.</summary>
public sealed record BinaryLayer : Layer
{
    public required BinaryKind Kind { get; init; }

    /// <summary>A Relu or Clip applied to the result (fused by <c>FuseActivation</c>: residual adds are mostly followed by one).</summary>
    public FusedActivation? Activation { get; init; }
}

public sealed record ConcatLayer : Layer
{
    public required int Axis { get; init; }
}

public sealed record TransposeLayer : Layer
{
    public required int[] Perm { get; init; }
}

/// <summary>Same data, new shape (Reshape, Flatten, Squeeze, Unsqueeze).</summary>
public sealed record ReshapeLayer : Layer;

public sealed record PadLayer : Layer
{
    public required PaddingMode Mode { get; init; }

    /// <summary>ONNX order: all begins, then all ends; negative values crop.</summary>
    public required int[] Pads { get; init; }

    public float Value { get; init; }
}

/// <summary>Softmax/LogSoftmax over the middle dim of [Outer, AxisSize, Inner].</summary>
public sealed record SoftmaxLayer : Layer
{
    public required int Outer { get; init; }

    public required int AxisSize { get; init; }

    public required int Inner { get; init; }

    public required bool Log { get; init; }
}

public sealed record LrnLayer : Layer
{
    public required int Size { get; init; }

    public required float Alpha { get; init; }

    public required float Beta { get; init; }

    public required float Bias { get; init; }
}

/// <summary><c>y = x · Scale[c] + Shift[c]</c> along dim 1 (an unfolded BatchNormalization).</summary>
public sealed record ChannelAffineLayer : Layer
{
    public required float[] Scale { get; init; }

    public required float[] Shift { get; init; }
}

/// <summary>A model lowered to layers over values with concrete shapes.</summary>
public sealed class Network
{
    public required string SourcePath { get; init; }

    public required List<NetworkValue> Values { get; init; }

    public required List<Layer> Layers { get; set; }

    public required List<int> Inputs { get; init; }

    public required List<int> Outputs { get; init; }

    /// <summary>True when the model's batch dimension is symbolic (bound to 1 here).</summary>
    public bool DynamicBatch { get; init; }

    public NetworkValue Value(int id) => Values[id];

    public string InputName => Values[Inputs[0]].Name;

    public string OutputName => Values[Outputs[0]].Name;

    /// <summary>Per-sample input dims (the batch dim excluded).</summary>
    public int[] InputShape => Values[Inputs[0]].Shape[1..];

    /// <summary>Per-sample output dims (the batch dim excluded).</summary>
    public int[] OutputShape => Values[Outputs[0]].Shape.Length > 1 ? Values[Outputs[0]].Shape[1..] : Values[Outputs[0]].Shape;

    public int InputLength => Values[Inputs[0]].Length;

    public int OutputLength => Values[Outputs[0]].Length;

    /// <summary>Bytes of float parameters (weights, biases, constants).</summary>
    public long ParameterBytes => Layers.Sum(l => l switch
    {
        DenseLayer d => (long)d.Weights.Length + d.Bias.Length,
        ConvLayer c => (long)c.Weights.Length + c.Bias.Length,
        ConstantLayer k => k.Data.Length,
        _ => 0L,
    }) * sizeof(float);

    /// <summary>Number of layers reading each value (graph outputs count as a reader).</summary>
    public int[] ConsumerCounts()
    {
        var counts = new int[Values.Count];
        foreach (var layer in Layers)
        {
            foreach (int input in layer.Inputs)
            {
                counts[input]++;
            }
        }

        foreach (int output in Outputs)
        {
            counts[output]++;
        }

        return counts;
    }

    public Network With(List<Layer> layers) => new()
    {
        SourcePath = SourcePath,
        Values = Values,
        Layers = layers,
        Inputs = Inputs,
        Outputs = Outputs,
        DynamicBatch = DynamicBatch,
    };
}
