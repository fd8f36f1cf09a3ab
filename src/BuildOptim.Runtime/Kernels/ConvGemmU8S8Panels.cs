using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// The u8 × s8 convolution's column panels (see ConvGemmU8S8.cs): 16 pixels × pairs of taps packed contiguously per block.
public static partial class Kernels
{
    /// <summary>
    /// One column panel at wide pixel <paramref name="p"/>: <c>panel[j·16 + t] = col[2j, t] | col[2j+1, t] &lt;&lt; 16</c> with
    /// <c>col[k, t] = source[tapOffsets[k] + stride · (p + t)]</c> and <c>col[P, t] = 0</c> for an odd patch P.
    /// </summary>
    private static void PackColumnPanelU8(ReadOnlySpan<byte> source, ReadOnlySpan<int> tapOffsets, int lastOffset, int stride, int p, Span<int> panel, SimdLevel level)
    {
        int patch = tapOffsets.Length;
        int pairs = PatchPairs(patch);
        int start = stride * p;
        panel = panel[..(pairs * GemmTilePixels)];
        // AVX2 machines pack whole blocks in PackColumnPanelsU8Avx2; this is the Vector128 and scalar path.
        if (level >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated && stride <= 2)
        {
            // Every tap's 16 · stride bytes lie inside source (the image length covers the last panel's lanes);
            // lastOffset is the largest tap offset (MaxTapOffset), found once per call of the convolution.
            if ((long)lastOffset + start + (16 * stride) > source.Length)
            {
                ThrowShape("The padded image is too short for the panel reads.");
            }

            ref byte s = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), start);
            ref int o = ref MemoryMarshal.GetReference(tapOffsets);
            ref int d = ref MemoryMarshal.GetReference(panel);
            for (int j = 0; j < pairs; j++)
            {
                int k = 2 * j;
                var first = LoadTapU8(ref s, Unsafe.Add(ref o, k), stride);
                var second = k + 1 < patch ? LoadTapU8(ref s, Unsafe.Add(ref o, k + 1), stride) : Vector128<byte>.Zero;
                nuint at = (nuint)(j * GemmTilePixels);
                var (a0, a1) = Vector128.Widen(first);
                var (b0, b1) = Vector128.Widen(second);
                StorePairs128(a0, b0, ref d, at);
                StorePairs128(a1, b1, ref d, at + 8);
            }

            return;
        }

        for (int j = 0; j < pairs; j++)
        {
            int k = 2 * j;
            var first = source[(tapOffsets[k] + start)..];
            var packed = panel.Slice(j * GemmTilePixels, GemmTilePixels);
            if (k + 1 < patch)
            {
                var second = source[(tapOffsets[k + 1] + start)..];
                for (int t = 0; t < GemmTilePixels; t++)
                {
                    packed[t] = first[t * stride] | (second[t * stride] << 16);
                }
            }
            else
            {
                for (int t = 0; t < GemmTilePixels; t++)
                {
                    packed[t] = first[t * stride];
                }
            }
        }
    }

    /// <summary>
    /// <see cref="PackColumnPanelU8"/> for <paramref name="panelCount"/> consecutive panels from wide pixel <paramref name="p"/>
    /// (<paramref name="panelLength"/> ints apart), in AVX2, with one bounds check for all of them.
    /// </summary>
    private static void PackColumnPanelsU8Avx2(ReadOnlySpan<byte> source, ReadOnlySpan<int> tapOffsets, int lastOffset, int stride, int p, int panelCount, Span<int> panels, int panelLength)
    {
        int patch = tapOffsets.Length;
        if ((long)lastOffset + ((long)stride * (p + (GemmTilePixels * panelCount))) > source.Length
            || (long)panelCount * panelLength > panels.Length || panelLength < PatchPairs(patch) * GemmTilePixels)
        {
            ThrowShape("The padded image is too short for the panel reads.");
        }

        ref byte s = ref Unsafe.Add(ref MemoryMarshal.GetReference(source), stride * p);
        ref int o = ref MemoryMarshal.GetReference(tapOffsets);
        ref int d = ref MemoryMarshal.GetReference(panels);
        for (int q = 0; q < panelCount; q++)
        {
            PackPanelAvx2(ref Unsafe.Add(ref s, stride * GemmTilePixels * q), ref o, patch, stride, ref Unsafe.Add(ref d, q * panelLength));
        }
    }

    /// <summary>One panel's pairs from the 16 · stride bytes at each tap offset of <paramref name="s"/> (bounds checked by the caller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackPanelAvx2(ref byte s, ref int o, int patch, int stride, ref int d)
    {
        // Bytes interleaved (first[t], second[t]) and zero-extended to 16 bits are the int32 pairs.
        int full = patch / 2;
        for (int j = 0; j < full; j++)
        {
            var first = LoadTapU8(ref s, Unsafe.Add(ref o, 2 * j), stride);
            var second = LoadTapU8(ref s, Unsafe.Add(ref o, (2 * j) + 1), stride);
            nuint at = (nuint)(j * GemmTilePixels);
            Avx2.ConvertToVector256Int16(Sse2.UnpackLow(first, second)).AsInt32().StoreUnsafe(ref d, at);
            Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(first, second)).AsInt32().StoreUnsafe(ref d, at + 8);
        }

        if ((patch & 1) != 0)
        {
            var first = LoadTapU8(ref s, Unsafe.Add(ref o, patch - 1), stride);
            nuint at = (nuint)(full * GemmTilePixels);
            Avx2.ConvertToVector256Int16(Sse2.UnpackLow(first, Vector128<byte>.Zero)).AsInt32().StoreUnsafe(ref d, at);
            Avx2.ConvertToVector256Int16(Sse2.UnpackHigh(first, Vector128<byte>.Zero)).AsInt32().StoreUnsafe(ref d, at + 8);
        }
    }

    /// <summary>
    /// Copies <paramref name="length"/> bytes forward, 32 at a time, for a destination at or below the source or disjoint from
    /// it (the in-place compaction of accumulators, rows into a padded image): each chunk is read before it is written, and a
    /// chunk written never reaches source bytes not yet read. The last, overlapping chunk is read before the first write.
    /// The plans' rows are short, where a call to memmove costs more than the copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopySmall(ref byte source, ref byte destination, int length)
    {
        if (length >= 32)
        {
            var tail = Vector256.LoadUnsafe(ref source, (nuint)(length - 32));
            for (nuint i = 0; i < (nuint)(length - 32); i += 32)
            {
                Vector256.LoadUnsafe(ref source, i).StoreUnsafe(ref destination, i);
            }

            tail.StoreUnsafe(ref destination, (nuint)(length - 32));
        }
        else if (length >= 16)
        {
            var head = Vector128.LoadUnsafe(ref source);
            var tail = Vector128.LoadUnsafe(ref source, (nuint)(length - 16));
            head.StoreUnsafe(ref destination);
            tail.StoreUnsafe(ref destination, (nuint)(length - 16));
        }
        else if (length >= 8)
        {
            ulong head = Unsafe.ReadUnaligned<ulong>(ref source);
            ulong tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, length - 8));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 8), tail);
        }
        else if (length >= 4)
        {
            uint head = Unsafe.ReadUnaligned<uint>(ref source);
            uint tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, length - 4));
            Unsafe.WriteUnaligned(ref destination, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, length - 4), tail);
        }
        else
        {
            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
            }
        }
    }

    /// <summary>Sixteen codes <c>s[offset + stride · t]</c>, stride 1 or 2 (2 narrows 16-bit lanes to their low bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> LoadTapU8(ref byte s, int offset, int stride)
    {
        if (stride == 1)
        {
            return Vector128.LoadUnsafe(ref s, (nuint)offset);
        }

        return Vector128.Narrow(Vector128.LoadUnsafe(ref s, (nuint)offset).AsUInt16(), Vector128.LoadUnsafe(ref s, (nuint)offset + 16).AsUInt16());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePairs128(Vector128<ushort> first, Vector128<ushort> second, ref int d, nuint at)
    {
        var (a0, a1) = Vector128.Widen(first);
        var (b0, b1) = Vector128.Widen(second);
        (a0 | (b0 << 16)).AsInt32().StoreUnsafe(ref d, at);
        (a1 | (b1 << 16)).AsInt32().StoreUnsafe(ref d, at + 4);
    }
}
