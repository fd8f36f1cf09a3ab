namespace BuildOptim.Runtime.Ops;

/// <summary>
/// An op a parallel <see cref="PlanRunner"/> may split by output channels: each thread runs the same kernel on a contiguous
/// range of whole channel blocks, with its own scratch, and the result is bit-identical to one thread's.
/// </summary>
internal interface IChannelSplittable
{
    /// <summary>Output channels.</summary>
    int Channels { get; }

    /// <summary>Channels per block of the packed weights: every split falls on a multiple.</summary>
    int ChannelBlock { get; }

    /// <summary>Bytes of scratch a helper thread needs to run any range of channels.</summary>
    int HelperScratchLength { get; }

    /// <summary>Whether splitting pays: at least two blocks and <paramref name="minimumMacs"/> multiply-accumulates.</summary>
    bool Splits(long minimumMacs);

    /// <summary>Output channels [<paramref name="first"/>, <paramref name="end"/>) of every sample; (0, <see cref="Channels"/>) is the whole op.</summary>
    void RunChannels(int first, int end, byte[] scratch, int[] accumulator);
}
