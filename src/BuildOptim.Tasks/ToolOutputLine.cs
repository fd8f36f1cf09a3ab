using System.Text.RegularExpressions;

namespace BuildOptim.Tasks
{
    internal enum ToolOutputKind
    {
        /// <summary>Anything else: logged at low importance.</summary>
        Other,
        /// <summary>The one-line result, <c>BuildOptim: ...</c>: logged at high importance.</summary>
        Summary,
        /// <summary>A canonical <c>FILE: error BOPTnnnn: message</c> line: relayed with its code.</summary>
        Diagnostic,
        /// <summary>A progress line of a long step, <c>BuildOptim distill: epoch ...</c>: logged at normal importance.</summary>
        Progress,
    }

    /// <summary>Classifies one line the CLI printed on stdout or stderr.</summary>
    internal sealed class ToolOutputLine
    {
        public const string SummaryPrefix = "BuildOptim:";

        /// <summary>The CLI's progress lines (the engine's <c>Compressor.ProgressPrefix</c>).</summary>
        public const string ProgressPrefix = "BuildOptim distill:";

        // FILE[(line[,column])]: error|warning BOPTnnnn: message. The origin is optional; it may hold
        // drive-letter colons, hence the lazy match anchored on the category that follows.
        private static readonly Regex CanonicalDiagnostic = new Regex(
            @"^\s*(?:(?<origin>.*?)(?:\((?<line>\d+)(?:,(?<column>\d+))?\))?\s*:\s*)?(?<category>error|warning)\s+(?<code>BOPT\d{4})\s*:\s*(?<text>.*)$",
            RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture);

        private ToolOutputLine(ToolOutputKind kind, string text, TaskDiagnostic? diagnostic)
        {
            Kind = kind;
            Text = text;
            Diagnostic = diagnostic;
        }

        public ToolOutputKind Kind { get; }
        public string Text { get; }
        public TaskDiagnostic? Diagnostic { get; }

        public static ToolOutputLine Parse(string line)
        {
            Match match = CanonicalDiagnostic.Match(line);
            if (match.Success)
            {
                int.TryParse(match.Groups["line"].Value, out int lineNumber);
                int.TryParse(match.Groups["column"].Value, out int column);
                var diagnostic = new TaskDiagnostic(
                    isError: match.Groups["category"].Value == "error",
                    code: match.Groups["code"].Value,
                    file: match.Groups["origin"].Value.Trim(),
                    message: match.Groups["text"].Value.TrimEnd(),
                    line: lineNumber,
                    column: column);
                return new ToolOutputLine(ToolOutputKind.Diagnostic, line, diagnostic);
            }
            if (line.StartsWith(ProgressPrefix, System.StringComparison.Ordinal))
            {
                return new ToolOutputLine(ToolOutputKind.Progress, line, null);
            }
            if (line.StartsWith(SummaryPrefix, System.StringComparison.Ordinal))
            {
                return new ToolOutputLine(ToolOutputKind.Summary, line, null);
            }
            return new ToolOutputLine(ToolOutputKind.Other, line, null);
        }
    }
}
