using System.Numerics;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels;

/// <summary>SIMD levels this machine runs in hardware, as theory data (by name, since <see cref="SimdLevel"/> is internal).</summary>
public static class SimdLevels
{
    public static TheoryData<string> Accelerated
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var level in Enum.GetValues<SimdLevel>())
            {
                if (Simd.IsHardwareAccelerated(level))
                {
                    data.Add(level.ToString());
                }
            }

            return data;
        }
    }

    internal static SimdLevel Parse(string name) => Enum.Parse<SimdLevel>(name);
}

/// <summary>Seeded inputs and exact (BigInteger) references shared by the kernel tests.</summary>
internal static class KernelTestSupport
{
    public static byte[] RandomBytes(Random random, int length)
    {
        var values = new byte[length];
        random.NextBytes(values);
        return values;
    }

    public static sbyte[] RandomSBytes(Random random, int length)
        => Array.ConvertAll(RandomBytes(random, length), b => (sbyte)b);

    public static int[] RandomInts(Random random, int length, int minInclusive = int.MinValue, int maxInclusive = int.MaxValue)
    {
        var values = new int[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (int)random.NextInt64(minInclusive, (long)maxInclusive + 1);
        }

        return values;
    }

    /// <summary>Log-uniform in [min, max].</summary>
    public static double LogUniform(Random random, double min, double max)
        => Math.Exp(Math.Log(min) + (random.NextDouble() * (Math.Log(max) - Math.Log(min))));

    /// <summary>The dot product accumulated in 64 bits, with no possibility of overflow.</summary>
    public static long DotReference(ReadOnlySpan<byte> x, ReadOnlySpan<sbyte> w)
    {
        long sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * (long)w[i];
        }

        return sum;
    }

    /// <summary>⌊numerator / 2^shift + ½⌋, exactly.</summary>
    public static BigInteger FloorPlusHalf(BigInteger numerator, int shift)
        => FloorDivide((2 * numerator) + (BigInteger.One << shift), BigInteger.One << (shift + 1));

    public static BigInteger FloorDivide(BigInteger a, BigInteger b)
    {
        var quotient = BigInteger.DivRem(a, b, out var remainder);
        return remainder.Sign != 0 && (remainder.Sign < 0) != (b.Sign < 0) ? quotient - 1 : quotient;
    }

    /// <summary><paramref name="value"/> · 2^<paramref name="scaleBits"/> as an exact integer (asserts exactness).</summary>
    public static BigInteger ScaledExactly(double value, int scaleBits)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biasedExponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & ((1L << 52) - 1);
        if (biasedExponent != 0)
        {
            mantissa |= 1L << 52;
        }

        int exponent = (biasedExponent == 0 ? 1 : biasedExponent) - 1075 + scaleBits;
        var magnitude = new BigInteger(mantissa);
        if (exponent >= 0)
        {
            magnitude <<= exponent;
        }
        else
        {
            Assert.True((magnitude & ((BigInteger.One << -exponent) - 1)).IsZero, $"{value:R} · 2^{scaleBits} is not an integer");
            magnitude >>= -exponent;
        }

        return value < 0 ? -magnitude : magnitude;
    }
}
