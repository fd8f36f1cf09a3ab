using System.Collections.Generic;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tasks
{
    /// <summary>Logs the CLI's output lines: coded diagnostics as such, the summary loudly, the rest quietly.</summary>
    internal sealed class ToolOutputRelay
    {
        private readonly TaskLoggingHelper _log;

        public ToolOutputRelay(TaskLoggingHelper log)
        {
            _log = log;
        }

        /// <summary>True once an error line has been relayed: the build already says why it failed.</summary>
        public bool RelayedError { get; private set; }

        /// <summary>The last line that was neither a diagnostic nor the summary (e.g. a runtime failure).</summary>
        public string? LastOtherLine { get; private set; }

        /// <summary>The summary and diagnostic lines, as the tool printed them: what a cache entry replays.</summary>
        public List<string> RecordedLines { get; } = new List<string>();

        /// <summary>True once an error other than a failed gate was relayed: such a run is not cached.</summary>
        public bool RelayedOtherError { get; private set; }

        public void Relay(string line)
        {
            ToolOutputLine parsed = ToolOutputLine.Parse(line);
            switch (parsed.Kind)
            {
                case ToolOutputKind.Diagnostic when !parsed.Diagnostic!.IsError && IsGateCode(parsed.Diagnostic.Code):
                    // The targets report a gate warning from the model's gate-warning.txt on every build, this one included.
                    RecordedLines.Add(line);
                    _log.LogMessage(MessageImportance.Low, "{0}", line);
                    break;
                case ToolOutputKind.Diagnostic:
                    RecordedLines.Add(line);
                    Log(_log, parsed.Diagnostic!);
                    RelayedError |= parsed.Diagnostic!.IsError;
                    RelayedOtherError |= parsed.Diagnostic!.IsError && !IsGateCode(parsed.Diagnostic.Code);
                    break;
                case ToolOutputKind.Progress:
                    _log.LogMessage(MessageImportance.Normal, "{0}", parsed.Text);
                    break;
                case ToolOutputKind.Summary:
                    RecordedLines.Add(line);
                    _log.LogMessage(MessageImportance.High, "{0}", parsed.Text);
                    break;
                default:
                    if (line.Trim().Length > 0)
                    {
                        LastOtherLine = line.Trim();
                    }
                    _log.LogMessage(MessageImportance.Low, "{0}", line);
                    break;
            }
        }

        /// <summary>The codes of a failed accuracy, agreement or cosine gate.</summary>
        internal static bool IsGateCode(string code) => DiagnosticIds.IsGateFailure(code);

        public static void Log(TaskLoggingHelper log, TaskDiagnostic diagnostic)
        {
            if (diagnostic.IsError)
            {
                log.LogError(null, diagnostic.Code, null, diagnostic.File, diagnostic.Line, diagnostic.Column, 0, 0, "{0}", diagnostic.Message);
            }
            else
            {
                log.LogWarning(null, diagnostic.Code, null, diagnostic.File, diagnostic.Line, diagnostic.Column, 0, 0, "{0}", diagnostic.Message);
            }
        }
    }
}
