using BuildOptim.Onnx.Ir;
using BuildOptim.Onnx.Lowering.Operators;

namespace BuildOptim.Onnx.Lowering;

/// <summary>
/// Lowers a node that reads a runtime value (or whose operator does not fold) and returns what its first output
/// holds: usually the output of the layers it added, or an input passed through (Identity), or a constant computed
/// from shapes (Shape).
/// </summary>
internal delegate SymbolicValue LowerOperator(NodeLowering node);

/// <summary>Evaluates a node whose inputs are all constants.</summary>
internal delegate Tensor FoldOperator(NodeFolding node);

/// <summary>How one ONNX operator lowers: to layers (null: only on constants) and, when it can, on constants.</summary>
internal sealed record OperatorLowering(LowerOperator? Lower = null, FoldOperator? Fold = null);

/// <summary>
/// The operator registry of the lowering: one line per ONNX operator (default domain), naming its lowering and
/// its constant folding in <c>Lowering/Operators/</c>. Supporting a new operator is its file there plus one line
/// here; <see cref="GraphLowering.SupportedOperators"/> and README.md's list follow this table.
/// </summary>
internal static class OperatorRegistry
{
    private static readonly Dictionary<string, OperatorLowering> s_operators = new(StringComparer.Ordinal)
    {
        ["Add"] = new(Elementwise.LowerBinary, Elementwise.FoldArithmetic),
        ["AveragePool"] = new(Pools.LowerWindow),
        ["BatchNormalization"] = new(BatchNormalization.Lower),
        ["Cast"] = new(Cast.Lower, Cast.Fold),
        ["Clip"] = new(Activations.LowerClip),
        ["Concat"] = new(Concat.Lower, Concat.Fold),
        ["Constant"] = new(), // the loader makes every Constant node an initializer (OnnxModelLoader)
        ["ConstantOfShape"] = new(Fold: Generators.FoldConstantOfShape),
        ["Conv"] = new(Conv.Lower),
        ["ConvTranspose"] = new(ConvTranspose.Lower),
        ["Div"] = new(Elementwise.LowerBinary, Elementwise.FoldArithmetic),
        ["Dropout"] = new(PassThrough.LowerDropout, PassThrough.Fold),
        ["Elu"] = new(Activations.LowerElu),
        ["Flatten"] = new(Reshapes.LowerFlatten, Reshapes.FoldFlatten),
        ["Gather"] = new(Gather.Lower, Gather.Fold),
        ["Gemm"] = new(Gemm.Lower),
        ["GlobalAveragePool"] = new(Pools.LowerGlobal),
        ["GlobalMaxPool"] = new(Pools.LowerGlobal),
        ["HardSigmoid"] = new(Activations.LowerHardSigmoid),
        ["HardSwish"] = new(Activations.LowerHardSwish),
        ["Identity"] = new(PassThrough.LowerIdentity, PassThrough.Fold),
        ["LeakyRelu"] = new(Activations.LowerLeakyRelu),
        ["LogSoftmax"] = new(Softmax.Lower),
        ["LRN"] = new(Lrn.Lower),
        ["MatMul"] = new(MatMul.Lower),
        ["MaxPool"] = new(Pools.LowerWindow),
        ["Mul"] = new(Elementwise.LowerBinary, Elementwise.FoldArithmetic),
        ["Neg"] = new(Activations.Elementwise(ActivationKind.Neg), Elementwise.FoldNeg),
        ["Pad"] = new(Pad.Lower),
        ["PRelu"] = new(Elementwise.LowerBinary),
        ["Range"] = new(Fold: Generators.FoldRange),
        ["Relu"] = new(Activations.LowerRelu),
        ["Resize"] = new(Resize.Lower),
        ["Upsample"] = new(Resize.LowerUpsample),
        ["Reshape"] = new(Reshapes.LowerReshape, Reshapes.FoldReshape),
        ["Selu"] = new(Activations.LowerSelu),
        ["Shape"] = new(Shape.Lower),
        ["Sigmoid"] = new(Activations.LowerSigmoid),
        ["Slice"] = new(Slice.Lower, Slice.Fold),
        ["Softmax"] = new(Softmax.Lower),
        ["Softplus"] = new(Activations.LowerSoftplus),
        ["Softsign"] = new(Activations.LowerSoftsign),
        ["Sqrt"] = new(Activations.Elementwise(ActivationKind.Sqrt), Elementwise.FoldSqrt),
        ["Squeeze"] = new(Reshapes.LowerSqueeze, Reshapes.FoldSqueeze),
        ["Sub"] = new(Elementwise.LowerBinary, Elementwise.FoldArithmetic),
        ["Sum"] = new(Elementwise.LowerSum),
        ["Tanh"] = new(Activations.LowerTanh),
        ["Transpose"] = new(Transpose.Lower, Transpose.Fold),
        ["Unsqueeze"] = new(Reshapes.LowerUnsqueeze, Reshapes.FoldUnsqueeze),
        ["Exp"] = new(Activations.Elementwise(ActivationKind.Exp)),
        ["Log"] = new(Activations.Elementwise(ActivationKind.Log)),
        ["Abs"] = new(Activations.Elementwise(ActivationKind.Abs)),
        ["Reciprocal"] = new(Activations.Elementwise(ActivationKind.Reciprocal)),
        ["Erf"] = new(Activations.Elementwise(ActivationKind.Erf)),
        ["Gelu"] = new(Activations.LowerGelu),
        ["Pow"] = new(Pow.Lower),
        ["Max"] = new(Variadic.LowerMax, Variadic.FoldMaxMin),
        ["Min"] = new(Variadic.LowerMin, Variadic.FoldMaxMin),
        ["Mean"] = new(Variadic.LowerMean),
        ["ReduceSum"] = new(Reduce.LowerSum),
        ["ReduceMean"] = new(Reduce.LowerMean),
        ["ReduceMax"] = new(Reduce.LowerMax),
        ["ReduceMin"] = new(Reduce.LowerMin),
        ["ReduceSumSquare"] = new(Reduce.LowerSumSquare),
        ["ReduceL2"] = new(Reduce.LowerL2),
        ["LayerNormalization"] = new(LayerNormalization.Lower),
        ["InstanceNormalization"] = new(InstanceNormalization.Lower),
        ["Equal"] = new(Comparisons.Lower, Comparisons.Fold),
        ["Less"] = new(Comparisons.Lower, Comparisons.Fold),
        ["Greater"] = new(Comparisons.Lower, Comparisons.Fold),
        ["LessOrEqual"] = new(Comparisons.Lower, Comparisons.Fold),
        ["GreaterOrEqual"] = new(Comparisons.Lower, Comparisons.Fold),
        ["And"] = new(Comparisons.Lower, Comparisons.Fold),
        ["Or"] = new(Comparisons.Lower, Comparisons.Fold),
        ["Xor"] = new(Comparisons.Lower, Comparisons.Fold),
        ["Not"] = new(Comparisons.LowerNot, Comparisons.FoldNot),
        ["Where"] = new(Where.Lower, Where.Fold),
        ["Split"] = new(Split.Lower),
        ["Expand"] = new(Tiling.LowerExpand, Tiling.FoldExpand),
        ["Tile"] = new(Tiling.LowerTile, Tiling.FoldTile),
    };

    /// <summary>Every operator in the table, in ordinal order (the order messages list them in).</summary>
    public static IReadOnlySet<string> Supported { get; } = new SortedSet<string>(s_operators.Keys, StringComparer.Ordinal);

    /// <summary>The entry of a supported operator (<see cref="GraphLowering"/> checks every node's first).</summary>
    public static OperatorLowering Find(string opType) => s_operators[opType];
}
