using BuildOptim.Runtime;
using static BuildOptim.Tests.Runtime.Kernels.KernelTestSupport;

namespace BuildOptim.Tests.Runtime.Kernels;

using Kernels = BuildOptim.Runtime.Kernels;

public class KernelAllocationTests
{
    [Fact]
    public void Int8_call_path_allocates_nothing()
    {
        const int K = 784, N = 128;
        var random = new Random(0);
        var x = RandomBytes(random, K);
        var w = RandomSBytes(random, N * K);
        var bias = RandomInts(random, N, -1000, 1000);
        var acc = new int[N];
        var multiplier = new int[N];
        var shift = new int[N];
        for (int i = 0; i < N; i++)
        {
            (multiplier[i], shift[i]) = FixedPoint.QuantizeMultiplier(1e-4 * (i + 1));
        }

        var y = new byte[N];
        var input = new float[K];
        int sink = 0;

        // The steady state: the fewest bytes any round of calls allocated (a one-time allocation, such as the JIT
        // promoting a kernel on a loaded machine, shows in one round only).
        Assert.Equal(0, Allocations.SteadyState(1000, () =>
        {
            sink += Kernels.DotU8S8S32(x, w.AsSpan(0, K));
            Kernels.GemvU8S8S32(x, w, bias, acc);
            Kernels.RequantizeS32ToU8(acc, multiplier, shift, 3, 0, 255, y);
            Kernels.QuantizeF32ToU8(input, 0.01f, 128, x);
        }));

        Assert.NotEqual(int.MinValue, sink);
    }

    [Fact]
    public void Float_call_path_allocates_nothing()
    {
        const int K = 300, N = 10;
        var random = new Random(1);
        var x = Enumerable.Range(0, K).Select(_ => (float)random.NextDouble()).ToArray();
        var w = Enumerable.Range(0, N * K).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var bias = new float[N];
        var y = new float[N];
        var acc = new int[N];
        var scale = Enumerable.Repeat(0.01f, N).ToArray();
        var q = new byte[K];

        // The steady state: the fewest bytes any round of calls allocated (a one-time allocation, such as the JIT
        // promoting a kernel on a loaded machine, shows in one round only).
        Assert.Equal(0, Allocations.SteadyState(1000, () =>
        {
            Kernels.GemvF32(x, w, bias, Activation.Relu, y);
            Kernels.DequantizeS32ToF32(acc, scale, y);
            Kernels.ActivationF32(y, Activation.Sigmoid, y);
            Kernels.SoftmaxF32(y, N, log: false, y);
            Kernels.DequantizeU8ToF32(q, 0.1f, 3, x);
            Kernels.LookupU8(q, q.AsSpan(0, 256), q);
        }));

        // The loop ran real kernels: their output is what ArgMax sees.
        Assert.Equal(Array.IndexOf(y, y.Max()), Kernels.ArgMax(y));
    }
}
