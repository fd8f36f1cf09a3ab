using BuildOptim.Runtime;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class QuantizeF32ToU8Tests
{
    private static readonly float[] Specials =
    [
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon,
        float.MaxValue, float.MinValue, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 127.5f, 128.5f, -127.5f, -128.5f,
        254.5f, 255.5f, 256f, -256f, 1e9f, -1e9f, 0.49999997f, -0.49999997f, 0.50000006f, float.BitDecrement(2.5f),
    ];

    private static readonly (float Scale, int ZeroPoint)[] Parameters =
    [
        (1f, 0), (1f, 128), (1f, 255), (1f / 255, 0), (0.0037f, 117), (3f, 37), (0.5f, 128), (1e-30f, 128), (-0.25f, 200), (1e30f, 9),
    ];

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Simd_path_is_bit_identical_to_scalar_twin_for_every_length_up_to_300(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(255);
        foreach (var (scale, zeroPoint) in Parameters)
        {
            for (int length = 0; length <= 300; length++)
            {
                var x = new float[length];
                for (int i = 0; i < length; i++)
                {
                    x[i] = random.Next(4) switch
                    {
                        0 => Specials[random.Next(Specials.Length)] * scale,
                        1 => (random.Next(-600, 600) / 2f) * scale,
                        2 => BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)),
                        _ => (float)((random.NextDouble() - 0.5) * 600) * scale,
                    };
                }

                var scalar = new byte[length];
                var actual = new byte[length];
                Kernels.QuantizeF32ToU8Scalar(x, scale, zeroPoint, scalar);
                Kernels.QuantizeF32ToU8(x, scale, zeroPoint, actual, simd);
                for (int i = 0; i < length; i++)
                {
                    byte onnx = OnnxQuantizeLinear(x[i], scale, zeroPoint);
                    if (scalar[i] != onnx || actual[i] != onnx)
                    {
                        Assert.Fail($"x={x[i]:R}, scale={scale:R}, zp={zeroPoint}, length {length}: {level} = {actual[i]}, scalar = {scalar[i]}, ONNX = {onnx}");
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(0.5f, 128)]
    [InlineData(1.5f, 130)]
    [InlineData(2.5f, 130)]
    [InlineData(3.5f, 132)]
    [InlineData(-0.5f, 128)]
    [InlineData(-1.5f, 126)]
    [InlineData(-2.5f, 126)]
    [InlineData(126.5f, 254)]
    [InlineData(127.5f, 255)]
    [InlineData(-128.5f, 0)]
    [InlineData(1e30f, 255)]
    [InlineData(-1e30f, 0)]
    [InlineData(float.PositiveInfinity, 255)]
    [InlineData(float.NegativeInfinity, 0)]
    [InlineData(float.NaN, 128)]
    public void Rounds_half_to_even_saturates_and_maps_NaN_to_the_zero_point(float x, byte expected)
    {
        foreach (var level in Enum.GetValues<SimdLevel>())
        {
            var input = Enumerable.Repeat(x, 37).ToArray();
            var q = new byte[37];
            Kernels.QuantizeF32ToU8(input, 1f, 128, q, level);
            Assert.All(q, value => Assert.Equal(expected, value));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(256)]
    public void Zero_points_outside_uint8_are_rejected(int zeroPoint)
        => Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.QuantizeF32ToU8(new float[4], 1f, zeroPoint, new byte[4]));

    [Fact]
    public void Dequantize_is_the_correctly_rounded_scale_times_offset()
    {
        var q = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var x = new float[256];
        foreach (var (scale, zeroPoint) in Parameters)
        {
            Kernels.DequantizeU8ToF32(q, scale, zeroPoint, x);
            for (int i = 0; i < 256; i++)
            {
                Assert.Equal((float)((double)scale * (i - zeroPoint)), x[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Dequantize_then_quantize_round_trips_every_code(string level)
    {
        var simd = SimdLevels.Parse(level);
        var q = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var x = new float[256];
        var back = new byte[256];
        foreach (var (scale, zeroPoint) in new[] { (1f / 255, 0), (0.0037f, 117), (3f, 37) })
        {
            Kernels.DequantizeU8ToF32(q, scale, zeroPoint, x);
            Kernels.QuantizeF32ToU8(x, scale, zeroPoint, back, simd);
            Assert.Equal(q, back);
        }
    }

    [Fact]
    public void Lookup_maps_every_byte_through_the_table_in_place_too()
    {
        var random = new Random(256);
        var table = new byte[256];
        random.NextBytes(table);
        var x = new byte[1000];
        random.NextBytes(x);
        var y = new byte[1000];
        Kernels.LookupU8(x, table, y);
        Assert.Equal(x.Select(v => table[v]), y);

        Kernels.LookupU8(x, table, x);
        Assert.Equal(y, x);
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Lookup_gives_the_scalar_codes_at_every_level_and_length_in_place_too(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(257);
        var table = new byte[256];
        random.NextBytes(table);
        for (int n = 0; n <= 300; n++)
        {
            var x = new byte[n];
            random.NextBytes(x);
            var expected = x.Select(v => table[v]).ToArray();
            var y = new byte[n];
            Kernels.LookupU8(x, table, y, simd);
            Assert.Equal(expected, y);
            Kernels.LookupU8(x, table, x, simd);
            Assert.Equal(expected, x);
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Lookup_maps_every_code_through_its_own_table_entry_at_every_level(string level)
    {
        // Codes 0..255 in order and reversed (every row and nibble of the table, in both 16-byte lanes of a vector),
        // through a table whose entries are all distinct, so any code looked up in a wrong row or column shows.
        var simd = SimdLevels.Parse(level);
        var table = Enumerable.Range(0, 256).Select(v => (byte)((v * 167) + 13)).ToArray();
        var x = Enumerable.Range(0, 256).Concat(Enumerable.Range(0, 256).Reverse()).Select(v => (byte)v).ToArray();
        var y = new byte[x.Length];
        Kernels.LookupU8(x, table, y, simd);
        Assert.Equal(x.Select(v => table[v]), y);
    }

    [Fact]
    public void Lookup_requires_a_256_entry_table()
        => Assert.Throws<ArgumentException>(() => Kernels.LookupU8(new byte[3], new byte[255], new byte[3]));

    /// <summary>ONNX QuantizeLinear for uint8: <c>saturate(round_half_even(x / scale) + zero_point)</c>, x / scale in float.</summary>
    private static byte OnnxQuantizeLinear(float x, float scale, int zeroPoint)
    {
        float scaled = x / scale;
        if (float.IsNaN(scaled))
        {
            return (byte)zeroPoint;
        }

        double rounded = Math.Round((double)scaled, MidpointRounding.ToEven) + zeroPoint;
        return (byte)Math.Clamp(rounded, 0, 255);
    }
}
