using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

public static partial class Kernels
{
    /// <summary>
    /// <c>y[n] = clamp(zeroPoint + ((acc[n] · multiplier[n] + 2^(shift[n]-1)) &gt;&gt; shift[n]), min, max)</c>,
    /// evaluated exactly in 64-bit integers: one rounding, half toward +∞ (see <see cref="FixedPoint.Requantize"/>).
    /// </summary>
    /// <remarks>
    /// Any int32 accumulator, multiplier and zero point are exact (|acc · multiplier| ≤ 2^62); shifts must lie in
    /// [1, <see cref="FixedPoint.MaxShift"/>] and <paramref name="min"/> ≤ <paramref name="max"/>.
    /// Dispatches AVX2 → scalar; <see cref="RequantizeS32ToU8Scalar"/> is the twin tests compare with.
    /// </remarks>
    internal static void RequantizeS32ToU8(ReadOnlySpan<int> acc, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y)
        => RequantizeS32ToU8(acc, multiplier, shift, zeroPoint, min, max, y, SimdLevel.Vector512);

    /// <summary><see cref="RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/> taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void RequantizeS32ToU8(ReadOnlySpan<int> acc, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y, SimdLevel maxLevel)
    {
        ValidateRequantization(acc.Length, multiplier, shift, min, max, y.Length);
        RequantizeS32ToU8Core(acc, multiplier, shift, zeroPoint, min, max, y, maxLevel);
    }

    /// <summary>
    /// <see cref="RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/> with
    /// its operands checked by the caller (equal lengths, shifts in range, <paramref name="min"/> ≤ <paramref name="max"/>):
    /// <see cref="PlanRunner"/> checks them once, when it loads the plan.
    /// </summary>
    internal static void RequantizeS32ToU8Core(ReadOnlySpan<int> acc, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y, SimdLevel maxLevel)
    {
        int n = acc.Length;
        int i = 0;
        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported && n >= 8)
        {
            i = RequantizeS32ToU8Avx2(acc, multiplier, shift, zeroPoint, min, max, y);
        }

        RequantizeS32ToU8Loop(acc[i..], multiplier[i..n], shift[i..n], zeroPoint, min, max, y[i..n]);
    }

    /// <summary>Scalar twin of <see cref="RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/>.</summary>
    internal static void RequantizeS32ToU8Scalar(ReadOnlySpan<int> acc, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y)
    {
        ValidateRequantization(acc.Length, multiplier, shift, min, max, y.Length);
        RequantizeS32ToU8Loop(acc, multiplier, shift, zeroPoint, min, max, y);
    }

    /// <summary>Equal lengths, every shift in [1, <see cref="FixedPoint.MaxShift"/>], and a clamp range that is not empty.</summary>
    private static void ValidateRequantization(int n, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, byte min, byte max, int outputLength)
    {
        if (multiplier.Length != n || shift.Length != n || outputLength != n)
        {
            ThrowLengthMismatch();
        }

        if (min > max)
        {
            ThrowEmptyClampRange();
        }

        foreach (int s in shift)
        {
            if ((uint)(s - 1) >= FixedPoint.MaxShift)
            {
                ThrowShiftOutOfRange();
            }
        }
    }

    /// <summary>The scalar formula, element by element (operands checked).</summary>
    private static void RequantizeS32ToU8Loop(ReadOnlySpan<int> acc, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            int s = shift[i];
            long q = zeroPoint + ((acc[i] * (long)multiplier[i] + (1L << (s - 1))) >> s);
            y[i] = (byte)Math.Clamp(q, min, max);
        }
    }

    /// <summary>
    /// The scalar formula on eight lanes, as two sets of four 64-bit lanes (even and odd int32 elements).
    /// Returns how many leading elements it wrote (a multiple of 8).
    /// </summary>
    /// <remarks>
    /// Bit-identical to the scalar twin: <c>vpmuldq</c> forms the exact signed 64-bit product of the low int32 of each
    /// 64-bit lane; the rounding term <c>1 &lt;&lt; (s - 1)</c> comes from <c>vpsllvq</c>; AVX2 lacks a 64-bit arithmetic
    /// shift, so <c>t &gt;&gt; s</c> is computed as <c>((t ^ m) &gt;&gt;&gt; s) ^ m</c> with <c>m = t &lt; 0 ? -1 : 0</c>
    /// (for negative t, <c>~t</c> is non-negative and <c>~(~t &gt;&gt;&gt; s) = t &gt;&gt; s</c>); zero point and clamp are
    /// 64-bit compares and blends, so the final values lie in [min, max] before narrowing.
    /// </remarks>
    private static int RequantizeS32ToU8Avx2(ReadOnlySpan<int> acc, ReadOnlySpan<int> multiplier, ReadOnlySpan<int> shift, int zeroPoint, byte min, byte max, Span<byte> y)
    {
        ref int accRef = ref MemoryMarshal.GetReference(acc);
        ref int multiplierRef = ref MemoryMarshal.GetReference(multiplier);
        ref int shiftRef = ref MemoryMarshal.GetReference(shift);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var zeroPointV = Vector256.Create((long)zeroPoint);
        var minV = Vector256.Create((long)min);
        var maxV = Vector256.Create((long)max);

        int n = acc.Length;
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            var a = Vector256.LoadUnsafe(ref accRef, (nuint)i);
            var m = Vector256.LoadUnsafe(ref multiplierRef, (nuint)i);
            var s = Vector256.LoadUnsafe(ref shiftRef, (nuint)i);

            var even = Avx2.Multiply(a, m);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), Avx2.ShiftRightLogical(m.AsInt64(), 32).AsInt32());
            var evenShift = (s.AsInt64() & Vector256.Create(0xFFFF_FFFFL)).AsUInt64();
            var oddShift = Avx2.ShiftRightLogical(s.AsInt64(), 32).AsUInt64();

            var qEven = ClampS64(RoundingShiftRightS64(even, evenShift) + zeroPointV, minV, maxV);
            var qOdd = ClampS64(RoundingShiftRightS64(odd, oddShift) + zeroPointV, minV, maxV);

            // Both are in [0, 255]: even results fill the low int32 of each 64-bit lane, odd ones the high int32.
            var q = (qEven | Avx2.ShiftLeftLogical(qOdd, 32)).AsInt32();
            var words = Vector128.Narrow(q.GetLower(), q.GetUpper());
            var bytes = Vector128.Narrow(words, words).AsByte();
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref yRef, i), bytes.AsUInt64().ToScalar());
        }

        return i;
    }

    /// <summary><c>(t + 2^(s-1)) &gt;&gt; s</c> per 64-bit lane, for s in [1, 62] and |t| ≤ 2^62.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> RoundingShiftRightS64(Vector256<long> t, Vector256<ulong> s)
    {
        t += Avx2.ShiftLeftLogicalVariable(Vector256<long>.One, s - Vector256<ulong>.One);
        var negative = Avx2.CompareGreaterThan(Vector256<long>.Zero, t);
        return Avx2.ShiftRightLogicalVariable(t ^ negative, s) ^ negative;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> ClampS64(Vector256<long> value, Vector256<long> min, Vector256<long> max)
    {
        value = Vector256.ConditionalSelect(Avx2.CompareGreaterThan(min, value), min, value);
        return Vector256.ConditionalSelect(Avx2.CompareGreaterThan(value, max), max, value);
    }

    /// <summary><c>y[n] = (float)acc[n] · scale[n]</c>: one IEEE multiply per element, identical on every machine.</summary>
    internal static void DequantizeS32ToF32(ReadOnlySpan<int> acc, ReadOnlySpan<float> scale, Span<float> y)
    {
        int n = acc.Length;
        if (scale.Length != n || y.Length != n)
        {
            ThrowLengthMismatch();
        }

        for (int i = 0; i < n; i++)
        {
            y[i] = acc[i] * scale[i];
        }
    }

    private static void ThrowEmptyClampRange() => throw new ArgumentException("The clamp range is empty (min > max).");

    private static void ThrowShiftOutOfRange()
        => throw new ArgumentOutOfRangeException("shift", $"Requantization shifts must lie in [1, {FixedPoint.MaxShift}].");
}
