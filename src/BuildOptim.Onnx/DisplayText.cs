using System.Globalization;
using System.Text;

namespace BuildOptim.Onnx;

/// <summary>
/// Strings taken from a model file (tensor, node and file names), made safe to show: in the generator's
/// descriptor (one <c>key=value</c> per line, whose names end up in <c>///</c> comments of generated
/// source) and in one-line diagnostics. A name is never copied into code; here it also loses every
/// character that could end a line (U+000A, U+000D, U+0085, U+2028, U+2029), hide what text says
/// (format characters such as bidirectional overrides) or not print at all.
/// </summary>
public static class DisplayText
{
    /// <summary>Longer names are cut here and end with "...".</summary>
    public const int MaxLength = 200;

    /// <summary>What replaces a character that is not safe to show.</summary>
    public const char Replacement = '?';

    /// <summary>
    /// <paramref name="text"/> with each control, format, line or paragraph separator, private-use,
    /// unassigned or unpaired surrogate character replaced by <see cref="Replacement"/>, cut to
    /// <paramref name="maxLength"/> characters.
    /// </summary>
    public static string Safe(string text, int maxLength = MaxLength)
    {
        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 3);
        int i = 0;
        for (; i < text.Length && builder.Length < maxLength; i++)
        {
            if (char.IsSurrogatePair(text, i))
            {
                if (IsSafe(CharUnicodeInfo.GetUnicodeCategory(text, i)))
                {
                    builder.Append(text, i, 2);
                }
                else
                {
                    builder.Append(Replacement);
                }

                i++;
                continue;
            }

            builder.Append(IsSafe(CharUnicodeInfo.GetUnicodeCategory(text[i])) ? text[i] : Replacement);
        }

        if (i < text.Length)
        {
            builder.Append("...");
        }

        return builder.ToString();
    }

    /// <summary>A diagnostic message on one line: long messages are kept whole, unsafe characters replaced.</summary>
    public static string OneLine(string message) => Safe(message, int.MaxValue);

    private static bool IsSafe(UnicodeCategory category) => category is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
        or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
        or UnicodeCategory.OtherNotAssigned);
}
