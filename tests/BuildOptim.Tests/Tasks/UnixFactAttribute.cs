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

/// <summary>A theory that needs a POSIX shell or /usr/bin tools; skipped on Windows.</summary>
public sealed class UnixTheoryAttribute : TheoryAttribute
{
    public UnixTheoryAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Needs /bin/sh and /usr/bin tools.";
        }
    }
}
