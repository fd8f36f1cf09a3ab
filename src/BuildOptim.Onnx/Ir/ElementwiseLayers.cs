namespace BuildOptim.Onnx.Ir;

/// <summary>
/// Elementwise activations and functions of one input. Parameters: LeakyRelu/Elu α; Clip [α, β]; HardSigmoid α, β; Selu α, γ=β.
/// Gelu is ONNX Gelu with approximate "none", GeluTanh with approximate "tanh"; Pow is x^α (ONNX Pow of a scalar constant exponent).
/// </summary>
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
    Exp,
    Log,
    Abs,
    Neg,
    Sqrt,
    Reciprocal,
    Erf,
    Gelu,
    GeluTanh,
    Pow,
}

public enum BinaryKind
{
    Add,
    Sub,
    Mul,
    Div,
    PRelu,
}

public sealed record ActivationLayer : Layer
{
    public required ActivationKind Kind { get; init; }

    public float Alpha { get; init; }

    public float Beta { get; init; }
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

/// <summary>Elementwise binary op with numpy broadcasting.</summary>
public sealed record BinaryLayer : Layer
{
    public required BinaryKind Kind { get; init; }

    /// <summary>A Relu or Clip applied to the result (fused by <c>FuseActivation</c>: residual adds are mostly followed by one).</summary>
    public FusedActivation? Activation { get; init; }
}
