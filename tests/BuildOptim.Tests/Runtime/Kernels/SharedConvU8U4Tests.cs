using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class SharedConvU8U4Tests
{
    private static readonly ConvGeometry[] Geometries =
    [
        Conv(1, 7, 7, 3, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(16, 9, 9, 33, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1),
        Conv(8, 5, 6, 8, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 8), // depthwise
        Conv(12, 4, 4, 6, 1, 1, group: 3),
        Conv(32, 5, 5, 4, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1), // rows of 288: one codebook per row
    ];

    [Fact]
    public void Equals_the_plain_convolution_on_decoded_weights_bit_for_bit()
    {
        var random = new Random(31);
        foreach (var g in Geometries)
        {
            foreach (bool rowCodebooks in new[] { true, false })
            {
                var (indices, codebooks) = SharedGemvU8U4S32Tests.RandomShared(random, g.M, g.PatchLength, rowCodebooks);
                var weights = new sbyte[g.M * g.PatchLength];
                Kernels.DecodeU4S8Scalar(indices, codebooks, g.M, g.PatchLength, weights);
                var x = RandomBytes(random, g.InputLength);
                var bias = RandomInts(random, g.M, -1 << 20, 1 << 20);
                var multiplier = RandomInts(random, g.M, 1 << 30, int.MaxValue);
                var shift = RandomInts(random, g.M, 20, 30);
                var scale = RandomFloats(random, g.M, 1e-4f, 1e-3f);
                byte zeroPoint = (byte)random.Next(256);
                var scratch = new byte[Kernels.ConvSharedU8U4ScratchLength(g)];
                var acc = new int[Kernels.ConvU8S8AccumulatorLength(g)];

                var expectedCodes = new byte[g.OutputLength];
                var actualCodes = new byte[g.OutputLength];
                Kernels.ConvU8S8(x, g, zeroPoint, weights, bias, multiplier, shift, 7, 3, 250, new byte[Kernels.ConvU8S8ScratchLength(g)], acc, expectedCodes);
                Kernels.ConvSharedU8U4(x, g, zeroPoint, indices, codebooks, bias, multiplier, shift, 7, 3, 250, scratch, acc, actualCodes);
                Assert.True(expectedCodes.AsSpan().SequenceEqual(actualCodes), $"{g}, rowCodebooks={rowCodebooks}");

                var expectedFloats = new float[g.OutputLength];
                var actualFloats = new float[g.OutputLength];
                Kernels.ConvU8S8ToF32(x, g, zeroPoint, weights, bias, scale, -2, float.PositiveInfinity, new byte[Kernels.ConvU8S8ScratchLength(g)], acc, expectedFloats);
                Kernels.ConvSharedU8U4ToF32(x, g, zeroPoint, indices, codebooks, bias, scale, -2, float.PositiveInfinity, scratch, acc, actualFloats);
                Assert.True(expectedFloats.AsSpan().SequenceEqual(actualFloats), $"{g}, rowCodebooks={rowCodebooks}");
            }
        }
    }

    [Fact]
    public void Too_little_scratch_is_rejected()
    {
        var g = Geometries[1];
        var (indices, codebooks) = SharedGemvU8U4S32Tests.RandomShared(new Random(1), g.M, g.PatchLength, rowCodebooks: false);
        Assert.Throws<ArgumentException>(() => Kernels.ConvSharedU8U4(
            new byte[g.InputLength], g, 0, indices, codebooks, new int[g.M], new int[g.M], new int[g.M], 0, 0, 255,
            new byte[Kernels.ConvSharedU8U4ScratchLength(g) - 1], new int[Kernels.ConvU8S8AccumulatorLength(g)], new byte[g.OutputLength]));
    }
}
