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
    internal static void SharedGemvU8U4S32(ReadOnlySpan<byte> x, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, Span<int> acc)
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

        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported && k >= 16 && k <= MaxWidenedLength)
        {
            SharedGemvU8U4S32Avx2(x, indices, codebooks, codebookStride, bias, acc);
            return;
        }

        int k32 = maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated ? k & ~31 : 0;
        int rowBytes = PackedU4RowLength(k);
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte ir = ref MemoryMarshal.GetReference(indices);
        ref byte cr = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(codebooks));
        for (int row = 0; row < n; row++)
        {
            ref byte rowIndices = ref Unsafe.Add(ref ir, row * rowBytes);
            ref byte table = ref Unsafe.Add(ref cr, row * codebookStride);
            int sum = k32 == 0 ? 0 : SharedDotU8U4Vector128(ref xr, ref rowIndices, Vector128.LoadUnsafe(ref table), k32);
            acc[row] = bias[row] + sum + SharedDotU8U4Scalar(ref xr, ref rowIndices, ref table, k32, k);
        }
    }

    /// <summary>Scalar twin of <see cref="SharedGemvU8U4S32(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{sbyte}, ReadOnlySpan{int}, Span{int})"/>: one lookup and multiply-add per weight, in order.</summary>
    internal static void SharedGemvU8U4S32Scalar(ReadOnlySpan<byte> x, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, ReadOnlySpan<int> bias, Span<int> acc)
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

    /// <summary>
    /// AVX2 GEMV. x is widened to int16 once, split by column parity (per 32 columns: the 16 even ones, then the 16 odd
    /// ones; a last block of 16 columns: 8 and 8). Per row, <c>vpmovzxbw</c> widens 16 packed bytes to 16-bit lanes
    /// <c>(b, 0)</c>; <c>b &amp; 15</c> and <c>b &gt;&gt; 4</c> are the even and odd columns' indices, and one <c>vpshufb</c> each
    /// turns them into 16-bit weights: the low byte looks up the index, the high byte entry 0.
    /// </summary>
    /// <remarks>
    /// The table is biased to unsigned, <c>u = w + 128</c>, so a lane holds <c>u[idx] + 256 · u[0]</c>, read as int16:
    /// <c>w[idx] + c</c> with the row constant <c>c = 128 + 256 · u[0] − 65536 · [u[0] ≥ 128]</c>. <c>vpmaddwd</c> multiplies
    /// exactly (|255 · 32768| &lt; 2^23) and <c>Σ x · w = Σ x · lane − c · Σ x</c>, evaluated modulo 2^32 like every
    /// other path: the result is bit-identical to <see cref="SharedGemvU8U4S32Scalar"/>.
    /// </remarks>
    private static void SharedGemvU8U4S32Avx2(ReadOnlySpan<byte> x, ReadOnlySpan<byte> indices, ReadOnlySpan<sbyte> codebooks, int codebookStride, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length;
        int n = acc.Length;
        int k32 = k & ~31;
        int k16 = k & ~15;
        int rowBytes = PackedU4RowLength(k);
        Span<short> wide = stackalloc short[k16];
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref short xw = ref MemoryMarshal.GetReference(wide);
        for (int i = 0; i < k32; i += 32)
        {
            var v = Vector256.LoadUnsafe(ref xr, (nuint)i).AsInt16();
            (v & Vector256.Create((short)0x00FF)).StoreUnsafe(ref xw, (nuint)i);
            Avx2.ShiftRightLogical(v, 8).StoreUnsafe(ref xw, (nuint)(i + 16));
        }

        if (k16 > k32)
        {
            var v = Vector128.LoadUnsafe(ref xr, (nuint)k32).AsInt16();
            (v & Vector128.Create((short)0x00FF)).StoreUnsafe(ref xw, (nuint)k32);
            Sse2.ShiftRightLogical(v, 8).StoreUnsafe(ref xw, (nuint)(k32 + 8));
        }

        int sumX = 0;
        for (int i = 0; i < k16; i++)
        {
            sumX += Unsafe.Add(ref xr, i);
        }

        ref byte ir = ref MemoryMarshal.GetReference(indices);
        ref byte cr = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(codebooks));
        var nibble = Vector256.Create((short)0x000F);
        for (int row = 0; row < n; row++)
        {
            ref byte rowIndices = ref Unsafe.Add(ref ir, row * rowBytes);
            ref byte codebook = ref Unsafe.Add(ref cr, row * codebookStride);
            var biased = Vector128.LoadUnsafe(ref codebook) ^ Vector128.Create((byte)0x80);
            var table = Vector256.Create(biased); // vpshufb looks up within each 128-bit lane
            var a = Vector256<int>.Zero;
            for (int i = 0; i < k32; i += 32)
            {
                var lanes = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref rowIndices, (nuint)(i >> 1)));
                var even = Avx2.Shuffle(table, (lanes & nibble).AsByte()).AsInt16();
                var odd = Avx2.Shuffle(table, Avx2.ShiftRightLogical(lanes, 4).AsByte()).AsInt16();
                a = Avx2.Add(a, Avx2.Add(
                    Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref xw, (nuint)i), even),
                    Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref xw, (nuint)(i + 16)), odd)));
            }

            int sum = Vector256.Sum(a);
            if (k16 > k32)
            {
                var packed = Vector128.CreateScalar(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref rowIndices, k32 >> 1))).AsByte();
                var lanes = Sse41.ConvertToVector128Int16(packed);
                var even = Ssse3.Shuffle(biased, (lanes & nibble.GetLower()).AsByte()).AsInt16();
                var odd = Ssse3.Shuffle(biased, Sse2.ShiftRightLogical(lanes, 4).AsByte()).AsInt16();
                sum += Vector128.Sum(Sse2.Add(
                    Sse2.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref xw, (nuint)k32), even),
                    Sse2.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref xw, (nuint)(k32 + 8)), odd)));
            }

            int u0 = biased.ToScalar();
            int c = 128 + (256 * u0) - (u0 >= 128 ? 65536 : 0);
            sum -= c * sumX; // int32 arithmetic wraps: exact modulo 2^32, like the sums above
            acc[row] = bias[row] + sum + SharedDotU8U4Scalar(ref xr, ref rowIndices, ref codebook, k16, k);
        }
    }

    /// <summary>Σ over columns [<paramref name="from"/>, <paramref name="to"/>) of one row, one lookup per weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SharedDotU8U4Scalar(ref byte x, ref byte indices, ref byte codebook, int from, int to)
    {
        int sum = 0;
        for (int i = from; i < to; i++)
        {
            int index = (Unsafe.Add(ref indices, i >> 1) >> ((i & 1) << 2)) & 15;
            sum += Unsafe.Add(ref x, i) * (sbyte)Unsafe.Add(ref codebook, index);
        }

        return sum;
    }

    /// <summary>
    /// Σ over the first <paramref name="k32"/> columns (a multiple of 32) of one row with 128-bit vectors (any platform):
    /// the low nibbles of 16 packed bytes index the 16 even columns, the high nibbles the odd ones, and the 16-bit lanes
    /// of 32 activation bytes split the same way (<c>lane &amp; 0xFF</c> even, <c>lane &gt;&gt; 8</c> odd).
    /// </summary>
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
