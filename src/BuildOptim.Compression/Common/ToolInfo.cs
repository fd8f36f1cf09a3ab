namespace BuildOptim.Compression;

/// <summary>The engine's version, stamped into every artifact (report, descriptor, QDQ export); no dependencies, so every folder may use it.</summary>
public static class ToolInfo
{
    public static string Version => typeof(ToolInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
