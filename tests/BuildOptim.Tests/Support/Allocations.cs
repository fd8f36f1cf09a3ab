namespace BuildOptim.Tests;

/// <summary>Measures what a call allocates in the steady state, for the zero-allocation assertions.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes that any of <paramref name="rounds"/> rounds of <paramref name="calls"/> calls allocated on this
    /// thread, after one warm-up round. A per-call allocation shows in every round; a one-time one (the JIT promoting a
    /// method on a loaded machine, a lazy static) shows in one round only, so the minimum is the steady-state figure.
    /// </summary>
    public static long SteadyState(int calls, Action call, int rounds = 5)
    {
        for (int i = 0; i < calls; i++)
        {
            call();
        }

        long fewest = long.MaxValue;
        for (int round = 0; round < rounds && fewest != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                call();
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }
}
