using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace BuildOptim.Runtime;

public sealed partial class PlanRunner
{
    /// <summary>
    /// Multiply-accumulates below which a convolution runs on the calling thread alone: waking a helper thread and waiting
    /// for it costs microseconds, about what 2 M MACs take on one core.
    /// </summary>
    public const long ParallelMinimumMacs = 2_000_000;

    /// <summary>The most threads one <see cref="Run(ReadOnlySpan{float}, Span{float})"/> uses (1: the calling thread only).</summary>
    public int Parallelism { get; }

    /// <summary>
    /// Whether op <paramref name="index"/> is split across <see cref="Parallelism"/> threads: an int8 convolution without
    /// groups (each thread computes a contiguous range of output channels, a multiple of the 6-channel tile, with its own
    /// scratch) of at least <paramref name="minimumMacs"/> multiply-accumulates (<see cref="ParallelMinimumMacs"/>).
    /// </summary>
    private bool RunsInParallel(int index, long minimumMacs)
    {
        var op = _ops[index];
        if (Parallelism == 1 || op.Kind is not (OpKind.ConvU8S8ToU8 or OpKind.ConvSharedU8U4ToU8))
        {
            return false;
        }

        var g = op.Conv(1);
        return g.Group == 1 && g.M >= 2 * ConvChannelBlock && (long)g.M * g.PatchLength * g.OH * g.OW * op.P[0] >= minimumMacs;
    }

    /// <summary>Output channels per packed weight block of the convolution kernel (<c>Kernels.PackConvU8S8Weights</c>).</summary>
    private const int ConvChannelBlock = 6;

    /// <summary>
    /// Runs a convolution split by output channels: slices 1.. go to the runner's helper threads, slice 0 runs here, then
    /// this thread waits for the others. Each slice is the same kernel on a sub-convolution (its weights, biases,
    /// requantization and output rows), so the result is bit-identical to one thread's.
    /// </summary>
    private void ExecuteParallel(int index)
    {
        var g = _ops[index].Conv(1);
        int blocks = (g.M + ConvChannelBlock - 1) / ConvChannelBlock;
        int parts = Math.Min(Parallelism, blocks);
        for (int t = 1; t < parts; t++)
        {
            _workers[t - 1].Start(index, ChannelStart(t, parts, blocks, g.M), ChannelStart(t + 1, parts, blocks, g.M));
        }

        Exception? failure = null;
        try
        {
            ExecuteConvChannels(index, 0, ChannelStart(1, parts, blocks, g.M), _byteScratch, _accumulator);
        }
        catch (Exception e)
        {
            failure = e;
        }

        for (int t = 1; t < parts; t++)
        {
            failure ??= _workers[t - 1].WaitAndTakeFailure();
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    /// <summary>The first channel of slice <paramref name="t"/> of <paramref name="parts"/>: whole 6-channel blocks, spread evenly.</summary>
    private static int ChannelStart(int t, int parts, int blocks, int channels)
        => Math.Min(channels, (int)((long)blocks * t / parts) * ConvChannelBlock);

    /// <summary>
    /// Output channels [<paramref name="first"/>, <paramref name="end"/>) of an int8 convolution op (plain or over shared
    /// weights), every sample of its batch; all of them (0, M) is the op itself.
    /// </summary>
    private void ExecuteConvChannels(int index, int first, int end, byte[] scratch, int[] accumulator)
    {
        var op = _ops[index];
        var p = op.P;
        var g = op.Conv(1);
        var slice = g with { M = end - first };
        int patch = g.PatchLength;
        int pixels = g.OH * g.OW;
        int batch = p[0];
        ReadOnlySpan<sbyte> weights;
        ReadOnlySpan<int> packed;
        if (_prepared[index] is SharedConvWeights shared)
        {
            weights = shared.Weights;
            packed = shared.Packed;
        }
        else
        {
            weights = _plan.Data<sbyte>(op.D[0], g.M * patch);
            packed = (int[])_prepared[index]!;
        }

        // Shared convolutions keep their bias, multiplier and shift in D[2..4], plain ones in D[1..3].
        int d = op.Kind == OpKind.ConvSharedU8U4ToU8 ? 2 : 1;
        var bias = _plan.Data<int>(op.D[d], g.M).Slice(first, slice.M);
        var mult = _plan.Data<int>(op.D[d + 1], g.M).Slice(first, slice.M);
        var shift = _plan.Data<int>(op.D[d + 2], g.M).Slice(first, slice.M);
        var w = weights.Slice(first * patch, slice.M * patch);
        int pairs = (patch + 1) / 2;
        var packedSlice = packed.Slice(first / ConvChannelBlock * pairs * ConvChannelBlock, Kernels.ConvU8S8PackedWeightsLength(slice));
        var x = B(op.Inputs[0], batch * g.InputLength);
        if (_pooledBy[index] >= 0)
        {
            // A 2 × 2 MaxPool fused in (see FusePools): the convolution writes the pool's output.
            int pooled = (g.OH / 2) * (g.OW / 2);
            var yPooled = B(_ops[_pooledBy[index]].Outputs[0], batch * g.M * pooled);
            for (int b = 0; b < batch; b++)
            {
                Kernels.ConvU8S8MaxPool2x2(x.Slice(b * g.InputLength, g.InputLength), slice, (byte)p[16], w, packedSlice, bias, mult, shift, p[17], (byte)p[18], (byte)p[19], scratch, accumulator, yPooled.Slice(((b * g.M) + first) * pooled, slice.M * pooled), SimdLevel.Vector512, _convLayouts[index]);
            }

            return;
        }

        var y = B(op.Outputs[0], batch * g.OutputLength);
        for (int b = 0; b < batch; b++)
        {
            Kernels.ConvU8S8(x.Slice(b * g.InputLength, g.InputLength), slice, (byte)p[16], w, packedSlice, bias, mult, shift, p[17], (byte)p[18], (byte)p[19], scratch, accumulator, y.Slice((b * g.OutputLength) + (first * pixels), slice.M * pixels), SimdLevel.Vector512, _convLayouts[index]);
        }
    }

    /// <summary>The helpers' threads (tests of their lifetime).</summary>
    internal IEnumerable<Thread> HelperThreads => _workers.Select(w => w.Thread);

    /// <summary>
    /// One helper of a parallel runner: a background thread of its own (not the thread pool, which a busy app may have
    /// saturated, and which allocates on the queuing thread while it adds workers), its own scratch, the slice to run, and
    /// two events. The thread holds its runner only weakly: while idle it wakes every <see cref="IdleCheckMilliseconds"/>
    /// and exits once the runner has been collected, so a dropped runner takes its threads with it.
    /// </summary>
    private sealed class ConvWorker
    {
        /// <summary>How often an idle helper checks that its runner is still alive.</summary>
        internal const int IdleCheckMilliseconds = 1000;

        private readonly WeakReference<PlanRunner> _runner;
        private readonly byte[] _scratch;
        private readonly ManualResetEventSlim _go = CreateEvent();
        private readonly ManualResetEventSlim _done = CreateEvent();
        private int _index;
        private int _first;
        private int _end;
        private Exception? _failure;

        public ConvWorker(PlanRunner runner, int scratchBytes)
        {
            _runner = new WeakReference<PlanRunner>(runner);
            _scratch = new byte[scratchBytes];
            Thread = new Thread(Loop) { IsBackground = true, Name = "BuildOptim convolution helper" };
            Thread.Start();
        }

        public Thread Thread { get; }

        public long ScratchBytes => _scratch.Length;

        /// <summary>
        /// An event made to block once so that it creates its lock object now: a later wait that outlasts the spinning (a
        /// busy machine) would otherwise allocate it during a run, on the calling thread for the completion event.
        /// </summary>
        private static ManualResetEventSlim CreateEvent()
        {
            var e = new ManualResetEventSlim(initialState: false);
            e.Wait(1);
            return e;
        }

        /// <summary>Hands the helper channels [<paramref name="first"/>, <paramref name="end"/>) of op <paramref name="index"/>.</summary>
        public void Start(int index, int first, int end)
        {
            _index = index;
            _first = first;
            _end = end;
            _failure = null;
            _done.Reset();
            _go.Set();
        }

        public Exception? WaitAndTakeFailure()
        {
            _done.Wait();
            return _failure;
        }

        private void Loop()
        {
            while (true)
            {
                if (!_go.Wait(IdleCheckMilliseconds))
                {
                    if (!RunnerAlive())
                    {
                        return;
                    }

                    continue;
                }

                _go.Reset();
                RunAssigned();
                _done.Set();
            }
        }

        /// <summary>Whether the runner is still reachable; in a frame of its own, so that no reference to it stays on this thread's stack.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private bool RunnerAlive() => _runner.TryGetTarget(out _);

        /// <summary>Runs the assigned slice; the strong reference to the runner lives in this frame only.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void RunAssigned()
        {
            try
            {
                if (_runner.TryGetTarget(out var runner))
                {
                    runner.ExecuteConvChannels(_index, _first, _end, _scratch, []);
                }
            }
            catch (Exception e)
            {
                _failure = e;
            }
        }
    }
}
