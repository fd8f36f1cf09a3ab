namespace BuildOptim.Runtime.Ops;

/// <summary>
/// The runtime's op registry: how each <see cref="OpKind"/> of a plan becomes an <see cref="OpExecutor"/>. Supporting a new
/// op is its file in this folder (parameters record and executor) plus one line here (see docs/architecture.md).
/// </summary>
internal static class OpRegistry
{
    private static readonly Dictionary<OpKind, Func<PlanOp, OpLoadContext, OpExecutor>> s_factories = new()
    {
        [OpKind.QuantizeF32ToU8] = QuantizeF32ToU8Op.Create,
        [OpKind.DequantizeU8ToF32] = DequantizeU8ToF32Op.Create,
        [OpKind.DenseU8S8ToU8] = DenseU8S8Op.CreateToU8,
        [OpKind.DenseU8S8ToF32] = DenseU8S8Op.CreateToF32,
        [OpKind.DenseF32] = DenseF32Op.Create,
        [OpKind.DenseDynamicU8S8F32] = DenseDynamicU8S8F32Op.Create,
        [OpKind.DenseDynamicU7S7F32] = DenseDynamicU8S8F32Op.Create,
        [OpKind.GatherRowsS8F32] = GatherRowsS8F32Op.Create,
        [OpKind.LookupU8] = LookupU8Op.Create,
        [OpKind.ActivationF32] = ActivationF32Op.Create,
        [OpKind.SoftmaxF32] = SoftmaxF32Op.Create,
        [OpKind.Copy] = CopyOp.Create,
        [OpKind.ConvF32] = ConvF32Op.Create,
        [OpKind.ConvU8S8ToU8] = ConvU8S8ToU8Op.Create,
        [OpKind.ConvU8S8ToF32] = ConvU8S8ToF32Op.Create,
        [OpKind.PoolF32] = PoolF32Op.Create,
        [OpKind.PoolU8] = PoolU8Op.Create,
        [OpKind.GlobalPoolF32] = GlobalPoolF32Op.Create,
        [OpKind.GlobalPoolU8] = GlobalPoolU8Op.Create,
        [OpKind.BinaryF32] = BinaryF32Op.Create,
        [OpKind.AddU8] = AddU8Op.Create,
        [OpKind.MulU8] = MulU8Op.Create,
        [OpKind.ConcatF32] = ConcatF32Op.Create,
        [OpKind.ConcatU8] = ConcatU8Op.Create,
        [OpKind.Transpose] = TransposeOp.Create,
        [OpKind.Pad] = PadOp.Create,
        [OpKind.LrnF32] = LrnF32Op.Create,
        [OpKind.ChannelAffineF32] = ChannelAffineF32Op.Create,
        [OpKind.MatMulF32] = MatMulF32Op.Create,
        [OpKind.Constant] = ConstantOp.Create,
        [OpKind.DenseSharedU8U4ToU8] = DenseSharedU8U4Op.CreateToU8,
        [OpKind.DenseSharedU8U4ToF32] = DenseSharedU8U4Op.CreateToF32,
        [OpKind.ConvSharedU8U4ToU8] = ConvU8S8ToU8Op.CreateShared,
        [OpKind.ConvSharedU8U4ToF32] = ConvU8S8ToF32Op.CreateShared,
        [OpKind.CastF32] = CastF32Op.Create,
        [OpKind.BinaryMathF32] = BinaryMathF32Op.Create,
        [OpKind.ReduceF32] = ReduceF32Op.Create,
        [OpKind.LayerNormF32] = LayerNormF32Op.Create,
        [OpKind.ConvTransposeF32] = ConvTransposeF32Op.Create,
        [OpKind.ResizeNearestF32] = ResizeNearestF32Op.Create,
        [OpKind.ResizeBilinearF32] = ResizeBilinearF32Op.Create,
        [OpKind.Conv3DF32] = Conv3DF32Op.Create,
        [OpKind.ConvTranspose3DF32] = ConvTranspose3DF32Op.Create,
        [OpKind.Pool3DF32] = Pool3DF32Op.Create,
        [OpKind.ResizeSeparableF32] = ResizeSeparableF32Op.Create,
        [OpKind.CompareF32] = CompareF32Op.Create,
        [OpKind.WhereF32] = WhereF32Op.Create,
        [OpKind.GatherF32] = GatherF32Op.Create,
        [OpKind.StridedCopyF32] = StridedCopyF32Op.Create,
        [OpKind.MatMulBroadcastF32] = MatMulBroadcastF32Op.Create,
    };

    /// <summary>The executor of <paramref name="op"/>: decoded, checked and prepared.</summary>
    /// <exception cref="InvalidDataException">The op is unknown to this runtime or does not fit the plan.</exception>
    public static OpExecutor Create(PlanOp op, OpLoadContext context)
        => s_factories.TryGetValue(op.Kind, out var create) ? create(op, context) : throw new InvalidDataException($"Op kind {op.Kind} is not supported by this runtime.");

    /// <summary>Whether this runtime runs <paramref name="kind"/>.</summary>
    public static bool Supports(OpKind kind) => s_factories.ContainsKey(kind);
}
