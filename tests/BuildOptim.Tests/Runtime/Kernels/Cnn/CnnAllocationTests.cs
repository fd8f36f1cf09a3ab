using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.Cnn.CnnTestSupport;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels.Cnn;

using Kernels = BuildOptim.Runtime.Kernels;

public class CnnAllocationTests
{
    [Fact]
    public void Cnn_kernels_allocate_nothing_after_warm_up()
    {
        var random = new Random(701);
        var conv = Conv(16, 14, 14, 32, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1);
        var depthwise = Conv(16, 14, 14, 16, 3, 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, group: 16);
        var pool = Pool(16, 14, 14, 3, 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, ceilMode: true);
        var x = RandomFloats(random, conv.InputLength);
        var codes = RandomBytes(random, conv.InputLength);
        var w = RandomFloats(random, conv.M * conv.PatchLength);
        var qw = RandomSBytes(random, conv.M * conv.PatchLength);
        var bias = RandomFloats(random, conv.M);
        var qBias = RandomInts(random, conv.M, -1000, 1000);
        var multiplier = Enumerable.Repeat(1 << 30, conv.M).ToArray();
        var shift = Enumerable.Repeat(40, conv.M).ToArray();
        var scale = Enumerable.Repeat(1e-4f, conv.M).ToArray();
        var floatScratch = new float[Math.Max(Kernels.ConvF32ScratchLength(conv), Kernels.ConvF32ScratchLength(depthwise))];
        var byteScratch = new byte[Math.Max(Kernels.ConvU8S8ScratchLength(conv), Kernels.ConvU8S8ScratchLength(depthwise))];
        var accScratch = new int[Math.Max(Kernels.ConvU8S8AccumulatorLength(conv), Kernels.ConvU8S8AccumulatorLength(depthwise))];
        var y = new float[Math.Max(conv.OutputLength, depthwise.OutputLength)];
        var yCodes = new byte[y.Length];
        var shape = BroadcastShape.Create([16, 14, 14], [16, 1, 1])!;
        var channel = RandomFloats(random, 16);
        var channelCodes = RandomBytes(random, 16);
        var add = Kernels.AddU8Coefficients(0.02, 3, 0.03, 4, 0.04, 5, true, 0, 255);
        int[] dims = [16, 14, 14], perm = [1, 2, 0], pads = [0, 1, 1, 0, 1, 1];
        var padded = new float[16 * 16 * 16];

        // The steady state: the fewest bytes any round of calls allocated (a one-time allocation, such as the JIT
        // promoting a kernel on a loaded machine, shows in one round only).
        Assert.Equal(0, Allocations.SteadyState(20, () =>
        {
            Kernels.ConvF32(x, conv, w, bias, 0, 6, floatScratch, y.AsSpan(0, conv.OutputLength));
            Kernels.ConvF32(x, depthwise, w.AsSpan(0, 16 * 9), bias.AsSpan(0, 16), 0, 6, floatScratch, y.AsSpan(0, depthwise.OutputLength));
            Kernels.ConvU8S8(codes, conv, 3, qw, qBias, multiplier, shift, 5, 0, 255, byteScratch, accScratch, yCodes.AsSpan(0, conv.OutputLength));
            Kernels.ConvU8S8(codes, depthwise, 3, qw.AsSpan(0, 16 * 9), qBias.AsSpan(0, 16), multiplier.AsSpan(0, 16), shift.AsSpan(0, 16), 5, 0, 255, byteScratch, accScratch, yCodes.AsSpan(0, depthwise.OutputLength));
            Kernels.ConvU8S8ToF32(codes, conv, 3, qw, qBias, scale, float.NegativeInfinity, float.PositiveInfinity, byteScratch, accScratch, y.AsSpan(0, conv.OutputLength));
            Kernels.MaxPoolF32(x, pool, y.AsSpan(0, pool.OutputLength));
            Kernels.AveragePoolF32(x, pool, true, y.AsSpan(0, pool.OutputLength));
            Kernels.MaxPoolU8(codes, pool, yCodes.AsSpan(0, pool.OutputLength));
            Kernels.AveragePoolU8(codes, pool, false, 3, yCodes.AsSpan(0, pool.OutputLength));
            Kernels.BinaryF32(BinaryOp.Add, x, channel, shape, y.AsSpan(0, x.Length));
            Kernels.AddU8(codes, channelCodes, shape, add, yCodes.AsSpan(0, codes.Length));
            Kernels.AddU8(codes, codes, add, yCodes.AsSpan(0, codes.Length));
            Kernels.MulU8(codes, 3, channelCodes, 4, shape, 1 << 30, 40, 5, 0, 255, yCodes.AsSpan(0, codes.Length));
            Kernels.RequantizeU8(codes, 3, 1 << 30, 50, 5, yCodes.AsSpan(0, codes.Length));
            Kernels.TransposeF32(x, dims, perm, y.AsSpan(0, x.Length));
            Kernels.PadF32(x, dims, pads, PadMode.Reflect, 0, padded);
            Kernels.ChannelAffineF32(x, 16, 196, channel, channel, y.AsSpan(0, x.Length));
            Kernels.MatMulF32(x.AsSpan(0, 16 * 196), w.AsSpan(0, 196 * 8), 1, 16, 196, 8, false, false, y.AsSpan(0, 16 * 8));
        }));
    }
}
