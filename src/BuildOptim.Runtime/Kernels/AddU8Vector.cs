using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// A quantized Add (or Sub) of <see cref="Kernels.AddU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, in AddU8Coefficients, Span{byte})"/>:
/// <c>y = clamp(⌊(qa · MultiplierA + qb · MultiplierB + Offset) / 2^Shift⌋, ClampMin, ClampMax)</c>, from
/// <see cref="Kernels.AddU8Coefficients"/>. The zero points, the output's rounding and a Sub's sign are folded into the
/// multipliers and the offset.
/// </summary>
internal readonly record struct AddU8Coefficients(int MultiplierA, int MultiplierB, int Offset, int Shift, byte ClampMin, byte ClampMax)
{
    /// <summary>
    /// Whether these parameters are valid: a shift in [0, 30], a clamp range that is not empty, and sums that stay in int32
    /// for every pair of codes (<see cref="Kernels.AddU8Coefficients"/> always gives such parameters).
    /// </summary>
    public bool IsValid
    {
        get
        {
            long low = Offset + (255L * Math.Min(MultiplierA, 0)) + (255L * Math.Min(MultiplierB, 0));
            long high = Offset + (255L * Math.Max(MultiplierA, 0)) + (255L * Math.Max(MultiplierB, 0));
            return (uint)Shift <= 30 && ClampMin <= ClampMax && low >= int.MinValue && high <= int.MaxValue;
        }
    }
}

// The elementwise quantized Add, one rounding (see AddU8Coefficients): y = clamp((qa·Ma + qb·Mb + C) >> S). Every sum stays
// in int32 (AddU8Coefficients.IsValid), so the AVX2 lanes (vpmulld, vpaddd, vpsrad, saturating packs) equal the scalar
// formula bit for bit.
public static partial class Kernels
{
    /// <summary>The largest <see cref="AddU8Coefficients.Shift"/> <see cref="AddU8Coefficients"/> tries: 2^−24 of a code per unit of the multipliers.</summary>
    private const int AddU8MaxShift = 24;

    /// <summary>
    /// The parameters of a quantized Add (or Sub when <paramref name="negateB"/>) of inputs with scales Sa, Sb and zero points
    /// za, zb into an output with scale Sy and zero point zy: <c>y = clamp(zy + round(ra·(qa − za) ± rb·(qb − zb)))</c> with
    /// <c>ra = Sa / Sy</c>, <c>rb = Sb / Sy</c>, computed in integers as
    /// <c>⌊(Ma·(qa − za) ± Mb·(qb − zb) + 2^(S−1)) / 2^S⌋ + zy</c>, <c>Ma = round(ra·2^S)</c>, <c>Mb = round(rb·2^S)</c>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// S is the largest shift up to 24 for which <c>qa·Ma ± qb·Mb + C</c> stays in int32 for every pair of codes, with
    /// <c>C = zy·2^S + 2^(S−1) − Ma·za ∓ Mb·zb</c>: about 21 for ra ≈ rb ≈ 1 (a residual block). Rounding Ma and Mb moves the
    /// sum before the output's rounding by at most <c>255 / 2^S</c> of a code (1.2·10^−4 at S = 21), so the code is the real
    /// sum rounded (half up) except within that distance of a half.
    /// </para>
    /// <para>
    /// Outputs whose scale is so much finer than an input's that even S = 0 overflows (ra + rb above about 2^22: every
    /// input step then moves the output millions of codes) have both multipliers scaled down by the same factor until the
    /// sums fit: the sign and zero of the sum are kept, and any other sum saturates as it would.
    /// </para>
    /// </remarks>
    internal static AddU8Coefficients AddU8Coefficients(double scaleA, int zeroPointA, double scaleB, int zeroPointB, double scaleOut, int zeroPointOut, bool negateB, byte clampMin, byte clampMax)
    {
        if (!(scaleA > 0) || !(scaleB > 0) || !(scaleOut > 0) || !double.IsFinite(scaleA) || !double.IsFinite(scaleB) || !double.IsFinite(scaleOut))
        {
            throw new ArgumentOutOfRangeException(nameof(scaleA), "Scales must be positive and finite.");
        }

        ValidateZeroPoint(zeroPointA);
        ValidateZeroPoint(zeroPointB);
        ValidateZeroPoint(zeroPointOut);
        if (clampMin > clampMax)
        {
            ThrowEmptyClampRange();
        }

        double ra = scaleA / scaleOut;
        double rb = (negateB ? -scaleB : scaleB) / scaleOut;
        for (int shift = AddU8MaxShift; shift >= 0; shift--)
        {
            if (TryAddU8Coefficients(ra, rb, shift, zeroPointA, zeroPointB, zeroPointOut, clampMin, clampMax, out var p))
            {
                return p;
            }
        }

        // Degenerate output scale: shrink both ratios alike until S = 0 fits.
        double factor = 1;
        AddU8Coefficients capped;
        do
        {
            factor /= 2;
        }
        while (!TryAddU8Coefficients(ra * factor, rb * factor, 0, zeroPointA, zeroPointB, zeroPointOut, clampMin, clampMax, out capped));

        return capped;
    }

    private static bool TryAddU8Coefficients(double ra, double rb, int shift, int za, int zb, int zy, byte clampMin, byte clampMax, out AddU8Coefficients p)
    {
        p = default;
        double ma = Math.Round(Math.ScaleB(ra, shift), MidpointRounding.AwayFromZero);
        double mb = Math.Round(Math.ScaleB(rb, shift), MidpointRounding.AwayFromZero);
        if (Math.Abs(ma) > int.MaxValue / 255 || Math.Abs(mb) > int.MaxValue / 255)
        {
            return false;
        }

        long offset = ((long)zy << shift) + (shift > 0 ? 1L << (shift - 1) : 0) - ((long)ma * za) - ((long)mb * zb);
        if (offset < int.MinValue || offset > int.MaxValue)
        {
            return false;
        }

        p = new AddU8Coefficients((int)ma, (int)mb, (int)offset, shift, clampMin, clampMax);
        return p.IsValid;
    }

    /// <summary>
    /// Quantized Add of two inputs of the same length, no broadcasting: <c>y[i]</c> is the code of <c>a[i]</c> and <c>b[i]</c>
    /// under <paramref name="p"/> (<see cref="AddU8Coefficients"/>), sixteen at a time in AVX2. In place is allowed (y may be a or b).
    /// </summary>
    internal static void AddU8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Coefficients p, Span<byte> y)
        => AddU8(a, b, p, y, SimdLevel.Vector512);

    /// <summary>The elementwise Add taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void AddU8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Coefficients p, Span<byte> y, SimdLevel maxLevel)
    {
        if (a.Length != y.Length || b.Length != y.Length)
        {
            ThrowShape($"An elementwise Add got inputs of {a.Length} and {b.Length} codes and {y.Length} outputs.");
        }

        ValidateAdd(p);
        AddU8Core(a, b, p, y, maxLevel);
    }

    /// <summary>The elementwise Add with its operands checked by the caller: <see cref="PlanRunner"/> checks them once, when it loads the plan (a, b and y of one length, <see cref="AddU8Coefficients.IsValid"/>).</summary>
    internal static void AddU8Core(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Coefficients p, Span<byte> y, SimdLevel maxLevel)
    {
        int n = y.Length;
        int i = 0;
        if (maxLevel >= SimdLevel.Vector512 && Avx512BW.IsSupported && n >= 16)
        {
            i = AddU8Avx512(a, b, p, y);
        }

        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported && n - i >= 8)
        {
            i = AddU8Avx2(a, b, p, y, i);
        }

        for (; i < n; i++)
        {
            y[i] = AddU8Code(a[i], b[i], p);
        }
    }

    /// <summary>The scalar formula for one pair of codes (int32 throughout: <see cref="AddU8Coefficients.IsValid"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte AddU8Code(byte qa, byte qb, in AddU8Coefficients p)
        => (byte)Math.Clamp(((qa * p.MultiplierA) + (qb * p.MultiplierB) + p.Offset) >> p.Shift, p.ClampMin, p.ClampMax);

    private static void ValidateAdd(in AddU8Coefficients p)
    {
        if (!p.IsValid)
        {
            throw new ArgumentOutOfRangeException(nameof(p), $"{p}: the shift must lie in [0, 30], the clamp range not be empty, and every sum fit int32 (see AddU8Coefficients).");
        }
    }

    /// <summary>
    /// The AVX2 lanes: whole vectors of 16, then of 8, only (a tail recomputed over outputs already written would be wrong in
    /// place); returns how many it wrote.
    /// </summary>
    private static int AddU8Avx2(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Coefficients p, Span<byte> y, int start)
    {
        ref byte aRef = ref MemoryMarshal.GetReference(a);
        ref byte bRef = ref MemoryMarshal.GetReference(b);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var ma = Vector256.Create(p.MultiplierA);
        var mb = Vector256.Create(p.MultiplierB);
        var offset = Vector256.Create(p.Offset);
        var shift = Vector128.CreateScalar(p.Shift);
        var min = Vector128.Create(p.ClampMin);
        var max = Vector128.Create(p.ClampMax);
        int n = y.Length;
        int i = start;
        for (; i <= n - 16; i += 16)
        {
            var low = Sum(ref Unsafe.Add(ref aRef, i), ref Unsafe.Add(ref bRef, i), ma, mb, offset, shift);
            var high = Sum(ref Unsafe.Add(ref aRef, i + 8), ref Unsafe.Add(ref bRef, i + 8), ma, mb, offset, shift);
            PackClampU8(low, high, min, max).StoreUnsafe(ref yRef, (nuint)i);
        }

        for (; i <= n - 8; i += 8)
        {
            var sum = Sum(ref Unsafe.Add(ref aRef, i), ref Unsafe.Add(ref bRef, i), ma, mb, offset, shift);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref yRef, i), PackClampU8(sum, min, max));
        }

        return i;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector256<int> Sum(ref byte qa, ref byte qb, Vector256<int> ma, Vector256<int> mb, Vector256<int> offset, Vector128<int> shift)
        {
            var va = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref qa)).AsByte());
            var vb = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref qb)).AsByte());
            return Avx2.ShiftRightArithmetic(Avx2.MultiplyLow(va, ma) + Avx2.MultiplyLow(vb, mb) + offset, shift);
        }
    }

    /// <summary>
    /// The AVX-512 lanes: whole vectors of 16 codes (<c>vpmovzxbd</c> to int32, two <c>vpmulld</c>, the shift, the clamp in
    /// int32 and <c>vpmovdb</c>: the clamped sums are codes, so the narrowing keeps them), the same integers as the AVX2 and
    /// scalar lanes; returns how many it wrote (the AVX2 and scalar lanes finish the rest, never rewriting an output).
    /// </summary>
    private static int AddU8Avx512(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Coefficients p, Span<byte> y)
    {
        int n = y.Length;
        ref byte aRef = ref MemoryMarshal.GetReference(a[..n]);
        ref byte bRef = ref MemoryMarshal.GetReference(b[..n]);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var ma = Vector512.Create(p.MultiplierA);
        var mb = Vector512.Create(p.MultiplierB);
        var offset = Vector512.Create(p.Offset);
        var shift = Vector128.CreateScalar(p.Shift);
        var min = Vector512.Create((int)p.ClampMin);
        var max = Vector512.Create((int)p.ClampMax);
        int i = 0;
        for (; i <= n - 16; i += 16)
        {
            var va = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref aRef, (nuint)i));
            var vb = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref bRef, (nuint)i));
            var sum = Avx512F.ShiftRightArithmetic(Avx512F.MultiplyLow(va, ma) + Avx512F.MultiplyLow(vb, mb) + offset, shift);
            Avx512F.ConvertToVector128Byte(Avx512F.Min(Avx512F.Max(sum, min), max)).StoreUnsafe(ref yRef, (nuint)i);
        }

        return i;
    }
}
