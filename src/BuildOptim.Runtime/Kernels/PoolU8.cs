using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// MaxPool on codes: <c>y[c, oh, ow] = max_{kh, kw} x[c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw]</c> over the taps inside x.
    /// The code of the max is the max of the codes, so input and output share their quantization parameters.
    /// A window with no tap inside x gives 0.
    /// </summary>
    internal static void MaxPoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, Span<byte> y)
        => MaxPoolU8(x, g, y, SimdLevel.Vector512);

    /// <summary><see cref="MaxPoolU8(ReadOnlySpan{byte}, in PoolGeometry, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void MaxPoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, Span<byte> y, SimdLevel maxLevel)
    {
        if (IsPool2x2Stride2(g) && g.OW >= 8 && maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated
            && x.Length == g.InputLength && y.Length == g.OutputLength)
        {
            MaxPool2x2U8Vector128(x, g, y);
            return;
        }

        if (IsPool3x3Stride2(g) && g.OW >= 8 && g.W >= 16 && MaxPool3x3RowLength(g) <= MaxPool3x3RowLimit
            && maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated && x.Length == g.InputLength && y.Length == g.OutputLength)
        {
            MaxPool3x3Stride2U8Vector128(x, g, y);
            return;
        }

        Pool2D<byte, byte, MaxPoolU8Op>(x, g, default, y, maxLevel);
    }

    /// <summary>A 2 × 2 window at stride 2 with no padding or dilation, every window inside x (the common downsampling pool).</summary>
    internal static bool IsPool2x2Stride2(in PoolGeometry g)
        => g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1
            && g.PadTop == 0 && g.PadLeft == 0 && g.C >= 0 && g.OH >= 0 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;

    /// <summary>
    /// 2 × 2 stride-2 MaxPool, 8 outputs at a time: the byte-wise max of the two input rows, then the max of each byte pair
    /// (low and high byte of a 16-bit lane) narrowed to bytes. A row's last 8 outputs are recomputed from <c>OW − 8</c>
    /// when OW is not a multiple of 8 (needs OW ≥ 8). Max is exact, so this equals the generic loop.
    /// </summary>
    private static void MaxPool2x2U8Vector128(ReadOnlySpan<byte> x, in PoolGeometry g, Span<byte> y)
    {
        ref byte xRef = ref MemoryMarshal.GetReference(x);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var lowBytes = Vector128.Create((ushort)0xFF);
        int plane = g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            for (int oh = 0; oh < g.OH; oh++)
            {
                nuint top = (nuint)((c * plane) + (2 * oh * g.W));
                nuint bottom = top + (nuint)g.W;
                nuint row = (nuint)(((c * g.OH) + oh) * g.OW);
                for (int ow = 0; ow < g.OW; ow += 8)
                {
                    int at = Math.Min(ow, g.OW - 8);
                    var rows = Vector128.Max(Vector128.LoadUnsafe(ref xRef, top + (nuint)(2 * at)), Vector128.LoadUnsafe(ref xRef, bottom + (nuint)(2 * at))).AsUInt16();
                    var pairs = Vector128.Max(rows & lowBytes, Vector128.ShiftRightLogical(rows, 8));
                    var bytes = Vector128.Narrow(pairs, pairs);
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref yRef, row + (nuint)at), bytes.AsUInt64().ToScalar());
                }
            }
        }
    }

    /// <summary>The longest padded row <see cref="MaxPool3x3Stride2U8Vector128"/> keeps on the stack.</summary>
    private const int MaxPool3x3RowLimit = 4096;

    /// <summary>
    /// A 3 × 3 window at stride 2, no dilation, at most one padded row and column before x (ResNet's pool after its stem),
    /// and every window holding at least one row and one column of x.
    /// </summary>
    private static bool IsPool3x3Stride2(in PoolGeometry g)
        => g.KH == 3 && g.KW == 3 && g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1
            && (uint)g.PadTop <= 1 && (uint)g.PadLeft <= 1 && g.C >= 0 && g.OH >= 1 && g.H >= 1
            && (2 * (g.OH - 1)) - g.PadTop <= g.H - 1 && (2 * (g.OW - 1)) - g.PadLeft <= g.W - 1;

    /// <summary>Bytes of the padded row: the left pad, W codes, and zeros up to the last vector's reads (2·OW + 2 + 16).</summary>
    private static int MaxPool3x3RowLength(in PoolGeometry g) => Math.Max(g.W + g.PadLeft, (2 * g.OW) + 2) + 16;

    /// <summary>
    /// 3 × 3 stride-2 MaxPool, 8 outputs at a time: per output row, the byte-wise max of its (up to) three input rows into a
    /// row with the left pad and everything past x set to 0, then <c>y[ow] = max(row[2·ow], row[2·ow + 1], row[2·ow + 2])</c>
    /// from two 16-byte loads split into low and high bytes. 0 never wins a max of codes over a window that holds at least one
    /// code of x, so the padding acts as ONNX's −∞. A row's last 8 outputs are recomputed from <c>OW − 8</c>. Max is exact, so
    /// this equals the generic loop.
    /// </summary>
    private static void MaxPool3x3Stride2U8Vector128(ReadOnlySpan<byte> x, in PoolGeometry g, Span<byte> y)
    {
        Span<byte> row = stackalloc byte[MaxPool3x3RowLength(g)];
        row.Clear();
        ref byte rowRef = ref MemoryMarshal.GetReference(row);
        ref byte xRef = ref MemoryMarshal.GetReference(x);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var lowBytes = Vector128.Create((ushort)0xFF);
        int plane = g.H * g.W;
        for (int c = 0; c < g.C; c++)
        {
            for (int oh = 0; oh < g.OH; oh++)
            {
                int first = Math.Max(0, (2 * oh) - g.PadTop);
                int last = Math.Min(g.H - 1, (2 * oh) - g.PadTop + 2);
                nuint channel = (nuint)(c * plane);
                for (int w = 0; w < g.W; w += 16)
                {
                    nuint at = (nuint)Math.Min(w, g.W - 16);
                    var v = Vector128.LoadUnsafe(ref xRef, channel + (nuint)(first * g.W) + at);
                    for (int ih = first + 1; ih <= last; ih++)
                    {
                        v = Vector128.Max(v, Vector128.LoadUnsafe(ref xRef, channel + (nuint)(ih * g.W) + at));
                    }

                    v.StoreUnsafe(ref rowRef, at + (nuint)g.PadLeft);
                }

                nuint output = (nuint)(((c * g.OH) + oh) * g.OW);
                for (int ow = 0; ow < g.OW; ow += 8)
                {
                    nuint at = (nuint)Math.Min(ow, g.OW - 8);
                    var pairs = Vector128.LoadUnsafe(ref rowRef, 2 * at).AsUInt16();
                    var next = Vector128.LoadUnsafe(ref rowRef, (2 * at) + 2).AsUInt16();
                    var window = Vector128.Max(Vector128.Max(pairs & lowBytes, Vector128.ShiftRightLogical(pairs, 8)), next & lowBytes);
                    Unsafe.WriteUnaligned(ref Unsafe.Add(ref yRef, output + at), Vector128.Narrow(window, window).AsUInt64().ToScalar());
                }
            }
        }
    }

    /// <summary>
    /// AveragePool on codes, input and output sharing their quantization parameters:
    /// <c>y = ⌊(2·sum + count) / (2·count)⌋</c> (the average rounded half up, exactly), where sum adds the codes of the taps
    /// inside x and count is their number; with <paramref name="countIncludePad"/>, count is the number of taps inside the
    /// explicitly padded input and each padded one adds <paramref name="zeroPoint"/> (real 0) to sum. See
    /// <see cref="AveragePoolF32(ReadOnlySpan{float}, in PoolGeometry, bool, Span{float})"/> for the count. A window with count 0 gives the zero point.
    /// </summary>
    internal static void AveragePoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, bool countIncludePad, byte zeroPoint, Span<byte> y)
        => AveragePoolU8(x, g, countIncludePad, zeroPoint, y, SimdLevel.Vector512);

    /// <summary><see cref="AveragePoolU8(ReadOnlySpan{byte}, in PoolGeometry, bool, byte, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void AveragePoolU8(ReadOnlySpan<byte> x, in PoolGeometry g, bool countIncludePad, byte zeroPoint, Span<byte> y, SimdLevel maxLevel)
    {
        // One unpadded window over the whole plane (ResNet's last pool) is a global average: the same rounded mean of the same codes.
        if (g.KH == g.H && g.KW == g.W && g.OH == 1 && g.OW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0
            && g.H > 0 && g.W > 0 && maxLevel >= SimdLevel.Vector128 && x.Length == g.InputLength && y.Length == g.OutputLength)
        {
            GlobalAveragePoolU8(x, g.C, g.H * g.W, y);
            return;
        }

        Pool2D<byte, int, AveragePoolU8Op>(x, g, new AveragePoolU8Op(countIncludePad, zeroPoint), y, maxLevel);
    }

    /// <summary><c>y[c] = ⌊(2·Σ_s x[c, s] + spatial) / (2·spatial)⌋</c>: the mean code rounded half up, exactly (same parameters in and out).</summary>
    internal static void GlobalAveragePoolU8(ReadOnlySpan<byte> x, int channels, int spatial, Span<byte> y)
    {
        ValidateGlobalPool(x.Length, channels, spatial, y.Length);
        if (spatial == 0)
        {
            ThrowShape("Global average pooling needs at least one element per channel.");
        }

        if (spatial >= 1 << 22)
        {
            for (int c = 0; c < channels; c++)
            {
                y[c] = RoundedMeanU8(SumU8(x.Slice(c * spatial, spatial)), spatial);
            }

            return;
        }

        // 2·sum + spatial < 2^32: the division by 2·spatial as a multiply by its rounded-up reciprocal.
        var divisor = new UnsignedDivisor((uint)(2 * spatial));
        for (int c = 0; c < channels; c++)
        {
            y[c] = (byte)divisor.Divide((uint)((2 * SumU8(x.Slice(c * spatial, spatial))) + spatial));
        }
    }

    /// <summary>
    /// <c>⌊a / d⌋</c> for every 32-bit a by one 64 × 64-bit multiply: with <c>m = ⌈2^64 / d⌉ = d·m − 2^64 + e</c>, 0 ≤ e &lt; d,
    /// <c>a·m / 2^64 = a/d + a·e / (d·2^64)</c>, and a·e &lt; 2^64 keeps the excess below 1/d, less than a/d's distance to
    /// the next integer: the high half of a·m is the quotient.
    /// </summary>
    private readonly struct UnsignedDivisor(uint d)
    {
        private readonly ulong _multiplier = (ulong.MaxValue / d) + 1;

        public uint Divide(uint a) => (uint)Math.BigMul(a, _multiplier, out _);
    }

    /// <summary><c>y[c] = max_s x[c, s]</c> on codes (0 for an empty channel).</summary>
    internal static void GlobalMaxPoolU8(ReadOnlySpan<byte> x, int channels, int spatial, Span<byte> y)
    {
        ValidateGlobalPool(x.Length, channels, spatial, y.Length);
        for (int c = 0; c < channels; c++)
        {
            byte max = 0;
            foreach (byte v in x.Slice(c * spatial, spatial))
            {
                max = Math.Max(max, v);
            }

            y[c] = max;
        }
    }

    /// <summary>32 zero bytes then 32 bytes of ones: loaded from offset r, a mask that keeps the last r bytes of 32.</summary>
    private static ReadOnlySpan<byte> TailMaskU8 =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ];

    /// <summary>
    /// The sum of the codes, 32 at a time with <c>vpsadbw</c> (sums of absolute differences against zero) where AVX2 is present;
    /// the last r &lt; 32 codes as the last 32 bytes with the first 32 − r masked off (no scalar tail).
    /// </summary>
    private static long SumU8(ReadOnlySpan<byte> x)
    {
        long sum = 0;
        int i = 0;
        if (Avx2.IsSupported && x.Length >= 32)
        {
            ref byte r = ref MemoryMarshal.GetReference(x);
            var acc = Vector256<ulong>.Zero;
            for (; i <= x.Length - 32; i += 32)
            {
                acc += Avx2.SumAbsoluteDifferences(Vector256.LoadUnsafe(ref r, (nuint)i), Vector256<byte>.Zero).AsUInt64();
            }

            int rest = x.Length - i;
            if (rest > 0)
            {
                var mask = Vector256.Create(TailMaskU8.Slice(rest, 32));
                var last = Vector256.LoadUnsafe(ref r, (nuint)(x.Length - 32)) & mask;
                acc += Avx2.SumAbsoluteDifferences(last, Vector256<byte>.Zero).AsUInt64();
                i = x.Length;
            }

            sum = (long)Vector256.Sum(acc);
        }
        else if (Sse2.IsSupported && x.Length >= 16)
        {
            // 16 to 31 codes (squeeze-excitation's pools of 4 × 4 planes): the first 16, then the last 16 with the
            // ones already summed masked off.
            ref byte r = ref MemoryMarshal.GetReference(x);
            int rest = x.Length - 16;
            var mask = Vector128.Create(TailMaskU8.Slice(16 + rest, 16));
            var acc = Sse2.SumAbsoluteDifferences(Vector128.LoadUnsafe(ref r), Vector128<byte>.Zero).AsUInt64()
                + Sse2.SumAbsoluteDifferences(Vector128.LoadUnsafe(ref r, (nuint)rest) & mask, Vector128<byte>.Zero).AsUInt64();
            sum = (long)Vector128.Sum(acc);
            i = x.Length;
        }

        for (; i < x.Length; i++)
        {
            sum += x[i];
        }

        return sum;
    }

    /// <summary><c>⌊(2·sum + count) / (2·count)⌋</c> for 0 ≤ sum ≤ 255·count: round half up, in [0, 255].</summary>
    private static byte RoundedMeanU8(long sum, long count) => (byte)(((2 * sum) + count) / (2 * count));

    private readonly struct MaxPoolU8Op : IPoolOp<byte, byte>
    {
        public byte Identity => 0;

        public byte Lift(byte x) => x;

        public byte Combine(byte a, byte b) => Math.Max(a, b);

        public void CombineRow(ReadOnlySpan<byte> x, Span<byte> acc, SimdLevel level) => MaxRowU8(x, acc, level);

        public byte Finish(byte acc, int inBounds, int inPadded) => acc;
    }

    private readonly struct AveragePoolU8Op(bool countIncludePad, byte zeroPoint) : IPoolOp<byte, int>
    {
        public int Identity => 0;

        public int Lift(byte x) => x;

        public int Combine(int a, int b) => a + b;

        public void CombineRow(ReadOnlySpan<byte> x, Span<int> acc, SimdLevel level) => AxpyRowU8ToS32(1, x, acc, level);

        public byte Finish(int acc, int inBounds, int inPadded)
        {
            long sum = acc;
            int count = inBounds;
            if (countIncludePad)
            {
                sum += (long)zeroPoint * (inPadded - inBounds);
                count = inPadded;
            }

            return count == 0 ? zeroPoint : RoundedMeanU8(sum, count);
        }
    }
}
