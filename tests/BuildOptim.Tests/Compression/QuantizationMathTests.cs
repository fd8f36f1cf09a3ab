using BuildOptim.Compression.Planning;
using BuildOptim.Runtime;

namespace BuildOptim.Tests.Compression;

public class QuantizationMathTests
{
    [Theory]
    [InlineData(-1.5f, 3.2f)]
    [InlineData(0.2f, 5f)]
    [InlineData(-4f, -0.5f)]
    [InlineData(0f, 0f)]
    public void Range_is_widened_to_include_zero_and_zero_is_exactly_representable(float min, float max)
    {
        var p = QuantParams.FromRange(min, max);
        Assert.Equal(0.0, p.Dequantize(p.ZeroPoint));
        Assert.InRange(p.ZeroPoint, 0, 255);
        Assert.True(p.Dequantize(0) <= Math.Min(0, min) + p.Scale);
        Assert.True(p.Dequantize(255) >= Math.Max(0, max) - p.Scale);
    }

    [Fact]
    public void Weight_rows_are_symmetric_per_channel_with_the_row_maximum_at_127()
    {
        var rng = new Random(11);
        int k = 37, n = 5;
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * (1 + rng.Next(4))).ToArray();
        var (q, scales) = WeightQuantizer.QuantizeRows(w, k, n);
        for (int row = 0; row < n; row++)
        {
            var qRow = q.AsSpan(row * k, k).ToArray();
            Assert.Equal(127, qRow.Max(v => Math.Abs((int)v)));
            for (int col = 0; col < k; col++)
            {
                Assert.True(Math.Abs(q[row * k + col] * scales[row] - w[row * k + col]) <= scales[row] / 2 + 1e-9);
            }
        }
    }

    [Fact]
    public void Folded_bias_makes_raw_code_products_equal_zero_point_corrected_products()
    {
        var rng = new Random(5);
        int k = 64, n = 8;
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var input = QuantParams.FromRange(-0.7f, 2.1f);
        var (q, scales) = WeightQuantizer.QuantizeRows(w, k, n);
        var folded = WeightQuantizer.QuantizeBias(b, q, scales, k, input);
        var x = Enumerable.Range(0, k).Select(_ => (byte)rng.Next(256)).ToArray();
        var acc = new int[n];
        BuildOptim.Runtime.Kernels.GemvU8S8S32(x, q, folded, acc);
        for (int row = 0; row < n; row++)
        {
            long expected = (long)Math.Round(b[row] / (input.Scale * scales[row]), MidpointRounding.ToEven);
            for (int col = 0; col < k; col++)
            {
                expected += (x[col] - input.ZeroPoint) * q[row * k + col];
            }

            Assert.Equal(expected, acc[row]);
        }
    }

    [Fact]
    public void Requantized_output_tracks_the_real_valued_layer_within_one_code()
    {
        // One dense layer end to end in integers vs the same maths in doubles.
        var rng = new Random(21);
        int k = 100, n = 16;
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.2f).ToArray();
        var input = QuantParams.FromRange(0f, 1f);
        var output = QuantParams.FromRange(-2f, 2f);
        var (q, scales) = WeightQuantizer.QuantizeRows(w, k, n);
        var bias = WeightQuantizer.QuantizeBias(new float[n], q, scales, k, input);
        var mult = new int[n];
        var shift = new int[n];
        for (int row = 0; row < n; row++)
        {
            (mult[row], shift[row]) = FixedPoint.QuantizeMultiplier(input.Scale * scales[row] / output.Scale);
        }

        var x = Enumerable.Range(0, k).Select(_ => (byte)rng.Next(256)).ToArray();
        var acc = new int[n];
        var y = new byte[n];
        BuildOptim.Runtime.Kernels.GemvU8S8S32(x, q, bias, acc);
        BuildOptim.Runtime.Kernels.RequantizeS32ToU8(acc, mult, shift, output.ZeroPoint, 0, 255, y);
        for (int row = 0; row < n; row++)
        {
            double real = 0;
            for (int col = 0; col < k; col++)
            {
                real += input.Dequantize(x[col]) * q[row * k + col] * scales[row];
            }

            Assert.InRange(y[row], output.Quantize(real) - 1, output.Quantize(real) + 1);
        }
    }
}
