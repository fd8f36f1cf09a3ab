namespace BuildOptim.Onnx.Lowering;

/// <summary>What the lowering knows about one ONNX value.</summary>
internal abstract record SymbolicValue;

/// <summary>A constant tensor (initializer, Constant node, or folded).</summary>
internal sealed record ConstantValue(Tensor Tensor) : SymbolicValue;

/// <summary>A runtime tensor: a <see cref="NetworkValue"/> id.</summary>
internal sealed record RuntimeValue(int Id) : SymbolicValue;
