using System.Net;
using BuildOptim.Onnx;

namespace BuildOptim.Compression.Reporting;

/// <summary>Text for report.html. Everything shown there may come from a model file (names), so all of it goes through here.</summary>
internal static class Html
{
    /// <summary>Longest text shown (a gate message with its advice fits).</summary>
    public const int MaxTextLength = 4000;

    /// <summary>
    /// <paramref name="text"/> safe inside an element or a quoted attribute: control and format characters replaced
    /// (<see cref="DisplayText"/>), then <c>&amp; &lt; &gt; " '</c> as character references.
    /// </summary>
    public static string Text(string text, int maxLength = MaxTextLength) => WebUtility.HtmlEncode(DisplayText.Safe(text, maxLength));

    /// <summary>A name from the model, cut like every displayed name (<see cref="DisplayText.MaxLength"/>).</summary>
    public static string Name(string name) => Text(name, DisplayText.MaxLength);
}
