using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// A u8 × s8 convolution followed by a 2 × 2, stride-2 MaxPool of its codes, in one pass.
//
// Requantization y = clamp(zy + ((acc · m + 2^(s−1)) >> s), lo, hi) never decreases as acc grows when m ≥ 0 (and never
// increases when m < 0), so the largest code of a window is the requantized largest (smallest) accumulator: pooling the
// accumulators first gives the same codes bit for bit as the convolution followed by the pool, requantizes a quarter as many
// values and never writes the full-resolution output.
public static partial class Kernels
{
    /// <summary>
    /// Whether <see cref="ConvU8S8MaxPool2x2(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>
    /// runs <paramref name="g"/>: an output of at least 2 × 2 whose channels each come out of the kernel in one piece (depthwise
    /// convolutions, and the others when their wide pixels fit one block).
    /// </summary>
    internal static bool ConvU8S8MaxPool2x2Fits(in ConvGeometry g)
        => g.OH >= 2 && g.OW >= 2 && (g.IsDepthwise || ConvGemmU8S8BlockPixels(g) >= g.OH * ConvGemmRowPixels(g));

    /// <summary>
    /// <see cref="ConvU8S8(ReadOnlySpan{byte}, in ConvGeometry, byte, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte}, Span{int}, Span{byte})"/>
    /// followed by a 2 × 2, stride-2, unpadded MaxPool of its codes (floor mode):
    /// <c>y[m, ph, pw] = max over i, j &lt; 2 of conv[m, 2·ph + i, 2·pw + j]</c>, y being [M, OH/2, OW/2]. Bit for bit the same as
    /// the two ops in turn (see the file header); needs <see cref="ConvU8S8MaxPool2x2Fits"/> and the same scratch as the convolution.
    /// </summary>
    internal static void ConvU8S8MaxPool2x2(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y)
        => ConvU8S8MaxPool2x2(x, g, inputZeroPoint, weights, packedWeights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, SimdLevel.Vector512);

    /// <summary>The fused convolution and pool taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void ConvU8S8MaxPool2x2(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel, ConvGemmLayout? layout = null, bool sevenBit = false)
    {
        ValidateConvU8S8(x, g, weights, packedWeights, bias, scratch, accScratch, g.OutputLength, layout, sevenBit);
        if (!(layout?.PoolFits ?? ConvU8S8MaxPool2x2Fits(g)))
        {
            ThrowShape($"Conv {g} cannot be pooled in one pass: it needs an output of at least 2 × 2 computed one whole channel at a time.");
        }

        if (y.Length != g.M * (g.OH / 2) * (g.OW / 2))
        {
            ThrowShape($"Conv {g} pooled 2 × 2 has {g.M * (g.OH / 2) * (g.OW / 2)} outputs; got {y.Length}.");
        }

        ValidateConvRequantization(g, multiplier, shift, clampMin, clampMax);
        ConvU8S8MaxPool2x2Core(x, g, inputZeroPoint, weights, packedWeights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, accScratch, y, maxLevel, layout, sevenBit);
    }

    /// <summary>The fused convolution and pool with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan (the pool's fit included).</summary>
    internal static void ConvU8S8MaxPool2x2Core(ReadOnlySpan<byte> x, in ConvGeometry g, byte inputZeroPoint, ReadOnlySpan<sbyte> weights, ReadOnlySpan<int> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int outputZeroPoint, byte clampMin, byte clampMax, Span<byte> scratch, Span<int> accScratch, Span<byte> y, SimdLevel maxLevel, ConvGemmLayout? layout, bool sevenBit = false)
    {
        if (!sevenBit && TryConvU8S8MaxPool2x2Stem(x, g, inputZeroPoint, weights, bias, multiplier, shift, outputZeroPoint, clampMin, clampMax, scratch, y, maxLevel))
        {
            return;
        }

        var output = new PoolRequantizeConvOutput(multiplier, shift, outputZeroPoint, clampMin, clampMax, y, g.OH, g.OW);
        ConvU8S8Groups(x, g, inputZeroPoint, weights, packedWeights, bias, scratch, accScratch, layout, ref output, maxLevel, sevenBit);
    }

    /// <summary>Pools each whole channel's accumulators 2 × 2 in place, then requantizes the pooled quarter into y.</summary>
    private readonly ref struct PoolRequantizeConvOutput(ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y, int outputRows, int outputColumns) : IConvGemmOutput
    {
        private readonly ReadOnlySpan<int> _multiplier = multiplier;
        private readonly ReadOnlySpan<int> _shift = shift;
        private readonly Span<byte> _y = y;

        public bool WriteRows(int m, int rows, int p0, Span<int> blockAcc, int stride, int count, int wq, int ow, Span<byte> codes, SimdLevel level) => false;

        public void Write(int m, int p, Span<int> acc, SimdLevel level)
            => WriteWide(m, p, acc, outputColumns, outputColumns, default, level);

        public void WriteWide(int m, int p0, Span<int> acc, int wq, int ow, Span<byte> codes, SimdLevel level)
        {
            if (p0 != 0 || acc.Length != outputRows * wq)
            {
                ThrowShape("A pooled convolution needs each channel's accumulators in one piece.");
            }

            int pooledRows = outputRows / 2;
            int pooledColumns = outputColumns / 2;
            int pooled = pooledRows * pooledColumns;
            var y = _y.Slice(m * pooled, pooled);
            if (pooledColumns >= 8 && level >= SimdLevel.Vector256 && Avx2.IsSupported)
            {
                var requantizer = new RowRequantizerAvx2(_multiplier[m], _shift[m], zeroPoint, min, max);
                if (level >= SimdLevel.Vector512 && Avx512BW.IsSupported
                    && RowRequantizerAvx512.TryCreate(_multiplier[m], _shift[m], zeroPoint, min, max, out var requantizer512))
                {
                    MaxPool2x2RequantizeAvx512(acc, wq, pooledRows, pooledColumns, requantizer512, requantizer, _multiplier[m] < 0, y);
                    return;
                }

                MaxPool2x2RequantizeAvx2(acc, wq, pooledRows, pooledColumns, requantizer, _multiplier[m] < 0, y);
                return;
            }

            MaxPool2x2S32InPlace(acc, wq, pooledRows, pooledColumns, _multiplier[m] < 0);
            RequantizeRowS32ToU8(acc[..pooled], _multiplier[m], _shift[m], zeroPoint, min, max, y, level);
        }
    }

    /// <summary>
    /// <c>y[ph · pw' + pw] = requantize(max (or min) over i, j &lt; 2 of acc[(2·ph + i) · stride + 2·pw + j])</c> for ph &lt; rows
    /// and pw &lt; pw' = columns (at least 8), 8 outputs at a time; a row's last 8 are recomputed from <c>columns − 8</c> rather than
    /// leave a scalar tail.
    /// </summary>
    private static void MaxPool2x2RequantizeAvx2(ReadOnlySpan<int> acc, int stride, int rows, int columns, in RowRequantizerAvx2 requantizer, bool minimum, Span<byte> y)
    {
        ref int a = ref MemoryMarshal.GetReference(acc[..((((2 * rows) - 1) * stride) + (2 * columns))]);
        ref byte yRef = ref MemoryMarshal.GetReference(y[..(rows * columns)]);
        for (int ph = 0; ph < rows; ph++)
        {
            ref int r0 = ref Unsafe.Add(ref a, 2 * ph * stride);
            MaxPool2x2RequantizeRowAvx2(ref r0, ref Unsafe.Add(ref r0, stride), columns, requantizer, minimum, ref Unsafe.Add(ref yRef, ph * columns));
        }
    }

    /// <summary>One pooled row of <see cref="MaxPool2x2RequantizeAvx2"/>: <paramref name="r0"/> and <paramref name="r1"/> its two accumulator rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MaxPool2x2RequantizeRowAvx2(ref int r0, ref int r1, int columns, in RowRequantizerAvx2 requantizer, bool minimum, ref byte o)
    {
        int pw = 0;
        while (true)
        {
            nuint at = (nuint)(2 * pw);
            var v0 = Vector256.LoadUnsafe(ref r0, at);
            var v1 = Vector256.LoadUnsafe(ref r1, at);
            var w0 = Vector256.LoadUnsafe(ref r0, at + 8);
            var w1 = Vector256.LoadUnsafe(ref r1, at + 8);
            var lo = minimum ? Avx2.Min(v0, v1) : Avx2.Max(v0, v1);
            var hi = minimum ? Avx2.Min(w0, w1) : Avx2.Max(w0, w1);

            // Columns 2pw..2pw+15 → the even and the odd columns of each 128-bit lane, then the lanes put back in order.
            var even = Avx.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b10_00_10_00).AsInt32();
            var odd = Avx.Shuffle(lo.AsSingle(), hi.AsSingle(), 0b11_01_11_01).AsInt32();
            var window = Avx2.Permute4x64((minimum ? Avx2.Min(even, odd) : Avx2.Max(even, odd)).AsInt64(), 0b11_01_10_00).AsInt32();
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, pw), requantizer.Apply(window));
            if (pw + 8 >= columns)
            {
                return;
            }

            pw = Math.Min(pw + 8, columns - 8);
        }
    }

    /// <summary>
    /// <see cref="MaxPool2x2RequantizeAvx2"/> 16 outputs at a time in 512-bit lanes (<paramref name="requantizer512"/>, the same
    /// codes as <paramref name="requantizer"/>): two 64-byte loads per accumulator row, the rows' max, one <c>vpermt2d</c> each for
    /// the even and the odd columns, their max requantized and narrowed to 16 codes. A row of 16 or more outputs ends on an
    /// overlapping vector; a shorter one (FashionCnn's stem: 14) is one vector that reads past the row's 2 · columns
    /// accumulators and writes past its codes, taken only where both stay inside <paramref name="acc"/> and
    /// <paramref name="y"/> (the rows after it overwrite the excess codes); the rows left take the AVX2 path.
    /// </summary>
    private static void MaxPool2x2RequantizeAvx512(ReadOnlySpan<int> acc, int stride, int rows, int columns, in RowRequantizerAvx512 requantizer512, in RowRequantizerAvx2 requantizer, bool minimum, Span<byte> y)
    {
        ref int a = ref MemoryMarshal.GetReference(acc[..((((2 * rows) - 1) * stride) + (2 * columns))]);
        ref byte yRef = ref MemoryMarshal.GetReference(y[..(rows * columns)]);
        var evenIndex = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var oddIndex = evenIndex + Vector512<int>.One;
        for (int ph = 0; ph < rows; ph++)
        {
            ref int r0 = ref Unsafe.Add(ref a, 2 * ph * stride);
            ref int r1 = ref Unsafe.Add(ref r0, stride);
            ref byte o = ref Unsafe.Add(ref yRef, ph * columns);
            if (columns < 16 && ((((long)((2 * ph) + 1) * stride) + 32 > acc.Length) || ((ph * columns) + 16 > y.Length)))
            {
                MaxPool2x2RequantizeRowAvx2(ref r0, ref r1, columns, requantizer, minimum, ref o);
                continue;
            }

            int pw = 0;
            while (true)
            {
                nuint at = (nuint)(2 * pw);
                var v0 = Vector512.LoadUnsafe(ref r0, at);
                var v1 = Vector512.LoadUnsafe(ref r1, at);
                var w0 = Vector512.LoadUnsafe(ref r0, at + 16);
                var w1 = Vector512.LoadUnsafe(ref r1, at + 16);
                var lo = minimum ? Avx512F.Min(v0, v1) : Avx512F.Max(v0, v1);
                var hi = minimum ? Avx512F.Min(w0, w1) : Avx512F.Max(w0, w1);
                var even = Avx512F.PermuteVar16x32x2(lo, evenIndex, hi);
                var odd = Avx512F.PermuteVar16x32x2(lo, oddIndex, hi);
                requantizer512.Apply(minimum ? Avx512F.Min(even, odd) : Avx512F.Max(even, odd)).StoreUnsafe(ref o, (nuint)pw);
                if (pw + 16 >= columns)
                {
                    break;
                }

                pw = Math.Min(pw + 16, columns - 16);
            }
        }
    }

    /// <summary>
    /// <c>acc[ph · pw' + pw] = max (or min) over i, j &lt; 2 of acc[(2·ph + i) · stride + 2·pw + j]</c>, for ph &lt; rows and
    /// pw &lt; pw' = columns. In place and forward: every write lands below the inputs still to be read.
    /// </summary>
    private static void MaxPool2x2S32InPlace(Span<int> acc, int stride, int rows, int columns, bool minimum)
    {
        ref int a = ref MemoryMarshal.GetReference(acc[..((((2 * rows) - 1) * stride) + (2 * columns))]);
        for (int ph = 0; ph < rows; ph++)
        {
            ref int r0 = ref Unsafe.Add(ref a, 2 * ph * stride);
            ref int r1 = ref Unsafe.Add(ref r0, stride);
            ref int o = ref Unsafe.Add(ref a, ph * columns);
            for (int pw = 0; pw < columns; pw++)
            {
                int c = 2 * pw;
                Unsafe.Add(ref o, pw) = minimum
                    ? Math.Min(Math.Min(Unsafe.Add(ref r0, c), Unsafe.Add(ref r0, c + 1)), Math.Min(Unsafe.Add(ref r1, c), Unsafe.Add(ref r1, c + 1)))
                    : Math.Max(Math.Max(Unsafe.Add(ref r0, c), Unsafe.Add(ref r0, c + 1)), Math.Max(Unsafe.Add(ref r1, c), Unsafe.Add(ref r1, c + 1)));
            }
        }
    }
}
