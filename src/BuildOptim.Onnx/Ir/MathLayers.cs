namespace BuildOptim.Onnx.Ir;

/// <summary>Functions of two float tensors that run in float in every plan.</summary>
public enum BinaryMathKind
{
    /// <summary>ONNX Pow of a computed or non-scalar exponent (a scalar constant one is <see cref="ActivationKind.Pow"/>).</summary>
    Pow,

    /// <summary>ONNX Max of two inputs (IEEE maximum: NaN wins, +0 above −0).</summary>
    Max,

    /// <summary>ONNX Min of two inputs (IEEE minimum: NaN wins, −0 below +0).</summary>
    Min,
}

/// <summary>A <see cref="BinaryMathKind"/> of its two inputs with numpy broadcasting.</summary>
public sealed record BinaryMathLayer : Layer
{
    public required BinaryMathKind Kind { get; init; }
}

/// <summary>What a <see cref="ReduceLayer"/> computes over its axes.</summary>
public enum ReduceKind
{
    Sum,
    Mean,
    Max,
    Min,

    /// <summary>Σ x².</summary>
    SumSquare,

    /// <summary>√(Σ x²).</summary>
    L2,
}

/// <summary>
/// A reduction over a run of adjacent axes (ascending, not empty), the reduced axes kept as 1 with <see cref="KeepDims"/>
/// or dropped. ONNX reductions over axes that are not adjacent lower to one of these per run.
/// </summary>
public sealed record ReduceLayer : Layer
{
    public required ReduceKind Kind { get; init; }

    public required int[] Axes { get; init; }

    public required bool KeepDims { get; init; }
}
