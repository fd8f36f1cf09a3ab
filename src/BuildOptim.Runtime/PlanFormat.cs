namespace BuildOptim.Runtime;

/// <summary>
/// The binary layout of a compressed plan (<c>*.bopt</c>). Little-endian throughout.
/// </summary>
/// <remarks>
/// <code>
/// header   (64 bytes)  magic "BOPTPLAN", u32 version, u32 opCount, u32 bufferCount, u32 inputCount,
///                      u32 outputCount, u32 ioTableOffset, u32 bufferTableOffset, u32 opTableOffset,
///                      u32 opTableLength, u32 sequenceTableOffset, u32 sequenceTableLength, u32 reserved[3]
///                      (the sequence table only in version 4: <see cref="SequenceLengths"/>)
/// io       (8 bytes each)  inputs then outputs: u32 buffer, u32 length in elements
/// buffers  (8 bytes each)  u32 kind (<see cref="BufferKind"/>), u32 length in elements
/// ops      variable: i32 kind, i32 inputCount, i32 outputCount, i32 paramCount, i32 dataCount,
///                    i32 inputs[], i32 outputs[], i32 params[], padding to 8 bytes, i64 data offsets[]
/// data     sections, each aligned to <see cref="DataAlignment"/> bytes from the start of the plan
/// </code>
/// The writer is <c>PlanWriter</c> in BuildOptim.Compression; this type holds the constants both
/// sides use. Op parameters are documented on each <see cref="OpKind"/>.
/// </remarks>
internal static class PlanFormat
{
    public static ReadOnlySpan<byte> Magic => "BOPTPLAN"u8;
    public const int Version = 3;

    /// <summary>The version of a plan with a <see cref="SequenceLengths"/> table (its offset and length in the header's first reserved words).</summary>
    public const int SequenceVersion = 4;
    public const int HeaderSize = 64;
    public const int IoRecordSize = 8;
    public const int BufferRecordSize = 8;
    public const int DataAlignment = 64;
}

/// <summary>Element type of a plan buffer.</summary>
public enum BufferKind
{
    Float32 = 0,
    UInt8 = 1,
}

/// <summary>
/// The operations a plan can hold. Numbers are part of the file format: append only.
/// "Geometry" is the 15 ints of <see cref="ConvGeometry"/> or <see cref="PoolGeometry"/> in declaration order.
/// Float parameters are stored as their IEEE bits.
/// </summary>
/// <remarks>
/// Each kind's parameters are a record in BuildOptim.Runtime/Ops (<c>DenseU8S8ToU8Parameters</c> for
/// <see cref="DenseU8S8ToU8"/>, ...) whose <c>Encode</c> the emitters write and whose <c>Decode</c> the runner reads; the
/// summaries below are their layout in short.
/// </remarks>
public enum OpKind
{
    /// <summary>P: length, zeroPoint, scale. q = clamp(round_half_even(x / scale) + zeroPoint, 0, 255).</summary>
    QuantizeF32ToU8 = 1,
    /// <summary>P: length, zeroPoint, scale. x = scale · (q − zeroPoint).</summary>
    DequantizeU8ToF32 = 2,
    /// <summary>P: rows, K, N, outputZeroPoint, clampMin, clampMax. D: weights s8 [N,K], bias s32, multiplier s32, shift s32.</summary>
    DenseU8S8ToU8 = 3,
    /// <summary>P: rows, K, N, clampMin (f32), clampMax (f32). D: weights s8 [N,K], bias s32, scale f32. y = clamp(acc · scale[n]).</summary>
    DenseU8S8ToF32 = 4,
    /// <summary>P: rows, K, N, clampMin (f32), clampMax (f32). D: weights f32 [N,K], bias f32.</summary>
    DenseF32 = 5,
    /// <summary>P: length. D: table u8 [256].</summary>
    LookupU8 = 6,
    /// <summary>P: length, activation (<see cref="Activation"/>), alpha (f32), beta (f32).</summary>
    ActivationF32 = 7,
    /// <summary>P: outer, axisSize, inner, log.</summary>
    SoftmaxF32 = 8,
    /// <summary>P: length. Copies a buffer (float or uint8 by the buffer's kind).</summary>
    Copy = 9,
    /// <summary>P: batch, geometry, clampMin (f32), clampMax (f32). D: weights f32, bias f32.</summary>
    ConvF32 = 10,
    /// <summary>P: batch, geometry, inputZeroPoint, outputZeroPoint, clampMin, clampMax[, 1 for a 7-bit convolution: weights in [−63, 63], input codes halved, acc = bias + 4·Σ w·(x &gt;&gt; 1); not depthwise]. D: weights s8, bias s32, multiplier s32, shift s32.</summary>
    ConvU8S8ToU8 = 11,
    /// <summary>P: batch, geometry, inputZeroPoint, clampMin (f32), clampMax (f32)[, 1 for a 7-bit convolution, as <see cref="ConvU8S8ToU8"/>]. D: weights s8, bias s32, scale f32.</summary>
    ConvU8S8ToF32 = 12,
    /// <summary>P: geometry, kind (0 max, 1 average), countIncludePad.</summary>
    PoolF32 = 13,
    /// <summary>P: geometry, kind, countIncludePad, zeroPoint.</summary>
    PoolU8 = 14,
    /// <summary>P: channels, spatial, kind (0 max, 1 average).</summary>
    GlobalPoolF32 = 15,
    /// <summary>P: channels, spatial, kind.</summary>
    GlobalPoolU8 = 16,
    /// <summary>P: op (<see cref="BinaryOp"/>), rank, outputDims[6], stridesA[6], stridesB[6].</summary>
    BinaryF32 = 17,
    /// <summary>P: rank, outputDims[6], stridesA[6], stridesB[6], multiplierA, multiplierB, offset, shift, clampMin, clampMax (<see cref="AddU8Coefficients"/>; since version 3).</summary>
    AddU8 = 18,
    /// <summary>P: rank, outputDims[6], stridesA[6], stridesB[6], zeroPointA, zeroPointB, multiplier, shift, outputZeroPoint, clampMin, clampMax.</summary>
    MulU8 = 19,
    /// <summary>P: outer, outputInner, then per input: inputInner, offset.</summary>
    ConcatF32 = 20,
    /// <summary>P: outer, outputInner, outputZeroPoint, then per input: inputInner, offset, zeroPoint, multiplier, shift, requantize.</summary>
    ConcatU8 = 21,
    /// <summary>P: rank, dims[6], perm[6]. Float or uint8 by the buffer's kind.</summary>
    Transpose = 22,
    /// <summary>P: rank, mode, value (f32 bits or code), dims[6], pads[12]. Float or uint8 by the buffer's kind.</summary>
    Pad = 23,
    /// <summary>P: batch, channels, spatial, size, alpha (f32), beta (f32), bias (f32).</summary>
    LrnF32 = 24,
    /// <summary>P: batch, channels, spatial. D: scale f32, shift f32.</summary>
    ChannelAffineF32 = 25,
    /// <summary>P: batch, m, k, n, broadcastA, broadcastB.</summary>
    MatMulF32 = 26,
    /// <summary>P: length. D: data (f32 or u8 by the output buffer's kind). Written once when the runner is created; the buffer is never reused.</summary>
    Constant = 27,
    /// <summary>
    /// P: rows, K, N, outputZeroPoint, clampMin, clampMax, codebooks (1 or N). D: indices u4 [N, ⌈K/2⌉] (two per byte, even k
    /// low nibble), codebooks s8 [codebooks, 16], bias s32, multiplier s32, shift s32. <see cref="DenseU8S8ToU8"/> with weight
    /// w[n,k] = codebook[codebooks == 1 ? 0 : n][idx(n,k)] (<see cref="Kernels.SharedGemvU8U4S32(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>).
    /// </summary>
    DenseSharedU8U4ToU8 = 28,
    /// <summary>P: rows, K, N, clampMin (f32), clampMax (f32), codebooks. D: indices u4, codebooks s8, bias s32, scale f32. <see cref="DenseU8S8ToF32"/> over shared weights.</summary>
    DenseSharedU8U4ToF32 = 29,
    /// <summary>P: batch, geometry, inputZeroPoint, outputZeroPoint, clampMin, clampMax, codebooks. D: indices u4 [M, ⌈PatchLength/2⌉], codebooks s8, bias s32, multiplier s32, shift s32. <see cref="ConvU8S8ToU8"/> over shared weights.</summary>
    ConvSharedU8U4ToU8 = 30,
    /// <summary>P: batch, geometry, inputZeroPoint, clampMin (f32), clampMax (f32), codebooks. D: indices u4, codebooks s8, bias s32, scale f32. <see cref="ConvU8S8ToF32"/> over shared weights.</summary>
    ConvSharedU8U4ToF32 = 31,
    /// <summary>P: op (<see cref="BinaryMathOp"/>), rank, outputDims[6], stridesA[6], stridesB[6]. Float, numpy broadcasting.</summary>
    BinaryMathF32 = 40,
    /// <summary>P: op (<see cref="ReduceOp"/>), outer, reduced, inner. y[o, i] = reduce over r of x[o, r, i].</summary>
    ReduceF32 = 41,
    /// <summary>P: rows, cols, epsilon (f32), hasBias. D: scale f32 [cols], bias f32 [cols] when hasBias. LayerNormalization of each row.</summary>
    LayerNormF32 = 42,

    // 60-79: the data path of transformers (integer, bool and indexing ops on tensors held as exact float32).

    /// <summary>P: length, mode (<see cref="CastMode"/>). A Cast to an integer (truncates toward zero) or to bool (x ≠ 0).</summary>
    CastF32 = 60,
    /// <summary>P: op (<see cref="CompareOp"/>), broadcast (rank, outputDims[6], stridesA[6], stridesB[6]). y = 1 where the predicate holds, else 0.</summary>
    CompareF32 = 61,
    /// <summary>P: rank, outputDims[6], stridesCondition[6], stridesX[6], stridesY[6] (<see cref="WhereShape"/>). y = condition ≠ 0 ? x : y.</summary>
    WhereF32 = 62,
    /// <summary>P: outer, axisSize, inner, count. Inputs: data [outer, axisSize, inner], indices [count] (integers held as floats, negative from the end). y [outer, count, inner].</summary>
    GatherF32 = 63,
    /// <summary>
    /// P: rank, start, dims[8], strides[8] (<see cref="Ops.StridedCopyF32Parameters"/>): y[i] = x[start + Σ i_k · strides[k]], strides signed, 0 repeats.
    /// Slice, Split, Expand and Tile.
    /// </summary>
    StridedCopyF32 = 64,
    /// <summary>P: m, k, n, batch broadcast (rank, batchDims[6], stridesA[6], stridesB[6], in matrices). <see cref="MatMulF32"/> with numpy broadcasting of every batch dim.</summary>
    MatMulBroadcastF32 = 65,

    // 80-99: spatial operators of CNN and audio models (float only).

    /// <summary>P: batch, geometry (weights [C, M/G, KH, KW]). D: weights f32, bias f32 [M]. Transposed convolution (<see cref="Kernels.ConvTransposeF32"/>).</summary>
    ConvTransposeF32 = 80,
    /// <summary>P: rank, inDims[6], outDims[6]. D: source indices s32 per output index, axis by axis. Nearest Resize.</summary>
    ResizeNearestF32 = 81,
    /// <summary>P: planes, H, W, OH, OW. D: rows s32 [2·OH], cols s32 [2·OW], row weights f32 [2·OH], column weights f32 [2·OW]. Bilinear Resize.</summary>
    ResizeBilinearF32 = 82,

    // 100-109: 3-D windows (NCDHW) and separable Resize (float only). "Volume" is the 24 ints of VolumeGeometry.

    /// <summary>P: batch, volume, clampMin (f32), clampMax (f32). D: weights f32 [M, C/G, KD, KH, KW], bias f32 [M]. 3-D convolution (<see cref="Kernels.Conv3DF32"/>).</summary>
    Conv3DF32 = 100,
    /// <summary>P: batch, volume. D: weights f32 [C, M/G, KD, KH, KW], bias f32 [M]. 3-D transposed convolution (<see cref="Kernels.ConvTranspose3DF32"/>).</summary>
    ConvTranspose3DF32 = 101,
    /// <summary>P: volume (M = C, Group = 1), average, countIncludePad. 3-D MaxPool or AveragePool.</summary>
    Pool3DF32 = 102,
    /// <summary>
    /// P: rank, inDims[6], outDims[6], taps[6] (0: the axis is not resized), extrapolation (f32). D: per resized axis, last
    /// axis first, source indices s32 [out·taps] (−1 first: extrapolate) and weights f32 [out·taps]. Cubic, N-d linear and
    /// tf_crop_and_resize Resize, one axis at a time (<see cref="Kernels.ResizeAxisF32Core"/>).
    /// </summary>
    ResizeSeparableF32 = 103,

    // 120-139: int8 transformers (float activations, int8 weights).

    /// <summary>
    /// P: rows, K, N, clamp (floats), activation. D: weights s8 [N, K], column scale f32 [N], bias f32 [N]. A dense layer
    /// on float rows, each quantized when it runs (dynamic per-row u8 with a zero point), int8 weights with one symmetric
    /// scale per output channel, float outputs (<see cref="Kernels.GemmU8S8F32Dynamic"/>).
    /// </summary>
    DenseDynamicU8S8F32 = 120,
    /// <summary>P: rows, inner, index count. D: table s8 [rows, inner], row scale f32 [rows]. Inputs: indices. An int8 embedding lookup (<see cref="Kernels.GatherRowsS8F32Core"/>).</summary>
    GatherRowsS8F32 = 121,
    /// <summary>
    /// P and D as <see cref="DenseDynamicU8S8F32"/>, the weights in [−63, 63] (checked when the plan loads). A 7-bit layer:
    /// each row quantized to codes 0..127 when it runs, so the 512-bit <c>vpmaddubsw</c> kernel stays exact
    /// (<see cref="Kernels.QuantizeRowU7Dynamic"/>, <see cref="Kernels.GemmU8S8F32Dynamic"/>).
    /// </summary>
    DenseDynamicU7S7F32 = 122,
}

/// <summary>Elementwise activation functions of <see cref="OpKind.ActivationF32"/>.</summary>
internal enum Activation
{
    None = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
    LeakyRelu = 4,
    Clip = 5,
    HardSigmoid = 6,
    HardSwish = 7,
    Elu = 8,
    Selu = 9,
    Softplus = 10,
    Softsign = 11,
    Exp = 12,
    Log = 13,
    Abs = 14,
    Neg = 15,
    Sqrt = 16,
    Reciprocal = 17,
    Erf = 18,
    Gelu = 19,
    GeluTanh = 20,
    /// <summary>x^alpha.</summary>
    Pow = 21,
}

/// <summary>
/// What <see cref="OpKind.CastF32"/> computes on a float32 holding any value: a Cast whose result the float32 holds
/// exactly. Casts between integer types and to float change nothing in a plan and emit no op.
/// </summary>
internal enum CastMode
{
    /// <summary>To an integer type: <c>y = trunc(x)</c> (toward zero, as C++ and ONNX Runtime convert), −0 made +0.</summary>
    Truncate = 1,

    /// <summary>To bool: <c>y = x ≠ 0 ? 1 : 0</c> (NaN is true).</summary>
    NotZero = 2,
}

/// <summary>The predicates of <see cref="OpKind.CompareF32"/>: comparisons, and connectives of bools (any x ≠ 0 is true).</summary>
internal enum CompareOp
{
    Equal = 0,
    Less = 1,
    Greater = 2,
    LessOrEqual = 3,
    GreaterOrEqual = 4,
    And = 5,
    Or = 6,
    Xor = 7,
}

/// <summary>One decoded op.</summary>
internal sealed class PlanOp
{
    public PlanOp(OpKind kind, int[] inputs, int[] outputs, int[] parameters, long[] data)
    {
        Kind = kind;
        Inputs = inputs;
        Outputs = outputs;
        P = parameters;
        D = data;
    }

    public OpKind Kind { get; }

    public int[] Inputs { get; }

    public int[] Outputs { get; }

    /// <summary>Integer parameters, as the op's parameters record encodes them (BuildOptim.Runtime/Ops).</summary>
    public int[] P { get; }

    /// <summary>Data section offsets from the start of the plan.</summary>
    public long[] D { get; }
}
