namespace BuildOptim.Onnx.Lowering;

/// <summary>What the lowering knows about one ONNX value.</summary>
internal abstract record SymbolicValue;

/// <summary>A constant tensor (initializer, Constant node, or folded).</summary>
internal sealed record ConstantValue(Tensor Tensor) : SymbolicValue;

/// <summary>
/// Marks the symbolic batch dimension inside folded int64 shape tensors (Shape of a runtime tensor).
/// </summary>
internal static class ShapeVector
{
    public const long Batch = long.MinValue;
}

/// <summary>A runtime tensor: the output of the layer chain so far, with its per-sample dims.</summary>
internal sealed record RuntimeValue(int LayerCount, int[] SampleShape) : SymbolicValue;
