namespace BuildOptim.Runtime;

/// <summary>
/// Integer-only requantization: a real multiplier <c>M</c> in (0, 2^30) is represented as
/// <c>M ≈ Multiplier · 2^-Shift</c> with <c>Multiplier</c> in [2^30, 2^31) and <c>Shift</c> in [1, 62].
/// </summary>
internal static class FixedPoint
{
    /// <summary>Largest right shift a multiplier may carry.</summary>
    internal const int MaxShift = 62;

    /// <summary>
    /// Splits a real multiplier into a Q31 mantissa and a right shift:
    /// <c>real = f · 2^e</c> with f in [0.5, 1); <c>Multiplier = round_half_away(f · 2^31)</c>; <c>Shift = 31 - e</c>.
    /// Multipliers too small for <see cref="MaxShift"/> (below 2^-32) become (0, 1), which loses nothing: for every int32
    /// accumulator |acc · real| &lt; ½, which rounds to zero anyway.
    /// </summary>
    internal static (int Multiplier, int Shift) QuantizeMultiplier(double real)
    {
        if (!(real > 0) || double.IsInfinity(real))
        {
            if (real == 0)
            {
                return (0, 1);
            }

            throw new ArgumentOutOfRangeException(nameof(real), real, "A requantization multiplier must be finite and non-negative.");
        }

        int exponent = Math.ILogB(real) + 1;
        double fraction = Math.ScaleB(real, -exponent);
        long mantissa = (long)Math.Round(fraction * (1L << 31), MidpointRounding.AwayFromZero);
        if (mantissa == 1L << 31)
        {
            mantissa >>= 1;
            exponent++;
        }

        int shift = 31 - exponent;
        if (shift < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(real), real, "Requantization multipliers of 2^30 or more are not supported.");
        }

        if (shift > MaxShift)
        {
            return (0, 1);
        }

        return ((int)mantissa, shift);
    }

    /// <summary>
    /// <c>(acc · multiplier + 2^(shift-1)) &gt;&gt; shift</c> = <c>⌊acc · multiplier · 2^-shift + ½⌋</c>: one rounding,
    /// half toward +∞, exact in 64-bit for shift in [1, <see cref="MaxShift"/>].
    /// </summary>
    /// <remarks>
    /// The result is returned as int32, which holds it whenever <c>multiplier · 2^-shift ≤ 1</c> (every multiplier
    /// below 1 from <see cref="QuantizeMultiplier"/>). <see cref="Kernels.RequantizeS32ToU8(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, byte, byte, Span{byte})"/>
    /// clamps the 64-bit value instead, so it is exact for any multiplier.
    /// </remarks>
    internal static int Requantize(int acc, int multiplier, int shift)
        => (int)((acc * (long)multiplier + (1L << (shift - 1))) >> shift);
}
