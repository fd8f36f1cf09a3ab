using System.Globalization;
using System.Text;

namespace BuildOptim.Generator;

/// <summary>
/// Text from a model file (input and output names, file names) made safe for the one place it reaches
/// generated source: inside <c>///</c> comments and diagnostics. C# ends a comment line at
/// U+000A, U+000D, U+0085, U+2028 and U+2029, so any of them in a model's input name would turn the rest
/// of the name into code; bidirectional overrides (format characters) can make the code read differently
/// from what it does. Such characters never survive.
/// </summary>
internal static class SafeText
{
    /// <summary>Longer names are cut here and end with "...": they are for display only.</summary>
    public const int MaxLength = 200;

    /// <summary>What replaces a character that may not reach generated source.</summary>
    public const char Replacement = '?';

    /// <summary>
    /// <paramref name="text"/> with every control, format, line or paragraph separator, private-use,
    /// unassigned and unpaired surrogate character replaced by <see cref="Replacement"/>, cut to
    /// <paramref name="maxLength"/> characters.
    /// </summary>
    public static string ForComment(string text, int maxLength = MaxLength)
    {
        var builder = new StringBuilder(System.Math.Min(text.Length, maxLength) + 3);
        int i = 0;
        for (; i < text.Length && builder.Length < maxLength; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                bool safe = IsSafe(CharUnicodeInfo.GetUnicodeCategory(text, i));
                builder.Append(safe ? c : Replacement);
                if (safe)
                {
                    builder.Append(text[i + 1]);
                }

                i++;
                continue;
            }

            builder.Append(IsSafe(CharUnicodeInfo.GetUnicodeCategory(c)) ? c : Replacement);
        }

        if (i < text.Length)
        {
            builder.Append("...");
        }

        return builder.ToString();
    }

    /// <summary>True when <paramref name="text"/> would pass <see cref="ForComment"/> unchanged.</summary>
    public static bool IsSafe(string text) => ForComment(text, int.MaxValue) == text;

    private static bool IsSafe(UnicodeCategory category) => category switch
    {
        UnicodeCategory.Control => false,
        UnicodeCategory.Format => false,
        UnicodeCategory.LineSeparator => false,
        UnicodeCategory.ParagraphSeparator => false,
        UnicodeCategory.Surrogate => false,
        UnicodeCategory.PrivateUse => false,
        UnicodeCategory.OtherNotAssigned => false,
        _ => true,
    };
}
