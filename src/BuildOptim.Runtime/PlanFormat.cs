namespace BuildOptim.Runtime;

/// <summary>
/// The binary layout of a compressed plan (<c>*.bopt</c>). Little-endian throughout.
/// </summary>
/// <remarks>
/// <code>
/// header   (64 bytes)  magic "BOPTPLAN", u32 version, u32 opCount, u32 bufferCount,
///                      u32 inputLength, u32 outputLength, u32 inputBuffer, u32 outputBuffer,
///                      u32 opTableOffset, u32 bufferTableOffset, u32 reserved[5]
/// buffers  (8 bytes each)  u32 elementKind (<see cref="BufferKind"/>), u32 length in elements
/// ops      (<see cref="OpRecordSize"/> bytes each)  see <see cref="OpRecord"/>
/// data     sections, each aligned to <see cref="DataAlignment"/> bytes from the start of the plan
/// </code>
/// The writer lives in BuildOptim.Compression (<c>PlanWriter</c>); this type is the single source
/// of the constants both sides use.
/// </remarks>
public static class PlanFormat
{
    public static ReadOnlySpan<byte> Magic => "BOPTPLAN"u8;
    public const int Version = 1;
    public const int HeaderSize = 64;
    public const int BufferRecordSize = 8;
    public const int OpRecordSize = 96; // kind,in0,in1,out @0..16; p0..p5 @16..40; d0..d5 (i64) @40..88; pad
    public const int DataAlignment = 64;
    public const int MaxParams = 6;
    public const int MaxData = 6;
}

/// <summary>Element type of a plan buffer.</summary>
public enum BufferKind
{
    Float32 = 0,
    UInt8 = 1,
    Int32 = 2,
}

/// <summary>The operations a plan can hold. Numbers are part of the file format: append only.</summary>
public enum OpKind
{
    /// <summary>q = clamp(round_half_even(x / Scale) + ZeroPoint, 0, 255). P0=length, P1=zero point, P2=scale (float bits).</summary>
    QuantizeF32ToU8 = 1,
    /// <summary>x = Scale * (q - ZeroPoint). P0=length, P1=zero point, P2=scale (float bits).</summary>
    DequantizeU8ToF32 = 2,
    /// <summary>
    /// acc[n] = Bias[n] + sum_k x[k] * W[n,k]; y[n] = clamp(ZeroPointY + requantize(acc[n], Multiplier[n], Shift[n]), Min, Max).
    /// P0=K, P1=N, P2=output zero point, P3=clamp min, P4=clamp max. D0=W s8 [N,K], D1=Bias s32 [N], D2=Multiplier s32 [N], D3=Shift s32 [N].
    /// </summary>
    FullyConnectedU8S8ToU8 = 3,
    /// <summary>y[n] = (float)acc[n] * Scale[n]. P0=K, P1=N, P2=activation (<see cref="Activation"/>). D0=W s8 [N,K], D1=Bias s32 [N], D2=Scale f32 [N].</summary>
    FullyConnectedU8S8ToF32 = 4,
    /// <summary>y[n] = act(Bias[n] + sum_k x[k] * W[n,k]). P0=K, P1=N, P2=activation. D0=W f32 [N,K], D1=Bias f32 [N].</summary>
    FullyConnectedF32 = 5,
    /// <summary>y[i] = Table[x[i]]. P0=length. D0=table u8 [256].</summary>
    LookupU8 = 6,
    /// <summary>y = act(x) elementwise in float. P0=length, P1=activation.</summary>
    ActivationF32 = 7,
    /// <summary>Softmax over contiguous groups of P1 elements. P0=length, P1=axis size, P2=1 for LogSoftmax.</summary>
    SoftmaxF32 = 8,
    /// <summary>y = x (buffer copy, used when the graph output aliases the input). P0=length in bytes.</summary>
    Copy = 9,
}

/// <summary>Activation functions fused into or applied by float ops.</summary>
public enum Activation
{
    None = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
}

/// <summary>One decoded op record.</summary>
public readonly record struct OpRecord(
    OpKind Kind, int Input0, int Input1, int Output,
    int P0, int P1, int P2, int P3, int P4, int P5,
    long D0, long D1, long D2, long D3, long D4, long D5)
{
    /// <summary>Reinterprets an integer parameter as the float it stores.</summary>
    public static float AsFloat(int bits) => BitConverter.Int32BitsToSingle(bits);
}
