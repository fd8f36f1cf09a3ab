namespace BuildOptim.Onnx.Ir;

/// <summary>Functions of two float tensors that run in float in every plan.</summary>
public enum BinaryMathKind
{
    /// <summary>ONNX Pow of a computed or non-scalar exponent (a scalar constant one is <see cref="ActivationKind.Pow"/>).</summary>
    Pow,
}

/// <summary>A <see cref="BinaryMathKind"/> of its two inputs with numpy broadcasting.</summary>
public sealed record BinaryMathLayer : Layer
{
    public required BinaryMathKind Kind { get; init; }
}
