using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BuildOptim.Runtime;

/// <summary>
/// The parameters of a quantized Add (or Sub) of
/// <see cref="Kernels.AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/>:
/// input zero points, multipliers and shifts (<see cref="Kernels.AddU8Multipliers"/>), the output's, the clamp and whether b is subtracted.
/// </summary>
public readonly record struct AddU8Parameters(
    int ZeroPointA, int MultiplierA, int ShiftA,
    int ZeroPointB, int MultiplierB, int ShiftB,
    int OutputZeroPoint, int OutputMultiplier, int OutputShift,
    byte ClampMin, byte ClampMax, bool NegateB);

// The elementwise quantized Add computed, not looked up: the same integer formula as the scalar AddU8, eight codes at a time.
//
// Each input is rescaled as a' = R((q − z)·2^L, m, s) with R(v, m, s) = ⌊(v·m + 2^(s−1)) / 2^s⌋. For s ≥ 32 that is the high
// int32 of the 64-bit v·m + 2^(s−1), shifted right by s − 32 (nested floors of divisions by powers of two); s = 31 (an input
// whose scale is the larger one: m·2^−s = ½) doubles v first, which keeps the quotient exact. The sum a' + b' is then
// requantized like a convolution's accumulator (RowRequantizerAvx2). Everything is integer, so the lanes equal the scalar
// formula, and the 64 KiB table, bit for bit.
public static partial class Kernels
{
    /// <summary>
    /// Whether <see cref="AddU8(ReadOnlySpan{byte}, ReadOnlySpan{byte}, in AddU8Parameters, Span{byte})"/> computes these
    /// parameters in vector lanes: input shifts in [31, 62] (<see cref="AddU8Multipliers"/> always gives such shifts) and
    /// zero points that are codes.
    /// </summary>
    public static bool AddU8Vectorizes(in AddU8Parameters p)
        => p.ShiftA is >= 31 and <= FixedPoint.MaxShift && p.ShiftB is >= 31 and <= FixedPoint.MaxShift
            && (uint)p.ZeroPointA <= byte.MaxValue && (uint)p.ZeroPointB <= byte.MaxValue && (uint)p.OutputZeroPoint <= byte.MaxValue
            && (uint)(p.OutputShift - 1) < FixedPoint.MaxShift && p.ClampMin <= p.ClampMax;

    /// <summary>
    /// Whether the computed Add beats the 64 KiB table on this machine: it vectorizes these parameters and AVX2 runs its
    /// lanes (without it each code costs three 64-bit requantizations, slower than one lookup).
    /// </summary>
    internal static bool AddU8ComputedIsFaster(in AddU8Parameters p) => Avx2.IsSupported && AddU8Vectorizes(p);

    /// <summary>
    /// Quantized Add of two inputs of the same length, no broadcasting: <c>y[i]</c> is
    /// <see cref="AddU8(ReadOnlySpan{byte}, int, int, int, ReadOnlySpan{byte}, int, int, int, BroadcastShape, int, int, int, byte, byte, bool, Span{byte})"/>'s
    /// code for <c>a[i]</c> and <c>b[i]</c>, bit for bit, computed eight at a time without a table. Needs
    /// <see cref="AddU8Vectorizes"/>. In place is allowed (y may be a or b).
    /// </summary>
    public static void AddU8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Parameters p, Span<byte> y)
        => AddU8(a, b, p, y, SimdLevel.Vector512);

    /// <summary>The computed Add taking no path wider than <paramref name="maxLevel"/>.</summary>
    internal static void AddU8(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Parameters p, Span<byte> y, SimdLevel maxLevel)
    {
        if (a.Length != y.Length || b.Length != y.Length)
        {
            ThrowShape($"An elementwise Add got inputs of {a.Length} and {b.Length} codes and {y.Length} outputs.");
        }

        if (!AddU8Vectorizes(p))
        {
            throw new ArgumentOutOfRangeException(nameof(p), "Input shifts must lie in [31, 62], zero points be codes and the clamp range not empty.");
        }

        int n = y.Length;
        int i = 0;
        if (maxLevel >= SimdLevel.Vector256 && Avx2.IsSupported)
        {
            i = AddU8Avx2(a, b, p, y);
        }

        for (; i < n; i++)
        {
            y[i] = AddU8Code(a[i], b[i], p);
        }
    }

    /// <summary>The scalar formula for one pair of codes.</summary>
    private static byte AddU8Code(byte qa, byte qb, in AddU8Parameters p)
    {
        int rescaledA = FixedPoint.Requantize((qa - p.ZeroPointA) << RescaleLeftShift, p.MultiplierA, p.ShiftA);
        int rescaledB = FixedPoint.Requantize((qb - p.ZeroPointB) << RescaleLeftShift, p.MultiplierB, p.ShiftB);
        int sum = rescaledA + (p.NegateB ? -rescaledB : rescaledB);
        return ClampToU8(p.OutputZeroPoint + RequantizeWide(sum, p.OutputMultiplier, p.OutputShift), p.ClampMin, p.ClampMax);
    }

    /// <summary>The AVX2 lanes: whole vectors of 8 only (a tail recomputed over written outputs would be wrong in place); returns how many it wrote.</summary>
    private static int AddU8Avx2(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, in AddU8Parameters p, Span<byte> y)
    {
        ref byte aRef = ref MemoryMarshal.GetReference(a);
        ref byte bRef = ref MemoryMarshal.GetReference(b);
        ref byte yRef = ref MemoryMarshal.GetReference(y);
        var rescaleA = new InputRescalerAvx2(p.ZeroPointA, p.MultiplierA, p.ShiftA);
        var rescaleB = new InputRescalerAvx2(p.ZeroPointB, p.MultiplierB, p.ShiftB);
        var output = new RowRequantizerAvx2(p.OutputMultiplier, p.OutputShift, p.OutputZeroPoint, p.ClampMin, p.ClampMax);
        int n = y.Length;
        int i = 0;
        for (; i <= n - 8; i += 8)
        {
            var qa = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref aRef, i))).AsByte());
            var qb = Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bRef, i))).AsByte());
            var rescaledB = rescaleB.Apply(qb);
            var sum = p.NegateB ? rescaleA.Apply(qa) - rescaledB : rescaleA.Apply(qa) + rescaledB;
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref yRef, i), output.Apply(sum));
        }

        return i;
    }

    /// <summary><c>R((q − z)·2^L, m, s)</c> for eight codes q, s in [31, 62] (see the file header).</summary>
    private readonly struct InputRescalerAvx2
    {
        private readonly Vector256<int> _zeroPoint;
        private readonly Vector256<int> _multiplier;
        private readonly Vector256<long> _rounding;
        private readonly Vector128<int> _shift;
        private readonly Vector128<int> _leftShift;

        public InputRescalerAvx2(int zeroPoint, int multiplier, int shift)
        {
            // s = 31: v·2 over 2^32 is v over 2^31 exactly, so double v (|(q − z)·2^21| < 2^29) and divide by 2^32.
            int extra = Math.Max(0, 32 - shift);
            _zeroPoint = Vector256.Create(zeroPoint);
            _multiplier = Vector256.Create(multiplier);
            _rounding = Vector256.Create(1L << (shift + extra - 1));
            _shift = Vector128.CreateScalar(shift + extra - 32);
            _leftShift = Vector128.CreateScalar(RescaleLeftShift + extra);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<int> Apply(Vector256<int> q)
        {
            var v = Avx2.ShiftLeftLogical(q - _zeroPoint, _leftShift);
            var even = Avx2.Multiply(v, _multiplier) + _rounding;
            var odd = Avx2.Multiply(Avx2.ShiftRightLogical(v.AsInt64(), 32).AsInt32(), _multiplier) + _rounding;
            var high = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsInt32(), odd.AsInt32(), 0b1010_1010);
            return Avx2.ShiftRightArithmetic(high, _shift);
        }
    }
}
