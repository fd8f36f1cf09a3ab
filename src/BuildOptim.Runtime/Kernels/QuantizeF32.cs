using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>q[i] = clamp(round_half_even(x[i] / scale) + zeroPoint, 0, 255)</c> (ONNX QuantizeLinear, uint8);
    /// NaN quantizes like 0, to <paramref name="zeroPoint"/>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Computed as <c>clamp(r, -zeroPoint, 255 - zeroPoint) + zeroPoint</c> with <c>r = round_half_even(x / scale)</c>
    /// (NaN → 0). The vector paths are bit-identical to <see cref="QuantizeF32ToU8Scalar"/>: IEEE division is correctly
    /// rounded in every lane as in scalar code, <c>Vector.Round</c> and <see cref="MathF.Round(float)"/> both round half
    /// to even, and once NaN is gone the clamp bounds and every clamped value are small integers, converted exactly.
    /// </para>
    /// <para>
    /// Dispatches AVX2 (32 at a time) → Vector256 → Vector128 → scalar. The AVX2 loop clamps before it rounds, with the
    /// rounding conversion <c>vcvtps2dq</c> (round half to even, .NET's MXCSR mode): the bounds are integers, so rounding the
    /// clamped value equals clamping the rounded one. Then two saturating packs and one lane permute store 32 codes.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zeroPoint"/> is not a uint8 value.</exception>
    internal static void QuantizeF32ToU8(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q)
        => QuantizeF32ToU8(x, scale, zeroPoint, q, SimdLevel.Vector512);

    /// <summary><see cref="QuantizeF32ToU8(ReadOnlySpan{float}, float, int, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void QuantizeF32ToU8(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q, SimdLevel maxLevel)
    {
        if (x.Length != q.Length)
        {
            ThrowLengthMismatch();
        }

        if ((uint)zeroPoint > byte.MaxValue)
        {
            ThrowZeroPointOutOfRange(zeroPoint);
        }

        int length = x.Length;
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref byte qr = ref MemoryMarshal.GetReference(q);
        int i = 0;

        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported && length >= 32)
        {
            i = QuantizeF32ToU8Avx2(ref xr, length, scale, zeroPoint, ref qr);
        }

        if (maxLevel >= SimdLevel.Vector256 && Vector256.IsHardwareAccelerated && length - i >= 8)
        {
            var scaleV = Vector256.Create(scale);
            var low = Vector256.Create((float)-zeroPoint);
            var high = Vector256.Create((float)(byte.MaxValue - zeroPoint));
            var zeroPointV = Vector256.Create(zeroPoint);
            for (; i <= length - 8; i += 8)
            {
                var r = Vector256.Round(Vector256.LoadUnsafe(ref xr, (nuint)i) / scaleV);
                r = Vector256.ConditionalSelect(Vector256.Equals(r, r), r, Vector256<float>.Zero);
                var v = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(r, low), high)) + zeroPointV;
                var words = Vector128.Narrow(v.GetLower(), v.GetUpper());
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref qr, i), Vector128.Narrow(words, words).AsUInt64().ToScalar());
            }
        }

        if (maxLevel >= SimdLevel.Vector128 && Vector128.IsHardwareAccelerated && length - i >= 4)
        {
            var scaleV = Vector128.Create(scale);
            var low = Vector128.Create((float)-zeroPoint);
            var high = Vector128.Create((float)(byte.MaxValue - zeroPoint));
            var zeroPointV = Vector128.Create(zeroPoint);
            for (; i <= length - 4; i += 4)
            {
                var r = Vector128.Round(Vector128.LoadUnsafe(ref xr, (nuint)i) / scaleV);
                r = Vector128.ConditionalSelect(Vector128.Equals(r, r), r, Vector128<float>.Zero);
                var v = Vector128.ConvertToInt32(Vector128.Min(Vector128.Max(r, low), high)) + zeroPointV;
                var words = Vector128.Narrow(v, v);
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref qr, i), Vector128.Narrow(words, words).AsUInt32().ToScalar());
            }
        }

        QuantizeF32ToU8Tail(x[i..], scale, zeroPoint, q[i..]);
    }

    /// <summary>Quantizes the first ⌊length / 32⌋ · 32 values (see the remarks above); returns how many.</summary>
    private static int QuantizeF32ToU8Avx2(ref float x, int length, float scale, int zeroPoint, ref byte q)
    {
        var scaleV = Vector256.Create(scale);
        var low = Vector256.Create((float)-zeroPoint);
        var high = Vector256.Create((float)(byte.MaxValue - zeroPoint));
        var zeroPointV = Vector256.Create(zeroPoint);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        int i = 0;
        for (; i <= length - 32; i += 32)
        {
            var a = CodesAvx2(Vector256.LoadUnsafe(ref x, (nuint)i), scaleV, low, high, zeroPointV);
            var b = CodesAvx2(Vector256.LoadUnsafe(ref x, (nuint)i + 8), scaleV, low, high, zeroPointV);
            var c = CodesAvx2(Vector256.LoadUnsafe(ref x, (nuint)i + 16), scaleV, low, high, zeroPointV);
            var d = CodesAvx2(Vector256.LoadUnsafe(ref x, (nuint)i + 24), scaleV, low, high, zeroPointV);

            // Per 128-bit lane the packs interleave the four vectors' quarters; the permute puts them back in order.
            var bytes = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(a, b), Avx2.PackSignedSaturate(c, d));
            Avx2.PermuteVar8x32(bytes.AsInt32(), order).AsByte().StoreUnsafe(ref q, (nuint)i);
        }

        return i;
    }

    /// <summary>Eight codes: NaN → 0 (the mask clears it), clamped to the codes' range, rounded half to even on conversion, plus the zero point.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> CodesAvx2(Vector256<float> x, Vector256<float> scale, Vector256<float> low, Vector256<float> high, Vector256<int> zeroPoint)
    {
        var r = Avx.Divide(x, scale);
        r = Avx.And(r, Avx.CompareEqual(r, r));
        return Avx2.Add(Avx.ConvertToVector256Int32(Avx.Min(Avx.Max(r, low), high)), zeroPoint);
    }

    /// <summary>Scalar twin of <see cref="QuantizeF32ToU8(ReadOnlySpan{float}, float, int, Span{byte})"/>.</summary>
    internal static void QuantizeF32ToU8Scalar(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q)
        => QuantizeF32ToU8(x, scale, zeroPoint, q, SimdLevel.Scalar);

    private static void QuantizeF32ToU8Tail(ReadOnlySpan<float> x, float scale, int zeroPoint, Span<byte> q)
    {
        float low = -zeroPoint;
        float high = byte.MaxValue - zeroPoint;
        for (int i = 0; i < x.Length; i++)
        {
            float r = MathF.Round(x[i] / scale);
            if (float.IsNaN(r))
            {
                r = 0;
            }

            q[i] = (byte)((int)Math.Clamp(r, low, high) + zeroPoint);
        }
    }

    /// <summary><c>x[i] = scale · (q[i] - zeroPoint)</c> (ONNX DequantizeLinear, uint8).</summary>
    internal static void DequantizeU8ToF32(ReadOnlySpan<byte> q, float scale, int zeroPoint, Span<float> x)
    {
        if (x.Length != q.Length)
        {
            ThrowLengthMismatch();
        }

        for (int i = 0; i < q.Length; i++)
        {
            x[i] = scale * (q[i] - zeroPoint);
        }
    }

    /// <summary><c>y[i] = table[x[i]]</c>: any u8 → u8 function precomputed at build time.</summary>
    internal static void LookupU8(ReadOnlySpan<byte> x, ReadOnlySpan<byte> table, Span<byte> y) => LookupU8(x, table, y, SimdLevel.Vector512);

    /// <summary><c>y[i] = table[x[i]]</c> at <paramref name="level"/> (in place is allowed).</summary>
    internal static void LookupU8(ReadOnlySpan<byte> x, ReadOnlySpan<byte> table, Span<byte> y, SimdLevel level)
    {
        if (x.Length != y.Length || table.Length != 256)
        {
            ThrowLengthMismatch();
        }

        int i = 0;
        if (level >= SimdLevel.Vector512 && Avx512Vbmi.IsSupported && x.Length >= 16)
        {
            i = LookupU8Vbmi(x, table, y);
        }
        else if (level >= SimdLevel.Vector256 && Avx2.IsSupported && x.Length >= 32)
        {
            i = LookupU8Avx2(x, table, y);
        }

        for (; i < x.Length; i++)
        {
            y[i] = table[x[i]];
        }
    }

    /// <summary>
    /// The AVX-512 VBMI lanes of <see cref="LookupU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, SimdLevel)"/>, 64 codes
    /// at a time: <c>vpermi2b</c> looks the low seven bits up in the table's first and in its second half, and the code's top
    /// bit picks one of the two. The last 1 to 63 codes go through a 64-byte copy. Returns x.Length.
    /// </summary>
    private static int LookupU8Vbmi(ReadOnlySpan<byte> x, ReadOnlySpan<byte> table, Span<byte> y)
    {
        ref byte t = ref MemoryMarshal.GetReference(table);
        var t0 = Vector512.LoadUnsafe(ref t);
        var t1 = Vector512.LoadUnsafe(ref t, 64);
        var t2 = Vector512.LoadUnsafe(ref t, 128);
        var t3 = Vector512.LoadUnsafe(ref t, 192);
        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte yr = ref MemoryMarshal.GetReference(y);
        int n = x.Length;
        int i = 0;
        for (; i <= n - 64; i += 64)
        {
            Lookup64(Vector512.LoadUnsafe(ref xr, (nuint)i), t0, t1, t2, t3).StoreUnsafe(ref yr, (nuint)i);
        }

        if (i < n)
        {
            Span<byte> tail = stackalloc byte[64];
            x[i..].CopyTo(tail);
            Lookup64(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(tail)), t0, t1, t2, t3).StoreUnsafe(ref MemoryMarshal.GetReference(tail));
            tail[..(n - i)].CopyTo(y[i..]);
        }

        return n;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<byte> Lookup64(Vector512<byte> codes, Vector512<byte> t0, Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3)
        {
            var low = Avx512Vbmi.PermuteVar64x8x2(t0, codes, t1);
            var high = Avx512Vbmi.PermuteVar64x8x2(t2, codes, t3);
            return Vector512.ConditionalSelect(Vector512.LessThan(codes.AsSByte(), Vector512<sbyte>.Zero).AsByte(), high, low);
        }
    }

    /// <summary>
    /// The AVX2 lanes of <see cref="LookupU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, SimdLevel)"/>, 32 codes at a
    /// time: the table is sixteen 16-byte rows; <c>vpshufb</c> looks each code's low nibble up in every row, and the row whose
    /// number equals the code's high nibble is blended in. Returns the number of codes done (a multiple of 32); the caller
    /// finishes the last 0 to 31 in scalar code.
    /// </summary>
    private static int LookupU8Avx2(ReadOnlySpan<byte> x, ReadOnlySpan<byte> table, Span<byte> y)
    {
        // Each row broadcast to both 128-bit lanes (vpshufb looks up within a lane), then the sixteen row numbers.
        Span<byte> rows = stackalloc byte[16 * 32 * 2];
        ref byte rr = ref MemoryMarshal.GetReference(rows);
        ref byte t = ref MemoryMarshal.GetReference(table);
        for (int k = 0; k < 16; k++)
        {
            Vector256.Create(Vector128.LoadUnsafe(ref t, (nuint)(16 * k))).StoreUnsafe(ref rr, (nuint)(32 * k));
            Vector256.Create((byte)k).StoreUnsafe(ref rr, (nuint)(512 + 32 * k));
        }

        ref byte xr = ref MemoryMarshal.GetReference(x);
        ref byte yr = ref MemoryMarshal.GetReference(y);
        var nibble = Vector256.Create((byte)0x0F);
        int n = x.Length;
        int i = 0;
        for (; i <= n - 32; i += 32)
        {
            var codes = Vector256.LoadUnsafe(ref xr, (nuint)i);
            var low = codes & nibble;
            var high = Avx2.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nibble;
            var result = Vector256<byte>.Zero;
            for (nuint k = 0; k < 16; k++)
            {
                var row = Avx2.Shuffle(Vector256.LoadUnsafe(ref rr, 32 * k), low);
                result = Avx2.BlendVariable(result, row, Avx2.CompareEqual(high, Vector256.LoadUnsafe(ref rr, 512 + (32 * k))));
            }

            result.StoreUnsafe(ref yr, (nuint)i);
        }

        return i;
    }

    private static void ThrowZeroPointOutOfRange(int zeroPoint)
        => throw new ArgumentOutOfRangeException(nameof(zeroPoint), zeroPoint, "A uint8 zero point must lie in [0, 255].");
}
