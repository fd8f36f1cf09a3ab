namespace BuildOptim.Tests.Tasks;

/// <summary>A fact that needs a POSIX shell or /usr/bin tools; skipped on Windows.</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Needs /bin/sh and /usr/bin tools.";
        }
    }
}
