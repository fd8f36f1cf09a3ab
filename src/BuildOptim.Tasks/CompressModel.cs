using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildOptim.Tasks
{
    /// <summary>
    /// Compresses one <c>ModelToCompress</c> item by running <c>dotnet buildoptim.dll compress</c> out
    /// of process, after validating the item's metadata, and relays the CLI's coded diagnostics.
    /// </summary>
    public sealed partial class CompressModel : Task, ICancelableTask
    {
        private readonly object _gate = new object();
        private ToolProcess? _running;
        private bool _cancelled;

        /// <summary>The <c>ModelToCompress</c> item, with all its metadata.</summary>
        [Required]
        public ITaskItem Model { get; set; } = null!;

        /// <summary>Every <c>ModelToCompress</c> item of the project: the class <see cref="Model"/> generates must be its own.</summary>
        public ITaskItem[]? AllModels { get; set; }

        /// <summary>Full path of <c>buildoptim.dll</c>.</summary>
        [Required]
        public string ToolPath { get; set; } = "";

        /// <summary>The <c>dotnet</c> host running the build ($(DOTNET_HOST_PATH)); "dotnet" on PATH when empty.</summary>
        public string? DotNetHostPath { get; set; }

        /// <summary>
        /// $(NuGetPackageFolders): where restore put the ONNX Runtime packages the CLI loads (the package ships the CLI
        /// without them); passed to the host as probing paths. A CLI with ONNX Runtime beside it needs none.
        /// </summary>
        public string? ProbingPaths { get; set; }

        /// <summary>Where the CLI writes model.bopt, model.boptgen and report.json.</summary>
        [Required]
        public string OutputDirectory { get; set; } = "";

        /// <summary>The manifest resource name the plan is embedded under.</summary>
        [Required]
        public string ResourceName { get; set; } = "";

        /// <summary>Namespace of the generated class when the item has no Namespace metadata.</summary>
        public string? Namespace { get; set; }

        /// <summary>$(BuildOptimGate): Error, Warning or Off.</summary>
        public string? Gate { get; set; }

        /// <summary>Base of relative paths in metadata; the current directory (the project's) when empty.</summary>
        public string? ProjectDirectory { get; set; }

        /// <summary>
        /// The compression cache ($(BuildOptimCacheDir), else obj/buildoptim-cache/): artifacts by content key, shared by the
        /// project's configurations and platforms (and by projects, when the user points several at one folder). Empty: no cache.
        /// </summary>
        public string? CacheDirectory { get; set; }

        /// <summary>A design-time build: restore the cached artifacts when there are some, never run the engine.</summary>
        public bool DesignTime { get; set; }

        public override bool Execute()
        {
            string errorFile = ErrorFile();
            string projectDirectory = string.IsNullOrEmpty(ProjectDirectory) ? Directory.GetCurrentDirectory() : ProjectDirectory!;
            var diagnostics = new List<TaskDiagnostic>();
            CompressRequest? request = ModelMetadata.Validate(
                Model,
                projectDirectory,
                errorFile,
                Namespace,
                Gate,
                ResourceName,
                WithoutTrailingSeparator(Path.GetFullPath(Path.Combine(projectDirectory, OutputDirectory))),
                diagnostics);
            if (AllModels != null)
            {
                ModelMetadata.CheckUniqueTypeName(Model, AllModels, Namespace, errorFile, diagnostics);
            }

            diagnostics.ForEach(Report);

            if (request != null && !Log.HasLoggedErrors)
            {
                string toolPath = Path.GetFullPath(Path.Combine(projectDirectory, ToolPath));
                string? key = CacheKeyOf(request, toolPath);
                if (key != null && TryRestore(key, request, errorFile, projectDirectory))
                {
                    return !Log.HasLoggedErrors;
                }

                if (DesignTime)
                {
                    Log.LogMessage(MessageImportance.Low, "BuildOptim cache: design-time build and no cached artifacts for '{0}': the next build compresses it.", request.ItemSpec);
                    return true;
                }

                ToolOutputRelay? relay = Run(request, errorFile, projectDirectory, toolPath, out int exitCode);
                if (key != null && relay != null && IsCacheable(relay, exitCode))
                {
                    Store(key, request, relay, errorFile, projectDirectory);
                }
            }
            return !Log.HasLoggedErrors;
        }

        public void Cancel()
        {
            lock (_gate)
            {
                _cancelled = true;
                _running?.Kill();
            }
        }

        /// <summary>Runs the engine; returns what it printed (null when it did not run) and its exit code.</summary>
        private ToolOutputRelay? Run(CompressRequest request, string errorFile, string workingDirectory, string toolPath, out int exitCode)
        {
            exitCode = -1;
            if (!File.Exists(toolPath))
            {
                Report(TaskDiagnostic.Error(DiagnosticCodes.ToolNotStarted, errorFile,
                    $"ModelToCompress '{request.ItemSpec}': the buildoptim tool was not found at '{toolPath}'; check $(BuildOptimToolPath)."));
                return null;
            }

            string host = string.IsNullOrEmpty(DotNetHostPath) ? "dotnet" : DotNetHostPath!;
            string arguments = CompressArguments.JoinCommandLine(
                CompressArguments.HostArguments(ProbingPaths).Concat(CompressArguments.Build(toolPath, request)));
            Log.LogMessage(MessageImportance.Low, "{0} {1}", host, arguments);

            var relay = new ToolOutputRelay(Log);
            using (var process = new ToolProcess(host, arguments, workingDirectory))
            {
                lock (_gate)
                {
                    if (_cancelled)
                    {
                        return null;
                    }
                    try
                    {
                        process.Start();
                    }
                    catch (Exception e) when (e is Win32Exception || e is InvalidOperationException || e is IOException)
                    {
                        Report(TaskDiagnostic.Error(DiagnosticCodes.ToolNotStarted, errorFile,
                            $"ModelToCompress '{request.ItemSpec}': could not start '{host}' to run buildoptim: {e.Message}"));
                        return null;
                    }
                    _running = process;
                }
                exitCode = process.WaitForExit(relay.Relay);
                lock (_gate)
                {
                    _running = null;
                }
            }

            if (exitCode != 0 && !relay.RelayedError && !_cancelled)
            {
                string detail = relay.LastOtherLine == null ? "" : $" Last output: {relay.LastOtherLine}";
                Report(TaskDiagnostic.Error(DiagnosticCodes.ToolFailedSilently, errorFile,
                    $"ModelToCompress '{request.ItemSpec}': buildoptim exited with code {exitCode} without reporting an error.{detail}"));
            }
            return relay;
        }

        /// <summary>
        /// The project that declares the item: the targets pass it as _DefiningProjectFullPath because
        /// their private copy of the item is "defined" by BuildOptim.targets.
        /// </summary>
        private string ErrorFile()
        {
            foreach (string name in new[] { "_DefiningProjectFullPath", "DefiningProjectFullPath" })
            {
                string definingProject = Model.GetMetadata(name);
                if (!string.IsNullOrEmpty(definingProject))
                {
                    return definingProject;
                }
            }
            return BuildEngine?.ProjectFileOfTaskNode ?? "";
        }

        private static string WithoutTrailingSeparator(string directory)
        {
            string trimmed = directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            return trimmed.Length == 0 || trimmed.EndsWith(":", StringComparison.Ordinal) ? directory : trimmed;
        }

        private void Report(TaskDiagnostic diagnostic) => ToolOutputRelay.Log(Log, diagnostic);
    }
}
