using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

// Requantization of one output channel's row of accumulators (one multiplier and shift for the row), as the convolutions
// write their codes: the 64-bit formula of RequantizeS32ToU8, in AVX2 with a 32-bit fold for the shifts every convolution
// of the sample models has (see RowRequantizerAvx2).
public static partial class Kernels
{
    /// <summary>
    /// <c>y[i] = clamp(zeroPoint + ((acc[i] · multiplier + 2^(shift−1)) &gt;&gt; shift), min, max)</c> in 64-bit integers:
    /// <see cref="RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/>
    /// with one multiplier and shift for the whole row (one output channel).
    /// </summary>
    /// <remarks>The shift lies in [1, <see cref="FixedPoint.MaxShift"/>]: the convolutions check their shifts before any row.</remarks>
    internal static void RequantizeRowS32ToU8(ReadOnlySpan<int> acc, int multiplier, int shift, int zeroPoint, byte min, byte max, Span<byte> y, SimdLevel level)
    {
        int n = y.Length;
        acc = acc[..n];
        int i = 0;
        if (level >= SimdLevel.Vector256 && Avx2.IsSupported && n >= 8)
        {
            i = RequantizeRowS32ToU8Avx2(acc, multiplier, shift, zeroPoint, min, max, y);
        }

        long rounding = 1L << (shift - 1);
        for (; i < n; i++)
        {
            long q = zeroPoint + (((acc[i] * (long)multiplier) + rounding) >> shift);
            y[i] = (byte)Math.Clamp(q, min, max);
        }
    }

    /// <summary>The AVX2 lanes of <see cref="RequantizeRowS32ToU8"/>, 8 at a time (<see cref="RowRequantizerAvx2"/>); returns n (it needs n ≥ 8).</summary>
    private static int RequantizeRowS32ToU8Avx2(ReadOnlySpan<int> acc, int multiplier, int shift, int zeroPoint, byte min, byte max, Span<byte> y)
    {
        int n = y.Length;
        RequantizeRunAvx2(new RowRequantizerAvx2(multiplier, shift, zeroPoint, min, max), ref MemoryMarshal.GetReference(acc[..n]), ref MemoryMarshal.GetReference(y), n);
        return n;
    }

    /// <summary>
    /// <c>y[i]</c> = the code of <c>acc[i]</c> for i &lt; n (n ≥ 8, both in bounds: the caller checks), 16 at a time when the
    /// requantizer folds (else 8); the last vector overlaps the one before it rather than leave a scalar tail (each output depends on its own input only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequantizeRunAvx2(in RowRequantizerAvx2 requantizer, ref int acc, ref byte y, int n)
    {
        if (requantizer.Folds && n >= 16)
        {
            int i = 0;
            for (; i <= n - 16; i += 16)
            {
                requantizer.Apply16(Vector256.LoadUnsafe(ref acc, (nuint)i), Vector256.LoadUnsafe(ref acc, (nuint)i + 8)).StoreUnsafe(ref y, (nuint)i);
            }

            // The last 1 to 15: one overlapping vector of 8 or of 16 (49 = 3 · 16 + 1 recomputes 7, not 15).
            if (i < n - 8)
            {
                requantizer.Apply16(Vector256.LoadUnsafe(ref acc, (nuint)(n - 16)), Vector256.LoadUnsafe(ref acc, (nuint)(n - 8))).StoreUnsafe(ref y, (nuint)(n - 16));
            }
            else if (i < n)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref y, n - 8), requantizer.Apply(Vector256.LoadUnsafe(ref acc, (nuint)(n - 8))));
            }

            return;
        }

        for (int i = 0; ; i = Math.Min(i + 8, n - 8))
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref y, i), requantizer.Apply(Vector256.LoadUnsafe(ref acc, (nuint)i)));
            if (i + 8 >= n)
            {
                return;
            }
        }
    }

    /// <summary>
    /// <c>y[i]</c> = the code of <c>acc[i]</c> for i &lt; n (n ≥ 16, both in bounds: the caller checks), 16 at a time in 512-bit
    /// lanes, the last vector overlapping the one before it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequantizeRunAvx512(in RowRequantizerAvx512 requantizer, ref int acc, ref byte y, int n)
    {
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            requantizer.Apply(Vector512.LoadUnsafe(ref acc, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }

        if (i < n)
        {
            requantizer.Apply(Vector512.LoadUnsafe(ref acc, (nuint)(n - 16))).StoreUnsafe(ref y, (nuint)(n - 16));
        }
    }

    /// <summary>
    /// <see cref="RequantizeRunAvx512(in RowRequantizerAvx512, ref int, ref byte, int)"/> with the requantizer's vectors given
    /// one by one (a row block broadcasts the clamp once and only the multiplier and offset per row; see
    /// <see cref="RowRequantizerAvx512.TryFold"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RequantizeRunAvx512(Vector512<int> multiplier, Vector512<int> offset, Vector128<int> highShift, Vector512<int> min, Vector512<int> max, ref int acc, ref byte y, int n)
    {
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            RowRequantizerAvx512.ApplyFolded(Vector512.LoadUnsafe(ref acc, (nuint)i), multiplier, offset, highShift, min, max).StoreUnsafe(ref y, (nuint)i);
        }

        if (i < n)
        {
            RowRequantizerAvx512.ApplyFolded(Vector512.LoadUnsafe(ref acc, (nuint)(n - 16)), multiplier, offset, highShift, min, max).StoreUnsafe(ref y, (nuint)(n - 16));
        }
    }

    /// <summary>
    /// The folded form of <see cref="RowRequantizerAvx2"/> (shift ≥ 33, <c>|c| &lt; 2^30</c>) in 512-bit lanes, sixteen codes
    /// per call: <c>vpmuldq</c> of the even and of the odd lanes, their high halves merged by one bitwise select,
    /// <c>q = (hi(acc · m) + c) &gt;&gt; (s − 32)</c>, clamped to [min, max] in int32 and narrowed with <c>vpmovdb</c> (the
    /// clamped values are codes, so the truncation keeps them). The same integers as the AVX2 and the 64-bit forms.
    /// </summary>
    private readonly struct RowRequantizerAvx512
    {
        private readonly Vector512<int> _multiplier;
        private readonly Vector512<int> _offset;
        private readonly Vector128<int> _highShift;
        private readonly Vector512<int> _min;
        private readonly Vector512<int> _max;

        private RowRequantizerAvx512(int multiplier, int offset, int shift, byte min, byte max)
        {
            _multiplier = Vector512.Create(multiplier);
            _offset = Vector512.Create(offset);
            _highShift = Vector128.CreateScalar(shift - 32);
            _min = Vector512.Create((int)min);
            _max = Vector512.Create((int)max);
        }

        /// <summary>The requantizer of one row, or false when its shift and zero point do not fold (<see cref="RowRequantizerAvx2"/>).</summary>
        public static bool TryCreate(int multiplier, int shift, int zeroPoint, byte min, byte max, out RowRequantizerAvx512 requantizer)
        {
            if (!TryFold(shift, zeroPoint, out int offset))
            {
                requantizer = default;
                return false;
            }

            requantizer = new RowRequantizerAvx512(multiplier, offset, shift, min, max);
            return true;
        }

        /// <summary>The constant <c>c = 2^(s−33) + zy · 2^(s−32)</c> of the folded form, or false when it does not fold (see <see cref="RowRequantizerAvx2"/>).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool TryFold(int shift, int zeroPoint, out int offset)
        {
            long folded = shift >= 33 && Math.Abs((long)zeroPoint) <= 1 << 30 ? (1L << (shift - 33)) + ((long)zeroPoint << (shift - 32)) : long.MaxValue;
            offset = (int)folded;
            return Math.Abs(folded) < 1 << 30;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> Apply(Vector512<int> a) => ApplyFolded(a, _multiplier, _offset, _highShift, _min, _max);

        /// <summary>The sixteen codes of <paramref name="a"/> under the folded form's vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> ApplyFolded(Vector512<int> a, Vector512<int> multiplier, Vector512<int> offset, Vector128<int> highShift, Vector512<int> min, Vector512<int> max)
        {
            var even = Avx512F.Multiply(a, multiplier);
            var odd = Avx512F.Multiply(Avx512F.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), multiplier);
            var high = Vector512.ConditionalSelect(Vector512.Create(0xFFFF_FFFF_0000_0000UL).AsInt32(), odd.AsInt32(), Avx512F.ShiftRightLogical(even, 32).AsInt32());
            var q = Avx512F.ShiftRightArithmetic(high + offset, highShift);
            return Avx512F.ConvertToVector128Byte(Avx512F.Min(Avx512F.Max(q, min), max));
        }
    }

    /// <summary>
    /// Eight int32 lanes as codes clamped to [<paramref name="min"/>, <paramref name="max"/>], the bytes of a ulong (lane 0
    /// lowest): the saturating packs clamp to [0, 255], then a byte max and min, the same as clamping the int32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PackClampU8(Vector256<int> q, Vector128<byte> min, Vector128<byte> max)
    {
        var words = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
        var codes = Sse2.PackUnsignedSaturate(words, words);
        return Sse2.Min(Sse2.Max(codes, min), max).AsUInt64().ToScalar();
    }

    /// <summary><see cref="PackClampU8(Vector256{int}, Vector128{byte}, Vector128{byte})"/> for sixteen lanes, <paramref name="low"/>'s first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> PackClampU8(Vector256<int> low, Vector256<int> high, Vector128<byte> min, Vector128<byte> max)
    {
        // vpackssdw packs within 128-bit lanes (low0..3 high0..3 | low4..7 high4..7); vpermq puts low's words first.
        var words = Avx2.Permute4x64(Avx2.PackSignedSaturate(low, high).AsInt64(), 0b11_01_10_00).AsInt16();
        var codes = Sse2.PackUnsignedSaturate(words.GetLower(), words.GetUpper());
        return Sse2.Min(Sse2.Max(codes, min), max);
    }

    /// <summary>
    /// <see cref="RequantizeRowS32ToU8"/> for eight (or sixteen) accumulators of one channel, in AVX2. For shifts of 32 or more
    /// (with |zeroPoint| ≤ 2^30) it works in 32-bit lanes after one 64-bit product:
    /// <c>⌊(acc · m + 2^(s−1)) / 2^s⌋ = ⌊⌊(acc · m + 2^(s−1)) / 2^32⌋ / 2^(s−32)⌋</c> (nested floors of divisions by positive
    /// integers), the inner one being the high int32 of the 64-bit sum and the outer one <c>vpsrad</c>. Exact:
    /// |acc · m + 2^(s−1)| &lt; 2^63 and the high half is below 2^30 in magnitude, so the sum and clamp stay in int32.
    /// <para>
    /// For s ≥ 33 (every convolution of the sample models) the rounding term 2^(s−1) is a multiple of 2^32, so it passes
    /// through the inner floor whole: the high int32 of acc · m alone, plus 2^(s−33). The zero point joins it as
    /// zy · 2^(s−32), a multiple of the outer divisor, so one constant <c>c = 2^(s−33) + zy · 2^(s−32)</c> (when
    /// |c| &lt; 2^30) replaces the two 64-bit rounding adds and the zero-point add: <c>q = (hi(acc · m) + c) &gt;&gt; (s − 32)</c>.
    /// The saturating packs then clamp to [0, 255] and a byte max and min to [min, max]: the same as clamping the int32.
    /// </para>
    /// Other shifts take the 64-bit lanes of <see cref="RequantizeS32ToU8Avx2"/>.
    /// </summary>
    private readonly struct RowRequantizerAvx2
    {
        private readonly bool _high;
        private readonly bool _folded;
        private readonly Vector256<int> _multiplier;
        private readonly Vector256<long> _rounding;
        private readonly Vector256<int> _offset;
        private readonly Vector128<int> _highShift;
        private readonly Vector256<ulong> _shift;
        private readonly Vector256<int> _zeroPoint;
        private readonly Vector256<int> _min;
        private readonly Vector256<int> _max;
        private readonly Vector128<byte> _minCode;
        private readonly Vector128<byte> _maxCode;
        private readonly Vector256<long> _zeroPoint64;
        private readonly Vector256<long> _min64;
        private readonly Vector256<long> _max64;

        public RowRequantizerAvx2(int multiplier, int shift, int zeroPoint, byte min, byte max)
        {
            _high = shift >= 32 && Math.Abs((long)zeroPoint) <= 1 << 30;
            long offset = _high && shift >= 33 ? (1L << (shift - 33)) + ((long)zeroPoint << (shift - 32)) : long.MaxValue;
            _folded = Math.Abs(offset) < 1 << 30;
            _multiplier = Vector256.Create(multiplier);
            _rounding = Vector256.Create(1L << (shift - 1));
            _offset = Vector256.Create(_folded ? (int)offset : 0);
            _highShift = Vector128.CreateScalar(shift - 32);
            _shift = Vector256.Create((ulong)shift);
            _zeroPoint = Vector256.Create(zeroPoint);
            _min = Vector256.Create((int)min);
            _max = Vector256.Create((int)max);
            _minCode = Vector128.Create(min);
            _maxCode = Vector128.Create(max);
            _zeroPoint64 = Vector256.Create((long)zeroPoint);
            _min64 = Vector256.Create((long)min);
            _max64 = Vector256.Create((long)max);
        }

        /// <summary>Whether <see cref="Apply16"/> may be used: the folded form (see the struct's summary).</summary>
        public bool Folds => _folded;

        /// <summary>The eight codes of <paramref name="a"/>, as the bytes of a ulong (lane 0 lowest).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Apply(Vector256<int> a)
        {
            if (_folded)
            {
                return PackClampU8(Folded(a), _minCode, _maxCode);
            }

            var even = Avx2.Multiply(a, _multiplier);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), _multiplier);
            if (_high)
            {
                even += _rounding;
                odd += _rounding;
                var high = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b1010_1010);
                var q = Avx2.ShiftRightArithmetic(high, _highShift) + _zeroPoint;
                q = Avx2.Min(Avx2.Max(q, _min), _max);
                var words = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
                return Sse2.PackUnsignedSaturate(words, words).AsUInt64().ToScalar();
            }

            var qEven = ClampS64(RoundingShiftRightS64(even, _shift) + _zeroPoint64, _min64, _max64);
            var qOdd = ClampS64(RoundingShiftRightS64(odd, _shift) + _zeroPoint64, _min64, _max64);
            var both = (qEven | Avx2.ShiftLeftLogical(qOdd, 32)).AsInt32();
            var narrow = Vector128.Narrow(both.GetLower(), both.GetUpper());
            return Vector128.Narrow(narrow, narrow).AsByte().AsUInt64().ToScalar();
        }

        /// <summary>The sixteen codes of <paramref name="a"/> then <paramref name="b"/>; needs <see cref="Folds"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<byte> Apply16(Vector256<int> a, Vector256<int> b) => PackClampU8(Folded(a), Folded(b), _minCode, _maxCode);

        /// <summary><c>(hi(a · m) + c) &gt;&gt; (s − 32)</c>: the code before its clamp, in int32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vector256<int> Folded(Vector256<int> a)
        {
            var even = Avx2.Multiply(a, _multiplier);
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsInt64(), 32).AsInt32(), _multiplier);
            var high = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b1010_1010);
            return Avx2.ShiftRightArithmetic(high + _offset, _highShift);
        }
    }
}
