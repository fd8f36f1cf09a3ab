namespace BuildOptim.Runtime;

/// <summary>
/// Disposing a runner stops its helper threads at once (without it they exit within about a second of the runner's
/// collection). A disposed runner refuses to run.
/// </summary>
public sealed partial class PlanRunner : IDisposable
{
    /// <summary>How long <see cref="Dispose"/> waits for each helper thread to exit.</summary>
    private static readonly TimeSpan HelperExitWait = TimeSpan.FromSeconds(5);

    private volatile bool _disposed;

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Stops the helper threads of a runner with a <see cref="Parallelism"/> above 1 and waits for them to exit.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var worker in _workers)
        {
            worker.Stop();
        }

        foreach (var worker in _workers)
        {
            if (worker.Thread != Thread.CurrentThread)
            {
                worker.Thread.Join(HelperExitWait);
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
