using System;
using System.Globalization;

namespace BuildOptim.Generator;

/// <summary>The descriptor keys of the service-ready API: a classifier's score kind and class names.</summary>
internal static partial class Parser
{
    /// <summary>
    /// <c>scores</c> and <c>classNames</c>/<c>classNames.N</c>. The names come from a user's file through the engine and are
    /// read as hostile text: bounded in count and length, percent-decoded, and kept only when they are printable text on one
    /// line (<see cref="SafeText.IsSafe"/>); the emitter writes them as escaped string literals, never as code.
    /// </summary>
    private static (EquatableArray<string> Names, string ScoreKind) ReadClassifierKeys(DescriptorReader reader, bool classifier, int outputLength)
    {
        string scoreKind = DescriptorKeys.ScoreKinds[0];
        if (reader.TryGetRaw(DescriptorKeys.Scores, out var scores, out _) && scores.Length > 0)
        {
            if (Array.IndexOf(DescriptorKeys.ScoreKinds, scores) < 0)
            {
                reader.MalformedAt(DescriptorKeys.Scores, "'" + DescriptorKeys.Scores + "' must be one of " + string.Join(", ", DescriptorKeys.ScoreKinds) + ", found '" + scores + "'");
            }
            else
            {
                scoreKind = scores;
            }
        }

        if (!reader.TryGetRaw(DescriptorKeys.ClassNameCount, out var countText, out _) || countText.Length == 0)
        {
            return (EquatableArray<string>.Empty, scoreKind);
        }

        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > DescriptorKeys.MaxClassNames)
        {
            reader.MalformedAt(DescriptorKeys.ClassNameCount, "'" + DescriptorKeys.ClassNameCount + "' must be a whole number from 1 to " + DescriptorKeys.MaxClassNames.ToString(CultureInfo.InvariantCulture) + ", found '" + countText + "'");
            return (EquatableArray<string>.Empty, scoreKind);
        }

        if (!classifier || count != outputLength)
        {
            reader.MalformedAt(DescriptorKeys.ClassNameCount, "'" + DescriptorKeys.ClassNameCount + "' (" + countText + ") must equal the output length of a classifier (" + outputLength.ToString(CultureInfo.InvariantCulture) + ")");
            return (EquatableArray<string>.Empty, scoreKind);
        }

        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            string key = DescriptorKeys.ClassNamePrefix + i.ToString(CultureInfo.InvariantCulture);
            if (!reader.TryGetRaw(key, out var encoded, out _) || encoded.Length == 0)
            {
                reader.MalformedAt(key, "the class name '" + key + "' is missing");
                return (EquatableArray<string>.Empty, scoreKind);
            }

            string name = Uri.UnescapeDataString(encoded);
            if (name.Length > DescriptorKeys.MaxClassNameLength || !SafeText.IsSafe(name))
            {
                reader.MalformedAt(key, "the class name '" + key + "' must be printable text on one line of at most " + DescriptorKeys.MaxClassNameLength.ToString(CultureInfo.InvariantCulture) + " characters");
                return (EquatableArray<string>.Empty, scoreKind);
            }

            names[i] = name;
        }

        return (new EquatableArray<string>(names), scoreKind);
    }
}
