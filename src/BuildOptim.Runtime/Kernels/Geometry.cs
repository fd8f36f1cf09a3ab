namespace BuildOptim.Runtime;

/// <summary>
/// Shape of a 2-D convolution over one sample in NCHW layout (1-D convolutions use H = KH = 1).
/// Input [C, H, W], weights [M, C / Group, KH, KW], output [M, OH, OW].
/// </summary>
internal readonly record struct ConvGeometry(
    int C, int H, int W, int M, int KH, int KW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW,
    int Group, int OH, int OW)
{
    /// <summary>Input channels per group.</summary>
    public int GroupInputChannels => C / Group;

    /// <summary>Output channels per group.</summary>
    public int GroupOutputChannels => M / Group;

    /// <summary>Weights per output channel: (C / Group) · KH · KW.</summary>
    public int PatchLength => GroupInputChannels * KH * KW;

    /// <summary>True for depthwise convolutions (one input channel per group, Group == C).</summary>
    public bool IsDepthwise => Group == C && Group == M;

    public int InputLength => C * H * W;

    public int OutputLength => M * OH * OW;
}

/// <summary>
/// Shape of a pooling window over one sample in NCHW layout: input [C, H, W], output [C, OH, OW].
/// Padding beyond PadTop/PadLeft is implied by OH/OW (ceil_mode is resolved when OH/OW are computed).
/// </summary>
internal readonly record struct PoolGeometry(
    int C, int H, int W, int KH, int KW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int PadBottom, int PadRight,
    int DilationH, int DilationW, int OH, int OW)
{
    public int InputLength => C * H * W;

    public int OutputLength => C * OH * OW;
}

/// <summary>Element kinds a binary elementwise kernel computes.</summary>
internal enum BinaryOp
{
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    /// <summary>PRelu: <c>a &lt; 0 ? a · b : a</c>.</summary>
    PRelu = 4,
}

/// <summary>
/// Broadcasting description for elementwise kernels: the output's dims and, per operand, the
/// element stride along each output dim (0 where the operand is broadcast). Rank at most
/// <see cref="MaxRank"/>; shorter shapes are left-padded with 1.
/// </summary>
internal sealed class BroadcastShape
{
    internal const int MaxRank = 6;

    public BroadcastShape(int[] outputDims, int[] stridesA, int[] stridesB)
    {
        OutputDims = outputDims;
        StridesA = stridesA;
        StridesB = stridesB;
        Length = outputDims.Aggregate(1, (p, d) => p * d);
    }

    public int[] OutputDims { get; }

    public int[] StridesA { get; }

    public int[] StridesB { get; }

    public int Length { get; }

    /// <summary>numpy-style broadcasting of two shapes; null when they are incompatible.</summary>
    internal static BroadcastShape? Create(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        var sa = new int[rank];
        var sb = new int[rank];
        int strideA = 1, strideB = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            dims[i] = da == 1 ? db : da; // numpy: 0 broadcast against 1 is 0
            sa[i] = da == 1 ? 0 : strideA;
            sb[i] = db == 1 ? 0 : strideB;
            strideA *= da;
            strideB *= db;
        }

        return new BroadcastShape(dims, sa, sb);
    }
}
