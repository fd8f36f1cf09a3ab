namespace BuildOptim.Runtime;

/// <summary>How <see cref="Kernels.PadF32"/> fills positions outside the input (ONNX Pad's mode).</summary>
internal enum PadMode
{
    /// <summary>A constant value.</summary>
    Constant = 0,

    /// <summary>Mirror without repeating the edge: index −1 reads 1 (numpy "reflect").</summary>
    Reflect = 1,

    /// <summary>Repeat the edge: index −1 reads 0.</summary>
    Edge = 2,

    /// <summary>Wrap around: index −1 reads d − 1.</summary>
    Wrap = 3,
}

public static partial class Kernels
{
    /// <summary>
    /// ONNX Pad: output dim k has size <c>d_k + pads[k] + pads[r + k]</c> (begins, then ends; negative pads crop), and
    /// <c>y[i] = x[map(i − begins)]</c> where each coordinate outside [0, d_k) maps by <paramref name="mode"/>: Constant gives
    /// <paramref name="value"/>, Reflect mirrors about the edge element (period 2·(d − 1)), Edge clamps, Wrap takes it
    /// modulo d. Rank at most <see cref="MaxLayoutRank"/>.
    /// </summary>
    internal static void PadF32(ReadOnlySpan<float> x, ReadOnlySpan<int> dims, ReadOnlySpan<int> pads, PadMode mode, float value, Span<float> y)
        => Pad(x, dims, pads, mode, value, y);

    /// <summary><see cref="PadF32"/> on codes (a constant pad of real 0 passes the zero point).</summary>
    internal static void PadU8(ReadOnlySpan<byte> x, ReadOnlySpan<int> dims, ReadOnlySpan<int> pads, PadMode mode, byte value, Span<byte> y)
        => Pad(x, dims, pads, mode, value, y);

    private static void Pad<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> dims, ReadOnlySpan<int> pads, PadMode mode, T value, Span<T> y)
    {
        int rank = dims.Length;
        if (rank > MaxLayoutRank || pads.Length != 2 * rank)
        {
            ThrowShape($"Pad needs rank ≤ {MaxLayoutRank} and two pads per dim; got {rank} dims and {pads.Length} pads.");
        }

        if (mode is not (PadMode.Constant or PadMode.Reflect or PadMode.Edge or PadMode.Wrap))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }

        Span<int> outDims = stackalloc int[MaxLayoutRank];
        Span<int> inStride = stackalloc int[MaxLayoutRank];
        long inLength = 1, outLength = 1;
        for (int k = rank - 1; k >= 0; k--)
        {
            long outDim = (long)dims[k] + pads[k] + pads[rank + k];
            if (dims[k] < 0 || outDim < 0 || outDim > int.MaxValue)
            {
                ThrowShape($"Pad of dim {k} ({dims[k]}) by {pads[k]} and {pads[rank + k]} is invalid.");
            }

            if (dims[k] == 0 && outDim > 0 && mode != PadMode.Constant)
            {
                ThrowShape($"{mode} padding needs a non-empty dim {k}.");
            }

            outDims[k] = (int)outDim;
            inStride[k] = (int)inLength;
            inLength *= dims[k];
            outLength *= outDim;
        }

        if (x.Length != inLength || y.Length != outLength)
        {
            ThrowShape($"Pad of {inLength} into {outLength} elements got input {x.Length} and output {y.Length}.");
        }

        if (outLength == 0)
        {
            return;
        }

        if (rank == 0)
        {
            y[0] = x[0];
            return;
        }

        int last = rank - 1;
        int rowLength = outDims[last];
        int rowDim = dims[last];
        int rowBegin = pads[last];

        // The output columns [copyLo, copyHi) read input columns [copyLo − rowBegin, copyHi − rowBegin) in one block.
        int copyLo = Math.Clamp(rowBegin, 0, rowLength);
        int copyHi = Math.Clamp(rowBegin + rowDim, copyLo, rowLength);
        Span<int> index = stackalloc int[MaxLayoutRank];
        index.Clear();
        for (int at = 0; at < y.Length; at += rowLength)
        {
            var dst = y.Slice(at, rowLength);
            int rowOffset = 0;
            bool outside = false;
            for (int k = 0; k < last; k++)
            {
                int source = MapPadIndex(index[k] - pads[k], dims[k], mode);
                outside |= source < 0;
                rowOffset += source * inStride[k];
            }

            if (outside)
            {
                dst.Fill(value);
            }
            else
            {
                var src = x.Slice(rowOffset, rowDim);
                src.Slice(copyLo - rowBegin, copyHi - copyLo).CopyTo(dst[copyLo..copyHi]);
                if (mode == PadMode.Constant)
                {
                    dst[..copyLo].Fill(value);
                    dst[copyHi..].Fill(value);
                }
                else
                {
                    for (int i = 0; i < copyLo; i++)
                    {
                        dst[i] = src[MapPadIndex(i - rowBegin, rowDim, mode)];
                    }

                    for (int i = copyHi; i < rowLength; i++)
                    {
                        dst[i] = src[MapPadIndex(i - rowBegin, rowDim, mode)];
                    }
                }
            }

            for (int k = last - 1; k >= 0; k--)
            {
                if (++index[k] < outDims[k])
                {
                    break;
                }

                index[k] = 0;
            }
        }
    }

    /// <summary>The input index an out-of-range coordinate <paramref name="i"/> reads under <paramref name="mode"/>; −1 for Constant.</summary>
    private static int MapPadIndex(int i, int size, PadMode mode)
    {
        if ((uint)i < (uint)size)
        {
            return i;
        }

        switch (mode)
        {
            case PadMode.Edge:
                return i < 0 ? 0 : size - 1;
            case PadMode.Wrap:
                return ((i % size) + size) % size;
            case PadMode.Reflect:
                if (size == 1)
                {
                    return 0;
                }

                int period = 2 * (size - 1);
                int r = ((i % period) + period) % period;
                return r < size ? r : period - r;
            default:
                return -1;
        }
    }
}
