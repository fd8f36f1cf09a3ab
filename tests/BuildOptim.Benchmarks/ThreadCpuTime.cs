using System.Runtime.InteropServices;

namespace BuildOptim.Benchmarks;

/// <summary>
/// The calling thread's processor time in microseconds (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>, nanosecond resolution): on a VM
/// shared with other work it leaves out the time other processes held the core, which wall time counts. The process's
/// <c>TotalProcessorTime</c> is counted in scheduler ticks (10 ms), too coarse for rounds of a few tens of milliseconds.
/// </summary>
internal static partial class ThreadCpuTime
{
    private const int ThreadCpuClock = 3;

    public static bool IsSupported => OperatingSystem.IsLinux();

    public static double Microseconds()
    {
        if (ClockGetTime(ThreadCpuClock, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        }

        return (time.Seconds * 1e6) + (time.Nanoseconds / 1e3);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);
}
