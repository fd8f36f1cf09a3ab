using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.Build.Framework;

namespace BuildOptim.Tasks
{
    /// <summary>The compression cache's side of the task: look the key up, restore and replay a hit, store a completed run.</summary>
    public sealed partial class CompressModel
    {
        /// <summary>What the build line of a hit carries before "; report: ", with the key's first characters.</summary>
        internal const string CacheHitMarker = "[cache hit ";

        private const string ReportSeparator = "; report: ";

        /// <summary>The content key, or null without a cache (or when an input cannot be read: the engine then says why).</summary>
        private string? CacheKeyOf(CompressRequest request, string toolPath)
        {
            if (string.IsNullOrWhiteSpace(CacheDirectory))
            {
                return null;
            }

            try
            {
                return CacheKey.Compute(request, toolPath);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogMessage(MessageImportance.Normal, "BuildOptim cache: '{0}' is compressed without the cache: {1}", request.ItemSpec, e.Message);
                return null;
            }
        }

        /// <summary>
        /// True when the cache held the key and its entry is now in the output folder (or an error says why it cannot be):
        /// its summary and diagnostics are replayed, so a failed gate fails this build too. A corrupt entry is evicted (false).
        /// </summary>
        private bool TryRestore(string key, CompressRequest request, string errorFile, string projectDirectory)
        {
            string cacheDirectory = CacheDirectoryPath(projectDirectory);
            try
            {
                CacheEntry? entry = ArtifactCache.Find(cacheDirectory, key);
                if (entry == null)
                {
                    return false;
                }

                string? foreign = ArtifactRestore.Restore(entry, request.OutputDirectory, request.ItemSpec);
                if (foreign != null)
                {
                    Report(TaskDiagnostic.Error(DiagnosticIds.ForeignFile, errorFile, foreign));
                    return true;
                }

                Replay(entry, request, projectDirectory);
                return true;
            }
            catch (CorruptCacheEntryException e)
            {
                Log.LogMessage(MessageImportance.Normal, "BuildOptim cache: the entry of '{0}' is damaged ({1}); it is removed and the model compressed again.", request.ItemSpec, e.Message);
                ArtifactCache.Evict(cacheDirectory, key);
                return false;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Report(TaskDiagnostic.Warning(DiagnosticIds.CacheNotUsable, errorFile,
                    $"ModelToCompress '{request.ItemSpec}': the compression cache '{cacheDirectory}' could not be read ({e.Message}); the model is compressed without it."));
                return false;
            }
        }

        /// <summary>A run is cached when the engine finished: its summary printed, and no error but a failed gate.</summary>
        private bool IsCacheable(ToolOutputRelay relay, int exitCode) =>
            !_cancelled
            && !relay.RelayedOtherError
            && (exitCode == 0 || relay.RelayedError)
            && relay.RecordedLines.Any(line => ToolOutputLine.Parse(line).Kind == ToolOutputKind.Summary);

        private void Store(string key, CompressRequest request, ToolOutputRelay relay, string errorFile, string projectDirectory)
        {
            string cacheDirectory = CacheDirectoryPath(projectDirectory);
            try
            {
                var names = ArtifactRestore.ReadManifest(request.OutputDirectory);
                if (names.Count > 0 && ArtifactCache.Store(cacheDirectory, key, request.OutputDirectory, names, relay.RecordedLines, projectDirectory))
                {
                    Log.LogMessage(MessageImportance.Low, "BuildOptim cache: stored the artifacts of '{0}' as {1}.", request.ItemSpec, key);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                Report(TaskDiagnostic.Warning(DiagnosticIds.CacheNotUsable, errorFile,
                    $"ModelToCompress '{request.ItemSpec}': the compression cache '{cacheDirectory}' could not be written ({e.Message}); the next build compresses the model again."));
            }
        }

        /// <summary>
        /// Relays the entry's lines as the engine printed them, with this build's output folder and project folder in place of
        /// the ones it ran with, and the build line marked as a cache hit. A design-time build only logs them quietly.
        /// </summary>
        private void Replay(CacheEntry entry, CompressRequest request, string projectDirectory)
        {
            var relay = new ToolOutputRelay(Log);
            foreach (string recorded in entry.Lines)
            {
                string line = ReplacePaths(recorded, entry.OutputDirectory, request.OutputDirectory, entry.ProjectDirectory, projectDirectory);
                if (DesignTime)
                {
                    Log.LogMessage(MessageImportance.Low, "{0}", line);
                    continue;
                }

                relay.Relay(ToolOutputLine.Parse(line).Kind == ToolOutputKind.Summary ? MarkCacheHit(line, entry.Key) : line);
            }
        }

        /// <summary><c>BuildOptim: ... gate passed: ... [cache hit 0123456789ab]; report: PATH</c>.</summary>
        internal static string MarkCacheHit(string summaryLine, string key)
        {
            string marker = CacheHitMarker + key.Substring(0, Math.Min(12, key.Length)) + "]";
            int report = summaryLine.LastIndexOf(ReportSeparator, StringComparison.Ordinal);
            return report < 0 ? summaryLine + " " + marker : summaryLine.Substring(0, report) + " " + marker + summaryLine.Substring(report);
        }

        /// <summary>Both folders replaced in one pass (the longer first where one contains the other).</summary>
        internal static string ReplacePaths(string line, string oldOutput, string newOutput, string oldProject, string newProject)
        {
            var map = new[] { (Old: oldOutput, New: newOutput), (Old: oldProject, New: newProject) }
                .Where(p => p.Old.Length > 0 && p.Old != p.New)
                .OrderByDescending(p => p.Old.Length)
                .ToList();
            if (map.Count == 0)
            {
                return line;
            }

            var pattern = new Regex(string.Join("|", map.Select(p => Regex.Escape(p.Old))), RegexOptions.CultureInvariant);
            return pattern.Replace(line, match => map.First(p => p.Old == match.Value).New);
        }

        private string CacheDirectoryPath(string projectDirectory) => Path.GetFullPath(Path.Combine(projectDirectory, CacheDirectory!));
    }
}
