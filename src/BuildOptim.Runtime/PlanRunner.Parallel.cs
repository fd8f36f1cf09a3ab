using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using BuildOptim.Runtime.Ops;

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
    /// Runs an op split by output channels (<see cref="IChannelSplittable"/>: an int8 convolution without groups, of at least
    /// the runner's threshold of multiply-accumulates, <see cref="ParallelMinimumMacs"/> by default): slices 1.. go to the
    /// runner's helper threads, slice 0 runs here, then this thread waits for the others. Each slice is the same kernel on a
    /// sub-convolution (its weights, biases, requantization and output rows), so the result is bit-identical to one thread's.
    /// </summary>
    private void ExecuteParallel(int index)
    {
        var op = (IChannelSplittable)_executors[index];
        int channels = op.Channels, block = op.ChannelBlock;
        int blocks = (channels + block - 1) / block;
        int parts = Math.Min(Parallelism, blocks);
        for (int t = 1; t < parts; t++)
        {
            _workers[t - 1].Start(index, ChannelStart(t, parts, blocks, block, channels), ChannelStart(t + 1, parts, blocks, block, channels));
        }

        Exception? failure = null;
        try
        {
            op.RunChannels(0, ChannelStart(1, parts, blocks, block, channels), _scratch.Bytes, _scratch.Accumulator);
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

    /// <summary>The first channel of slice <paramref name="t"/> of <paramref name="parts"/>: whole blocks, spread evenly.</summary>
    private static int ChannelStart(int t, int parts, int blocks, int block, int channels)
        => Math.Min(channels, (int)((long)blocks * t / parts) * block);

    /// <summary>Output channels [<paramref name="first"/>, <paramref name="end"/>) of op <paramref name="index"/>, on a helper's scratch.</summary>
    private void RunChannels(int index, int first, int end, byte[] scratch)
        => ((IChannelSplittable)_executors[index]).RunChannels(first, end, scratch, []);

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
        private volatile bool _stopped;

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

        /// <summary>Asks the helper's thread to exit now (the runner was disposed).</summary>
        public void Stop()
        {
            _stopped = true;
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
                    if (_stopped || !RunnerAlive())
                    {
                        return;
                    }

                    continue;
                }

                if (_stopped)
                {
                    return;
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
                    runner.RunChannels(_index, _first, _end, _scratch);
                }
            }
            catch (Exception e)
            {
                _failure = e;
            }
        }
    }
}
