using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class ElementwiseTests
{
    /// <summary>Same shape, scalars either side, per-channel and innermost broadcasts, both sides broadcast, rank 0 and 6.</summary>
    private static readonly (int[] A, int[] B)[] Shapes =
    [
        ([2, 3, 4, 5], [2, 3, 4, 5]),
        ([37], [37]),
        ([3, 7, 9], [1]),
        ([1], [3, 7, 9]),
        ([8, 6, 7], [8, 1, 1]),
        ([1, 8, 6, 7], [1, 8, 1, 1]),
        ([8, 1, 1], [8, 6, 7]),
        ([2, 3, 4, 5], [5]),
        ([1000, 3], [1, 3]),
        ([2, 1, 4], [3, 1]),
        ([4, 1, 6], [1, 5, 1]),
        ([3, 1, 5], [3, 4, 1]),
        ([1, 2, 1, 3, 1, 4], [2, 1, 3, 1, 5, 1]),
        ([1, 1, 1], [1, 1, 1]),
        ([], []),
    ];

    [Theory]
    [InlineData(nameof(BinaryOp.Add))]
    [InlineData(nameof(BinaryOp.Sub))]
    [InlineData(nameof(BinaryOp.Mul))]
    [InlineData(nameof(BinaryOp.Div))]
    [InlineData(nameof(BinaryOp.PRelu))]
    public void BinaryF32_broadcasts_like_numpy_and_rounds_once(string opName)
    {
        var op = Enum.Parse<BinaryOp>(opName);
        // Each output is one IEEE single operation, which the double result rounded to float reproduces exactly.
        var random = new Random(401);
        foreach (var (dimsA, dimsB) in Shapes)
        {
            var shape = BroadcastShape.Create(dimsA, dimsB)!;
            var a = RandomFloats(random, Count(dimsA), -2, 2);
            var b = RandomFloats(random, Count(dimsB), 0.5f, 2);
            var y = new float[shape.Length];
            Kernels.BinaryF32(op, a, b, shape, y);
            var expected = Broadcast(dimsA, dimsB, (i, j) => (float)Apply(op, a[i], b[j]));
            AssertBitIdentical(expected, y, $"{op} [{string.Join(",", dimsA)}] ⊙ [{string.Join(",", dimsB)}]");
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void BinaryF32_simd_paths_are_bit_identical_to_scalar_twin(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(402);
        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            foreach (var (dimsA, dimsB) in Shapes)
            {
                var shape = BroadcastShape.Create(dimsA, dimsB)!;
                var a = RandomFloats(random, Count(dimsA), -2, 2);
                var b = RandomFloats(random, Count(dimsB), -2, 2);
                var scalar = new float[shape.Length];
                var vector = new float[shape.Length];
                Kernels.BinaryF32(op, a, b, shape, scalar, SimdLevel.Scalar);
                Kernels.BinaryF32(op, a, b, shape, vector, simd);
                AssertBitIdentical(scalar, vector, $"{op} {level} [{string.Join(",", dimsA)}] ⊙ [{string.Join(",", dimsB)}]");
            }
        }
    }

    [Fact]
    public void BinaryF32_may_write_over_its_full_shape_operand()
    {
        var random = new Random(403);
        var a = RandomFloats(random, 8 * 6 * 7);
        var b = RandomFloats(random, 8);
        var shape = BroadcastShape.Create([8, 6, 7], [8, 1, 1])!;
        var expected = new float[a.Length];
        Kernels.BinaryF32(BinaryOp.Mul, a, b, shape, expected);
        Kernels.BinaryF32(BinaryOp.Mul, a, b, shape, a);
        AssertBitIdentical(expected, a, "in place");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddU8_matches_its_integer_formula_and_the_real_sum_within_one_code(bool negateB)
    {
        var random = new Random(404);
        foreach (var (dimsA, dimsB) in Shapes)
        {
            for (int trial = 0; trial < 4; trial++)
            {
                var shape = BroadcastShape.Create(dimsA, dimsB)!;
                var a = RandomBytes(random, Count(dimsA));
                var b = RandomBytes(random, Count(dimsB));
                double scaleA = LogUniform(random, 1e-3, 0.1), scaleB = LogUniform(random, 1e-3, 0.1);
                double scaleY = (scaleA + scaleB) * LogUniform(random, 0.25, 2);
                int za = random.Next(256), zb = random.Next(256), zy = random.Next(256);
                var p = Kernels.AddU8Coefficients(scaleA, za, scaleB, zb, scaleY, zy, negateB, 0, 255);
                var y = new byte[shape.Length];
                Kernels.AddU8(a, b, shape, p, y);

                // One rounding of the fixed-point sum: ⌊(Ma·(qa − za) ± Mb·(qb − zb) + 2^(S−1)) / 2^S⌋ + zy, in 64 bits.
                long ma = (long)Math.Round(Math.ScaleB(scaleA / scaleY, p.Shift), MidpointRounding.AwayFromZero);
                long mb = (long)Math.Round(Math.ScaleB(scaleB / scaleY, p.Shift), MidpointRounding.AwayFromZero);
                var exact = Broadcast(dimsA, dimsB, (i, j) =>
                {
                    long sum = (ma * (a[i] - za)) + ((negateB ? -1 : 1) * mb * (b[j] - zb)) + (1L << (p.Shift - 1));
                    return (byte)Math.Clamp(zy + (sum >> p.Shift), 0, 255);
                });
                var real = Broadcast(dimsA, dimsB, (i, j) => Quantize((scaleA * (a[i] - za)) + ((negateB ? -1 : 1) * scaleB * (b[j] - zb)), (float)scaleY, zy));
                string context = $"trial {trial} [{string.Join(",", dimsA)}] ± [{string.Join(",", dimsB)}] {p}";
                AssertBytesEqual(exact, y, context);
                AssertWithinCodes(real, y, 1, context);
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Elementwise_AddU8_equals_the_broadcasting_formula_for_every_pair_of_codes(string level)
    {
        // All 65,536 pairs (plus 3 for a tail), in place over either input too: equal scales, scales far apart, an output
        // scale finer than the inputs' and one so fine the multipliers are capped, Sub, and a fused ReLU clamp.
        var simd = SimdLevels.Parse(level);
        var random = new Random(407);
        var a = new byte[65536 + 3];
        var b = new byte[65536 + 3];
        for (int i = 0; i < a.Length; i++)
        {
            (a[i], b[i]) = ((byte)(i >> 8), (byte)i);
        }

        var shape = BroadcastShape.Create([a.Length], [b.Length])!;
        var cases = new (double ScaleA, double ScaleB, double ScaleY)[] { (0.02, 0.02, 0.04), (0.003, 0.09, 0.05), (0.05, 0.01, 1e-9), (0.01, 0.04, 0.03), (0.2, 0.001, 0.1), (0.05, 0.01, 1e-4) };
        foreach (var (scaleA, scaleB, scaleY) in cases)
        {
            var p = Kernels.AddU8Coefficients(scaleA, random.Next(256), scaleB, random.Next(256), scaleY, random.Next(256), random.Next(2) == 1, (byte)random.Next(0, 60), (byte)random.Next(200, 256));
            Assert.True(p.IsValid, $"{p}");
            var expected = new byte[a.Length];
            Kernels.AddU8(a, b, shape, p, expected);

            var y = new byte[a.Length];
            Kernels.AddU8(a, b, p, y, simd);
            AssertBytesEqual(expected, y, $"{level} {p}");
            var inPlaceA = (byte[])a.Clone();
            Kernels.AddU8(inPlaceA, b, p, inPlaceA, simd);
            AssertBytesEqual(expected, inPlaceA, $"{level} in place over a {p}");
            var inPlaceB = (byte[])b.Clone();
            Kernels.AddU8(a, inPlaceB, p, inPlaceB, simd);
            AssertBytesEqual(expected, inPlaceB, $"{level} in place over b {p}");
        }

        var ok = new AddU8Coefficients(1 << 20, 1 << 20, 0, 21, 0, 255);
        Assert.True(ok.IsValid);
        Assert.False((ok with { Shift = 31 }).IsValid);
        Assert.False((ok with { MultiplierA = 1 << 24 }).IsValid);
        Assert.False((ok with { Offset = int.MaxValue - 100 }).IsValid);
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.AddU8(new byte[8], new byte[8], ok with { ClampMin = 9, ClampMax = 8 }, new byte[8]));
        Assert.Throws<ArgumentException>(() => Kernels.AddU8(new byte[8], new byte[7], ok, new byte[8]));
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void Elementwise_AddU8_of_every_length_up_to_three_vectors_equals_the_broadcasting_formula(string level)
    {
        // Lengths 1 to 50: whole 512-bit vectors of 16, then an AVX2 vector of 8 after them (24 + 8, 40 + 8), then scalar codes.
        var simd = SimdLevels.Parse(level);
        var random = new Random(408);
        var p = Kernels.AddU8Coefficients(0.02, 131, 0.03, 7, 0.04, 120, false, 3, 250);
        for (int n = 1; n <= 50; n++)
        {
            var a = new byte[n];
            var b = new byte[n];
            random.NextBytes(a);
            random.NextBytes(b);
            var expected = new byte[n];
            Kernels.AddU8(a, b, BroadcastShape.Create([n], [n])!, p, expected);
            var y = new byte[n];
            Kernels.AddU8(a, b, p, y, simd);
            AssertBytesEqual(expected, y, $"{level} n = {n}");
            Kernels.AddU8(a, b, p, a, simd);
            AssertBytesEqual(expected, a, $"{level} n = {n} in place");
        }
    }

    [Fact]
    public void Empty_outputs_touch_nothing()
    {
        // [0, 3] with [3]: built by hand, as numpy broadcasts a 0 against a 1 to 0.
        var shape = new BroadcastShape([0, 3], [3, 1], [0, 1]);
        float[] floats = Enumerable.Repeat(42f, 64).ToArray();
        byte[] codes = Enumerable.Repeat((byte)42, 64).ToArray();

        // Empty views into larger buffers: a vector loop that ran anyway would write past them.
        Kernels.BinaryF32(BinaryOp.Add, floats.AsSpan(0, 0), new float[3], shape, floats.AsSpan(32, 0));
        Kernels.AddU8(codes.AsSpan(0, 0), new byte[3], shape, new AddU8Coefficients(1 << 20, 1 << 20, 0, 21, 0, 255), codes.AsSpan(32, 0));
        Kernels.MulU8(codes.AsSpan(0, 0), 0, new byte[3], 0, shape, 1 << 30, 31, 0, 0, 255, codes.AsSpan(16, 0));

        Assert.All(floats, v => Assert.Equal(42f, v));
        Assert.All(codes, v => Assert.Equal(42, v));
    }

    [Fact]
    public void AddU8_clamps_a_fused_relu()
    {
        var shape = BroadcastShape.Create([4], [4])!;
        var p = Kernels.AddU8Coefficients(0.1, 20, 0.1, 10, 0.1, 50, false, 50, 255);
        var y = new byte[4];
        Kernels.AddU8([0, 10, 20, 30], [0, 5, 10, 15], shape, p, y);
        Assert.Equal(new byte[] { 50, 50, 50, 65 }, y);
    }

    [Fact]
    public void AddU8Coefficients_take_the_finest_shift_whose_sums_fit_int32()
    {
        var random = new Random(405);
        for (int i = 0; i < 200; i++)
        {
            double scaleA = LogUniform(random, 1e-5, 10), scaleB = LogUniform(random, 1e-5, 10), scaleY = LogUniform(random, 1e-5, 10);
            int za = random.Next(256), zb = random.Next(256), zy = random.Next(256);
            bool negateB = random.Next(2) == 1;
            var p = Kernels.AddU8Coefficients(scaleA, za, scaleB, zb, scaleY, zy, negateB, 0, 255);
            Assert.True(p.IsValid, $"{p}");
            double ra = scaleA / scaleY, rb = (negateB ? -scaleB : scaleB) / scaleY;
            if (Math.Abs(ra) + Math.Abs(rb) > 1 << 21)
            {
                continue; // a degenerate output scale: capped multipliers, checked below
            }

            // Each multiplier is its ratio rounded at 2^−S, the offset folds the zero points and the rounding, and one more
            // bit of shift would overflow (or S is the largest tried, 24).
            Assert.Equal(Math.Round(Math.ScaleB(ra, p.Shift), MidpointRounding.AwayFromZero), p.MultiplierA);
            Assert.Equal(Math.Round(Math.ScaleB(rb, p.Shift), MidpointRounding.AwayFromZero), p.MultiplierB);
            Assert.Equal(((long)zy << p.Shift) + (p.Shift > 0 ? 1L << (p.Shift - 1) : 0) - ((long)p.MultiplierA * za) - ((long)p.MultiplierB * zb), p.Offset);
            if (p.Shift < 24)
            {
                double ma = Math.Round(Math.ScaleB(ra, p.Shift + 1), MidpointRounding.AwayFromZero);
                double mb = Math.Round(Math.ScaleB(rb, p.Shift + 1), MidpointRounding.AwayFromZero);
                double offset = (zy * Math.ScaleB(1, p.Shift + 1)) + Math.ScaleB(1, p.Shift) - (ma * za) - (mb * zb);
                double high = offset + (255 * Math.Max(ma, 0)) + (255 * Math.Max(mb, 0));
                double low = offset + (255 * Math.Min(ma, 0)) + (255 * Math.Min(mb, 0));
                Assert.True(high > int.MaxValue || low < int.MinValue || Math.Abs(ma) > int.MaxValue / 255 || Math.Abs(mb) > int.MaxValue / 255, $"{p} could shift once more");
            }
        }

        // An output scale 10^7 times finer than an input's: S = 0, multipliers scaled down alike, zero differences still zy.
        var capped = Kernels.AddU8Coefficients(0.05, 7, 0.01, 9, 1e-9, 100, false, 0, 255);
        Assert.True(capped.IsValid);
        Assert.Equal(0, capped.Shift);
        Assert.Equal(5.0, (double)capped.MultiplierA / capped.MultiplierB, 1e-3);
        var y = new byte[3];
        Kernels.AddU8([7, 8, 6], [9, 9, 9], capped, y);
        Assert.Equal(new byte[] { 100, 255, 0 }, y);
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.AddU8Coefficients(0.1, 256, 0.1, 0, 0.1, 0, false, 0, 255));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.AddU8Coefficients(0, 0, 0.1, 0, 0.1, 0, false, 0, 255));
    }

    [Fact]
    public void MulU8_matches_its_integer_formula_and_the_real_product_within_one_code()
    {
        var random = new Random(406);
        foreach (var (dimsA, dimsB) in Shapes)
        {
            foreach (double outputRatio in new[] { 0.5, 30, 300 })
            {
                var shape = BroadcastShape.Create(dimsA, dimsB)!;
                var a = RandomBytes(random, Count(dimsA));
                var b = RandomBytes(random, Count(dimsB));
                double scaleA = LogUniform(random, 1e-3, 0.1), scaleB = LogUniform(random, 1e-3, 0.1);
                double scaleY = scaleA * scaleB * outputRatio;
                int za = random.Next(256), zb = random.Next(256), zy = random.Next(256);
                var (m, s) = Kernels.MulU8Multiplier(scaleA, scaleB, scaleY);
                var y = new byte[shape.Length];
                Kernels.MulU8(a, za, b, zb, shape, m, s, zy, 0, 255, y);
                var exact = Broadcast(dimsA, dimsB, (i, j) => (byte)Math.Clamp(zy + ((((long)(a[i] - za) * (b[j] - zb) * m) + (1L << (s - 1))) >> s), 0, 255));
                var real = Broadcast(dimsA, dimsB, (i, j) => Quantize(scaleA * (a[i] - za) * scaleB * (b[j] - zb), (float)scaleY, zy));
                string context = $"ratio {outputRatio} [{string.Join(",", dimsA)}] · [{string.Join(",", dimsB)}]";
                AssertBytesEqual(exact, y, context);
                AssertWithinCodes(real, y, 1, context);
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void MulU8_by_a_per_channel_or_scalar_code_gives_the_integer_formula_at_every_level(string level)
    {
        var simd = SimdLevels.Parse(level);
        var random = new Random(408);
        foreach (int pixels in new[] { 1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 49, 196 })
        {
            foreach (var (dimsA, dimsB) in new[] { (new[] { 5, pixels }, new[] { 5, 1 }), (new[] { 5, 1 }, new[] { 5, pixels }), (new[] { 5, pixels }, new[] { 1 }) })
            {
                foreach (double outputRatio in new[] { 0.01, 30, 3000 })
                {
                    var shape = BroadcastShape.Create(dimsA, dimsB)!;
                    var a = RandomBytes(random, Count(dimsA));
                    var b = RandomBytes(random, Count(dimsB));
                    var (m, s) = Kernels.MulU8Multiplier(0.02, 0.03, 0.02 * 0.03 * outputRatio);
                    int za = random.Next(256), zb = random.Next(256), zy = random.Next(256);
                    byte min = (byte)random.Next(60), max = (byte)(200 + random.Next(56));
                    var y = new byte[shape.Length];
                    Kernels.MulU8Core(a, za, b, zb, shape, m, s, zy, min, max, y, simd);
                    var exact = Broadcast(dimsA, dimsB, (i, j) => (byte)Math.Clamp(zy + ((((long)(a[i] - za) * (b[j] - zb) * m) + (1L << (s - 1))) >> s), min, max));
                    AssertBytesEqual(exact, y, $"{level} shift {s} [{string.Join(",", dimsA)}] · [{string.Join(",", dimsB)}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SimdLevels.Accelerated), MemberType = typeof(SimdLevels))]
    public void MulU8_per_channel_in_place_gives_the_integer_formula_at_every_level(string level)
    {
        // In place the last partial vector cannot overlap codes already written: the tail must still be exact.
        var simd = SimdLevels.Parse(level);
        var random = new Random(409);
        foreach (int pixels in new[] { 16, 17, 23, 31, 33, 49 })
        {
            foreach (double outputRatio in new[] { 0.01, 30 })
            {
                int[] dimsA = [6, pixels], dimsB = [6, 1];
                var shape = BroadcastShape.Create(dimsA, dimsB)!;
                var a = RandomBytes(random, Count(dimsA));
                var b = RandomBytes(random, Count(dimsB));
                var (m, s) = Kernels.MulU8Multiplier(0.02, 0.03, 0.02 * 0.03 * outputRatio);
                int za = random.Next(256), zb = random.Next(256), zy = random.Next(256);
                var exact = Broadcast(dimsA, dimsB, (i, j) => (byte)Math.Clamp(zy + ((((long)(a[i] - za) * (b[j] - zb) * m) + (1L << (s - 1))) >> s), 0, 255));
                Kernels.MulU8Core(a, za, b, zb, shape, m, s, zy, 0, 255, a, simd);
                AssertBytesEqual(exact, a, $"{level} in place, shift {s}, {pixels} pixels");
            }
        }
    }

    [Fact]
    public void RequantizeU8_stays_within_one_code_of_the_real_value()
    {
        var random = new Random(407);
        var x = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        for (int trial = 0; trial < 300; trial++)
        {
            double scaleIn = LogUniform(random, 1e-4, 1), scaleOut = scaleIn * LogUniform(random, 0.05, 20);
            int zin = random.Next(256), zout = random.Next(256);
            var (m, s) = Kernels.RequantizeU8Multiplier(scaleIn, scaleOut);
            var y = new byte[256];
            Kernels.RequantizeU8(x, zin, m, s, zout, y);
            var expected = Array.ConvertAll(x, q => Quantize(scaleIn * (q - zin), (float)scaleOut, zout));
            AssertWithinCodes(expected, y, 1, $"Sx {scaleIn}, Sy {scaleOut}, zx {zin}, zy {zout}");
        }
    }

    [Fact]
    public void RequantizeU8_with_equal_parameters_is_the_identity()
    {
        var x = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var (m, s) = Kernels.RequantizeU8Multiplier(0.0123, 0.0123);
        var y = new byte[256];
        Kernels.RequantizeU8(x, 77, m, s, 77, y);
        Assert.Equal(x, y);
    }

    [Fact]
    public void ChannelAffineF32_is_one_multiply_and_one_add_per_element()
    {
        var random = new Random(408);
        foreach (var (channels, spatial) in new[] { (1, 1), (3, 20), (16, 49), (5, 1001), (0, 4) })
        {
            var x = RandomFloats(random, channels * spatial, -3, 3);
            var scale = RandomFloats(random, channels, -2, 2);
            var shift = RandomFloats(random, channels, -1, 1);
            var expected = new float[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                float product = x[i] * scale[i / spatial];
                expected[i] = product + shift[i / spatial];
            }

            foreach (var level in Enum.GetValues<SimdLevel>())
            {
                var y = new float[x.Length];
                Kernels.ChannelAffineF32(x, channels, spatial, scale, shift, y, level);
                AssertBitIdentical(expected, y, $"{level} [{channels}, {spatial}]");
            }
        }
    }

    [Fact]
    public void Mismatched_lengths_and_bad_parameters_are_rejected()
    {
        var shape = BroadcastShape.Create([2, 3], [3])!;
        Assert.Throws<ArgumentException>(() => Kernels.BinaryF32(BinaryOp.Add, new float[6], new float[2], shape, new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.BinaryF32(BinaryOp.Add, new float[5], new float[3], shape, new float[6]));
        Assert.Throws<ArgumentException>(() => Kernels.BinaryF32(BinaryOp.Add, new float[6], new float[3], shape, new float[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.BinaryF32((BinaryOp)99, new float[6], new float[3], shape, new float[6]));
        var add = new AddU8Coefficients(1 << 20, 1 << 20, 0, 21, 0, 255);
        Assert.Throws<ArgumentException>(() => Kernels.AddU8(new byte[6], new byte[4], shape, add, new byte[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.AddU8(new byte[6], new byte[3], shape, add with { Shift = -1 }, new byte[6]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.MulU8(new byte[6], 0, new byte[3], 0, shape, 1 << 30, 63, 0, 0, 255, new byte[6]));
        Assert.Throws<ArgumentException>(() => Kernels.MulU8(new byte[6], 0, new byte[3], 0, shape, 1 << 30, 31, 0, 9, 8, new byte[6]));
        Assert.Throws<ArgumentException>(() => Kernels.RequantizeU8(new byte[6], 0, 1 << 30, 31, 0, new byte[5]));
        Assert.Throws<ArgumentException>(() => Kernels.ChannelAffineF32(new float[6], 2, 3, new float[2], new float[3], new float[6]));
    }

    private static double Apply(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        _ => a < 0 ? a * b : a,
    };

    internal static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);

    /// <summary>numpy broadcasting by index arithmetic: an operand dim of 1 always reads index 0.</summary>
    internal static T[] Broadcast<T>(int[] dimsA, int[] dimsB, Func<int, int, T> element)
    {
        int rank = Math.Max(dimsA.Length, dimsB.Length);
        int[] Pad(int[] d) => [.. Enumerable.Repeat(1, rank - d.Length), .. d];
        var pa = Pad(dimsA);
        var pb = Pad(dimsB);
        var dims = pa.Zip(pb, Math.Max).ToArray();
        var y = new T[Count(dims)];
        var index = new int[rank];
        for (int at = 0; at < y.Length; at++)
        {
            int rest = at;
            for (int k = rank - 1; k >= 0; k--)
            {
                index[k] = rest % dims[k];
                rest /= dims[k];
            }

            int i = 0, j = 0;
            for (int k = 0; k < rank; k++)
            {
                i = (i * pa[k]) + (pa[k] == 1 ? 0 : index[k]);
                j = (j * pb[k]) + (pb[k] == 1 ? 0 : index[k]);
            }

            y[at] = element(i, j);
        }

        return y;
    }
}
