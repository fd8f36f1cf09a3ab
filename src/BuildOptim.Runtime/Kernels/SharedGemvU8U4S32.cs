using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>acc[n] = bias[n] + Σ_k x[k] · table_n[idx(n, k)]</c> for n in [0, N): a u8 × s8 matrix-vector product whose
    /// weights are 4-bit indices into int8 codebooks, <c>idx(n, k) = (indices[n·⌈K/2⌉ + ⌊k/2⌋] &gt;&gt; 4·(k mod 2)) &amp; 15</c>,
    /// with <c>table_n</c> the row's own 16 entries (<c>codebooks</c> of 16·N) or one table for every row (<c>codebooks</c> of 16).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The layer is never expanded: each step decodes 32 weights of one row in registers with a 16-byte table lookup
    /// (<c>vpshufb</c>: exact), then multiplies as <see cref="GemvU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>
    /// does (both operands widened to 16 bits, exact products, pairs summed into int32). Integer sums are exact in any
    /// order, so every path, <see cref="SharedGemvU8U4S32Scalar"/>, and <c>GemvU8S8S32</c> on the weights
    /// <see cref="DecodeU4S8(ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, int, int, Span{sbyte})"/> yields agree bit for bit.
    /// </para>
    /// <para>
    /// A step works on even and odd columns apart: the low nibbles of 16 packed bytes are the indices of the 16 even
    /// columns, the high nibbles those of the odd ones, and the 16-bit lanes of 32 activation bytes split the same way
    /// (<c>lane &amp; 0xFF</c> even, <c>lane &gt;&gt; 8</c> odd), so no interleaving is needed. Dispatches AVX2 → Vector128 → scalar.
    /// </para>
    /// </remarks>
    public static void SharedGemvU8U4S32(ReadOnlySpan<byte> x, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, Span<int> acc)
        => SharedGemvU8U4S32(x, indices, codebooks, bias, acc, SimdLevel.Vector512);

    /// <summary><see cref="SharedGemvU8U4S32(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void SharedGemvU8U4S32(ReadOnlySpan<byte> x, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, Span<int> acc, SimdLevel maxLevel)
    {
        int k = x.Length;
        int n = acc.Length;
        int codebookStride = ValidateSharedU4(indices, codebooks, n, k);
        if (bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        bool avx2 = maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported;
        bool vector128 = maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated;
        int k32 = avx2 || vector128 ? k & ~31 : 0;
        int rowBytes = PackedU4RowLength(k);
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte ir = ref MemoryMarshal.GetReference(indices);
        ref byte cr = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(codebooks));
        for (int row = 0; row < n; row++)
        {
            ref byte rowIndices = ref Unsafe.Add(ref ir, row * rowBytes);
            ref byte table = ref Unsafe.Add(ref cr, row * codebookStride);
            int sum = k32 == 0 ? 0
                : avx2 ? SharedDotU8U4Avx2(ref xr, ref rowIndices, Vector128.LoadUnsafe(ref table), k32)
                : SharedDotU8U4Vector128(ref xr, ref rowIndices, Vector128.LoadUnsafe(ref table), k32);
            for (int i = k32; i < k; i++)
            {
                int index = (Unsafe.Add(ref rowIndices, i >> 1) >> ((i & 1) << 2)) & 15;
                sum += Unsafe.Add(ref xr, i) * (sbyte)Unsafe.Add(ref table, index);
            }

            acc[row] = bias[row] + sum;
        }
    }

    /// <summary>Scalar twin of <see cref="SharedGemvU8U4S32(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>: one lookup and multiply-add per weight, in order.</summary>
    public static void SharedGemvU8U4S32Scalar(ReadOnlySpan<byte> x, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        int codebookStride = ValidateSharedU4(indices, codebooks, n, k);
        if (bias.Length != n)
        {
            ThrowLengthMismatch();
        }

        int rowBytes = PackedU4RowLength(k);
        for (int row = 0; row < n; row++)
        {
            int sum = 0;
            for (int i = 0; i < k; i++)
            {
                int index = (indices[(row * rowBytes) + (i >> 1)] >> ((i & 1) << 2)) & 15;
                sum += x[i] * codebooks[(row * codebookStride) + index];
            }

            acc[row] = bias[row] + sum;
        }
    }

    /// <summary>Σ over the first <paramref name="k32"/> columns (a multiple of 32) of one row, 32 per step in one 256-bit lookup.</summary>
    private static int SharedDotU8U4Avx2(ref byte x, ref byte indices, Vector128<byte> codebook, int k32)
    {
        var table = Vector256.Create(codebook).AsSByte(); // vpshufb looks up within each 128-bit lane
        var nibble = Vector128.Create((byte)0x0F);
        var lowByte = Vector256.Create((short)0x00FF);
        var acc = Vector256<int>.Zero;
        for (int i = 0; i < k32; i += 32)
        {
            var xv = Vector256.LoadUnsafe(ref x, (nuint)i).AsInt16();
            var xEven = xv & lowByte;
            var xOdd = Avx2.ShiftRightLogical(xv, 8);
            var packed = Vector128.LoadUnsafe(ref indices, (nuint)(i >> 1));
            var even = packed & nibble;
            var odd = Vector128.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & nibble;
            var w = Avx2.Shuffle(table, Vector256.Create(even, odd).AsSByte());
            var wEven = Avx2.ConvertToVector256Int16(w.GetLower());
            var wOdd = Avx2.ConvertToVector256Int16(w.GetUpper());
            acc = Avx2.Add(acc, Avx2.Add(Avx2.MultiplyAddAdjacent(xEven, wEven), Avx2.MultiplyAddAdjacent(xOdd, wOdd)));
        }

        return Vector256.Sum(acc);
    }

    /// <summary><see cref="SharedDotU8U4Avx2"/> with 128-bit vectors (any platform with hardware Vector128).</summary>
    private static int SharedDotU8U4Vector128(ref byte x, ref byte indices, Vector128<byte> table, int k32)
    {
        var nibble = Vector128.Create((byte)0x0F);
        var lowByte = Vector128.Create((ushort)0x00FF);
        var acc = Vector128<int>.Zero;
        for (int i = 0; i < k32; i += 32)
        {
            var x0 = Vector128.LoadUnsafe(ref x, (nuint)i).AsUInt16();
            var x1 = Vector128.LoadUnsafe(ref x, (nuint)(i + 16)).AsUInt16();
            var packed = Vector128.LoadUnsafe(ref indices, (nuint)(i >> 1));
            var (wEven0, wEven1) = Vector128.Widen(Lookup16(table, packed & nibble).AsSByte());
            var (wOdd0, wOdd1) = Vector128.Widen(Lookup16(table, Vector128.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & nibble).AsSByte());
            acc += WidenedProductSum((x0 & lowByte).AsInt16(), wEven0) + WidenedProductSum((x1 & lowByte).AsInt16(), wEven1)
                + WidenedProductSum((x0 >> 8).AsInt16(), wOdd0) + WidenedProductSum((x1 >> 8).AsInt16(), wOdd1);
        }

        return Vector128.Sum(acc);
    }

    /// <summary>Exact 16-bit products (|255 · 128| &lt; 2^15) summed pairwise into int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> WidenedProductSum(Vector128<short> x, Vector128<short> w)
    {
        var (p0, p1) = Vector128.Widen(x * w);
        return p0 + p1;
    }
}
