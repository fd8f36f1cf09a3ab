using BuildOptim.Runtime;
using BuildOptim.Tests.Generator;

namespace BuildOptim.Tests.Runtime.Services;

/// <summary>The pool over real runners: bounded, one caller per instance, leases that return once, disposal.</summary>
public sealed class ModelPoolTests
{
    private static readonly ModelPlan s_plan = ModelPlan.FromBytes(PlanBytes.FullyConnectedF32([1f, 2f, 3f, 4f, -1f, 0.5f, 0f, 2f], [0.5f, -1f], k: 4, n: 2));

    private static ModelPool<PlanRunner> Pool(int max, List<PlanRunner>? created = null)
        => new(() =>
        {
            var runner = new PlanRunner(s_plan);
            created?.Add(runner);
            return runner;
        }, max);

    [Fact]
    public void Instances_are_created_on_need_up_to_the_bound_and_reused()
    {
        var created = new List<PlanRunner>();
        using var pool = Pool(2, created);

        var first = pool.Rent();
        var second = pool.Rent();
        Assert.NotSame(first.Model, second.Model);
        PlanRunner firstModel = first.Model;
        first.Dispose();
        using var third = pool.Rent();

        Assert.Same(firstModel, third.Model);
        Assert.Equal(2, pool.Count);
        Assert.Equal(2, created.Count);
        second.Dispose();
    }

    [Fact]
    public async Task Rent_waits_while_every_instance_is_rented_and_goes_on_when_one_returns()
    {
        using var pool = Pool(1);
        var held = pool.Rent();

        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => pool.Rent(timeout.Token));
        }

        var waiter = Task.Run(() =>
        {
            using var lease = pool.Rent();
            return lease.Model;
        });
        Thread.Sleep(50);
        Assert.False(waiter.IsCompleted);
        PlanRunner model = held.Model;
        held.Dispose();

        Assert.Same(model, await waiter.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_lease_returns_once_however_often_it_or_its_copies_are_disposed()
    {
        using var pool = Pool(1);
        var lease = pool.Rent();
        var copy = lease;
        lease.Dispose();
        lease.Dispose();
        var next = pool.Rent(); // the instance is rented again: the stale copy must not return it
        copy.Dispose();

        Assert.Throws<InvalidOperationException>(() => copy.Model);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            Assert.ThrowsAny<OperationCanceledException>(() => pool.Rent(timeout.Token));
        }

        Assert.NotNull(next.Model);
        next.Dispose();
        Assert.Throws<InvalidOperationException>(() => default(ModelPool<PlanRunner>.Lease).Model);
    }

    [Fact]
    public void Dispose_disposes_idle_instances_at_once_and_rented_ones_when_they_return()
    {
        var created = new List<PlanRunner>();
        var pool = Pool(2, created);
        var idle = pool.Rent();
        var rented = pool.Rent();
        idle.Dispose();

        pool.Dispose();

        Assert.True(created[0].IsDisposed);
        Assert.False(created[1].IsDisposed);
        rented.Dispose();
        Assert.True(created[1].IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
        pool.Dispose(); // a second call does nothing
    }

    [Fact]
    public void A_factory_that_throws_gives_its_slot_back()
    {
        int calls = 0;
        using var pool = new ModelPool<PlanRunner>(() => ++calls == 1 ? throw new InvalidOperationException("first") : new PlanRunner(s_plan), 1);

        Assert.Throws<InvalidOperationException>(() => pool.Rent());
        using var lease = pool.Rent();

        Assert.NotNull(lease.Model);
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public void Bounds_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPool<PlanRunner>(() => new PlanRunner(s_plan), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelPool<PlanRunner>(() => new PlanRunner(s_plan), ModelPool<PlanRunner>.MaxPoolSize + 1));
        Assert.Equal(Math.Min(Environment.ProcessorCount, ModelPool<PlanRunner>.MaxPoolSize), new ModelPool<PlanRunner>(() => new PlanRunner(s_plan)).MaxInstances);
    }

    [Fact]
    public void Concurrent_callers_never_share_an_instance()
    {
        using var pool = Pool(3);
        int inUse = 0;
        int worst = 0;
        var holders = new System.Collections.Concurrent.ConcurrentDictionary<PlanRunner, int>();
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            using var lease = pool.Rent();
            Assert.True(holders.TryAdd(lease.Model, 0), "an instance was handed to two callers at once");
            int now = Interlocked.Increment(ref inUse);
            InterlockedMax(ref worst, now);
            Thread.SpinWait(200);
            Interlocked.Decrement(ref inUse);
            holders.TryRemove(lease.Model, out int _);
        });

        Assert.True(worst <= 3, $"{worst} instances were in use at once");
        Assert.True(pool.Count <= 3);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
