namespace BuildOptim.Runtime;

/// <summary>Creates pools of generated model classes.</summary>
public static class ModelPool
{
    /// <summary>
    /// A pool of at most <paramref name="maxInstances"/> instances of <typeparamref name="TModel"/>, each created on first
    /// need with <paramref name="parallelism"/>.
    /// </summary>
    /// <param name="maxInstances">The most instances alive at once; 0 takes <see cref="Environment.ProcessorCount"/>.</param>
    /// <param name="parallelism">Threads each instance may use (see the generated constructor); 1 by default.</param>
    public static ModelPool<TModel> Create<TModel>(int maxInstances = 0, int parallelism = 1)
        where TModel : class, ICompressedModel<TModel>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        return new ModelPool<TModel>(() => TModel.Create(parallelism), maxInstances);
    }
}

/// <summary>
/// A bounded, thread-safe pool of model instances for serving many requests: <see cref="Rent"/> hands each caller an
/// instance no other caller holds (a model instance owns its scratch memory and is not thread-safe), and the lease
/// returns it. Instances are created on first need, up to <see cref="MaxInstances"/>; when all are rented,
/// <see cref="Rent"/> waits for one to come back. Renting and returning allocate nothing once the instances exist.
/// </summary>
/// <example>
/// <code>
/// using var lease = pool.Rent();
/// int label = lease.Model.Predict(pixels);
/// </code>
/// </example>
/// <typeparam name="TModel">The model class.</typeparam>
public sealed class ModelPool<TModel> : IDisposable
    where TModel : class, IDisposable
{
    /// <summary>The most instances a pool may hold.</summary>
    public const int MaxPoolSize = 1024;

    /// <summary>The low bit of a slot word: the instance is rented (or disposed); the rest counts its rentals.</summary>
    private const long RentedBit = 1;

    private readonly Func<TModel> _factory;
    private readonly TModel?[] _instances;
    private readonly long[] _slots;
    private readonly SemaphoreSlim _available;
    private readonly object _createLock = new();
    private volatile int _created;
    private volatile bool _disposed;

    /// <summary>A pool whose instances <paramref name="factory"/> creates, at most <paramref name="maxInstances"/> of them.</summary>
    /// <param name="factory">Creates one instance; called on the renting thread, at most <see cref="MaxInstances"/> times.</param>
    /// <param name="maxInstances">1 to <see cref="MaxPoolSize"/>; 0 takes <see cref="Environment.ProcessorCount"/>.</param>
    public ModelPool(Func<TModel> factory, int maxInstances = 0)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfNegative(maxInstances);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxInstances, MaxPoolSize);
        int size = maxInstances == 0 ? Math.Min(Environment.ProcessorCount, MaxPoolSize) : maxInstances;
        _factory = factory;
        _instances = new TModel?[size];
        _slots = new long[size];
        _available = new SemaphoreSlim(size, size);
    }

    /// <summary>The most instances this pool holds at once.</summary>
    public int MaxInstances => _instances.Length;

    /// <summary>Instances created so far (at most <see cref="MaxInstances"/>).</summary>
    public int Count => _created;

    /// <summary>
    /// An instance that no other caller holds until the lease is disposed; waits while all <see cref="MaxInstances"/>
    /// are rented.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled while waiting.</exception>
    public Lease Rent(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _available.Wait(cancellationToken);
        try
        {
            // The semaphore holds one count per instance that is idle or not created yet: one of them is ours.
            while (true)
            {
                int created = _created;
                for (int i = 0; i < created; i++)
                {
                    long slot = Volatile.Read(ref _slots[i]);
                    if ((slot & RentedBit) == 0)
                    {
                        long rented = slot + 2 + RentedBit; // the next rental's word: a lease of an earlier rental cannot return it
                        if (Interlocked.CompareExchange(ref _slots[i], rented, slot) == slot)
                        {
                            return new Lease(this, i, rented);
                        }
                    }
                }

                lock (_createLock)
                {
                    if (_created < _instances.Length)
                    {
                        ObjectDisposedException.ThrowIf(_disposed, this);
                        int index = _created;
                        _instances[index] = _factory() ?? throw new InvalidOperationException("The model factory returned null.");
                        _slots[index] = RentedBit;
                        _created = index + 1; // published after the instance: scanners never see an empty slot
                        return new Lease(this, index, RentedBit);
                    }
                }

                // Every instance exists and another renter took the idle one first; ours is being returned.
                ObjectDisposedException.ThrowIf(_disposed, this);
                Thread.Yield();
            }
        }
        catch
        {
            _available.Release();
            throw;
        }
    }

    /// <summary>Disposes the idle instances; rented ones are disposed when their lease ends. Renting then throws.</summary>
    public void Dispose()
    {
        lock (_createLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        for (int i = 0; i < _created; i++)
        {
            DisposeIfIdle(i);
        }
    }

    /// <summary>True when <paramref name="token"/> is the current rental of slot <paramref name="index"/>.</summary>
    private bool Holds(int index, long token) => Volatile.Read(ref _slots[index]) == token;

    private void Return(int index, long token)
    {
        // A copy of a lease that was returned already holds an old token: it returns nothing.
        if (Interlocked.CompareExchange(ref _slots[index], token & ~RentedBit, token) != token)
        {
            return;
        }

        _available.Release();

        // Dispose may have run before this instance was idle and left it: dispose it now.
        if (_disposed)
        {
            DisposeIfIdle(index);
        }
    }

    private void DisposeIfIdle(int index)
    {
        long slot = Volatile.Read(ref _slots[index]);
        // Marked as the next rental, which no lease holds: a returned lease of this slot still returns nothing.
        if ((slot & RentedBit) == 0 && Interlocked.CompareExchange(ref _slots[index], slot + 2 + RentedBit, slot) == slot)
        {
            _instances[index]!.Dispose();
        }
    }

    /// <summary>
    /// One rented instance; disposing the lease returns it to the pool. Only once: disposing it again, or a copy of it,
    /// does nothing.
    /// </summary>
    public readonly struct Lease : IDisposable
    {
        private readonly ModelPool<TModel>? _pool;
        private readonly int _index;
        private readonly long _token;

        internal Lease(ModelPool<TModel> pool, int index, long token)
        {
            _pool = pool;
            _index = index;
            _token = token;
        }

        /// <summary>The rented instance: use it only until the lease is disposed.</summary>
        /// <exception cref="InvalidOperationException">The lease was returned, or is the default value.</exception>
        public TModel Model => _pool is { } pool && pool.Holds(_index, _token)
            ? pool._instances[_index]!
            : throw new InvalidOperationException("This lease was returned to its pool: rent another.");

        /// <summary>Returns the instance to the pool.</summary>
        public void Dispose() => _pool?.Return(_index, _token);
    }
}
