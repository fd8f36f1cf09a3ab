using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>Largest length for which <see cref="DotU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte})"/> cannot overflow: ⌊(2^31 - 1) / (255 · 128)⌋.</summary>
    internal const int DotU8S8S32MaxExactLength = 65_793;

    /// <summary>
    /// <c>Σ_k x[k] · w[k]</c> over unsigned 8-bit activations and signed 8-bit weights, in int32.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Every path widens both operands to 16 bits before multiplying: |255 · -128| &lt; 2^15, so products are exact
    /// (no <c>vpmaddubsw</c>-style saturation of u8·s8 pair sums), and adjacent pairs are summed exactly into 32 bits.
    /// All paths then add in int32, i.e. modulo 2^32, so they agree bit for bit at any length, and equal the true sum
    /// for lengths up to <see cref="DotU8S8S32MaxExactLength"/>.
    /// </para>
    /// <para>
    /// Dispatches AVX-512BW → AVX2 → Vector128 → scalar; <see cref="DotU8S8S32Scalar"/> is the twin tests compare with.
    /// </para>
    /// </remarks>
    internal static int DotU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w) => DotU8S8S32(x, w, SimdLevel.Vector512);

    /// <summary><see cref="DotU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static int DotU8S8S32(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w, SimdLevel maxLevel)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        int length = x.Length;
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte wr = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(w));
        int i = 0;
        int sum = 0;

        if (maxLevel >= SimdLevel.Vector512 && Avx512BW.IsSupported && length >= 64)
        {
            var acc0 = Vector512<int>.Zero;
            var acc1 = Vector512<int>.Zero;
            for (; i <= length - 64; i += 64)
            {
                var xv = Vector512.LoadUnsafe(ref xr, (nuint)i);
                var wv = Vector512.LoadUnsafe(ref wr, (nuint)i).AsSByte();
                var x0 = Avx512BW.ConvertToVector512Int16(xv.GetLower());
                var x1 = Avx512BW.ConvertToVector512Int16(xv.GetUpper());
                var w0 = Avx512BW.ConvertToVector512Int16(wv.GetLower());
                var w1 = Avx512BW.ConvertToVector512Int16(wv.GetUpper());
                acc0 = Avx512F.Add(acc0, Avx512BW.MultiplyAddAdjacent(x0, w0));
                acc1 = Avx512F.Add(acc1, Avx512BW.MultiplyAddAdjacent(x1, w1));
            }

            sum += Vector512.Sum(Avx512F.Add(acc0, acc1));
        }

        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported && length - i >= 32)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= length - 32; i += 32)
            {
                var xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
                var wv = Vector256.LoadUnsafe(ref wr, (nuint)i).AsSByte();
                var x0 = Avx2.ConvertToVector256Int16(xv.GetLower());
                var x1 = Avx2.ConvertToVector256Int16(xv.GetUpper());
                var w0 = Avx2.ConvertToVector256Int16(wv.GetLower());
                var w1 = Avx2.ConvertToVector256Int16(wv.GetUpper());
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(x0, w0));
                acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(x1, w1));
            }

            sum += Vector256.Sum(Avx2.Add(acc0, acc1));
        }

        if (maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated && length - i >= 16)
        {
            var acc = Vector128<int>.Zero;
            for (; i <= length - 16; i += 16)
            {
                var xv = Vector128.LoadUnsafe(ref xr, (nuint)i);
                var wv = Vector128.LoadUnsafe(ref wr, (nuint)i).AsSByte();
                var (xLo, xHi) = Vector128.Widen(xv);
                var (wLo, wHi) = Vector128.Widen(wv);
                var (p0, p1) = Vector128.Widen(xLo.AsInt16() * wLo);
                var (p2, p3) = Vector128.Widen(xHi.AsInt16() * wHi);
                acc += (p0 + p1) + (p2 + p3);
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref xr, i) * (sbyte)Unsafe.Add(ref wr, i);
        }

        return sum;
    }

    /// <summary>Scalar twin of <see cref="DotU8S8S32(ReadOnlySpan{byte}, ReadOnlySpan{sbyte})"/>: one multiply-add per element, in order.</summary>
    internal static int DotU8S8S32Scalar(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w)
    {
        if (x.Length != w.Length)
        {
            ThrowLengthMismatch();
        }

        int sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * w[i];
        }

        return sum;
    }

    private static void ThrowLengthMismatch() => throw new ArgumentException("Operand lengths differ.");
}
