using System.Globalization;

namespace BuildOptim.Cli;

/// <summary>A minimal <c>--name value</c> parser with one positional argument.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _named = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    public static Arguments Parse(ReadOnlySpan<string> args)
    {
        var result = new Arguments();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string name = arg[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                else if (i + 1 < args.Length)
                {
                    value = args[++i];
                }

                result._named[name] = value ?? throw new UsageException($"Option --{name} needs a value.");
            }
            else
            {
                result._positional.Add(arg);
            }
        }

        return result;
    }

    public string Positional(string what)
        => _positional.Count == 1 ? _positional[0] : throw new UsageException(_positional.Count == 0 ? $"Missing {what}." : $"Expected one {what}, got: {string.Join(" ", _positional)}.");

    public string? Get(string name)
    {
        _used.Add(name);
        return _named.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
    }

    public string Required(string name) => Get(name) ?? throw new UsageException($"Missing --{name}.");

    public double Number(string name, double fallback, string item)
    {
        string? text = Get(name);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new UsageException($"--{name} '{text}' for '{item}' is not a number.");
    }

    public T Enum<T>(string name, T fallback, string item)
        where T : struct, System.Enum
    {
        string? text = Get(name);
        if (text is null)
        {
            return fallback;
        }

        return System.Enum.TryParse<T>(text, ignoreCase: true, out var v) && System.Enum.IsDefined(v) && !int.TryParse(text, out _)
            ? v
            : throw new UsageException($"--{name} '{text}' for '{item}' must be one of: {string.Join(", ", System.Enum.GetNames<T>())}.");
    }

    public void RejectUnknown()
    {
        var unknown = _named.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"Unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }
}

/// <summary>A command line that cannot be understood: BOPT1201 with the usage text, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
