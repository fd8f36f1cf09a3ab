using System;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace BuildOptim.Tasks
{
    /// <summary>
    /// Runs the CLI as a child process. Both pipes are drained asynchronously (a full stderr pipe
    /// must never block the child while we wait on stdout); the lines are handed to the caller on
    /// the calling thread, because MSBuild's logging must happen on the task's own thread.
    /// </summary>
    internal sealed class ToolProcess : IDisposable
    {
        private readonly Process _process;
        private readonly BlockingCollection<string?> _lines = new BlockingCollection<string?>();
        private int _openStreams = 2;

        public ToolProcess(string fileName, string arguments, string workingDirectory)
        {
            _process = new Process
            {
                StartInfo = new ProcessStartInfo(fileName, arguments)
                {
                    UseShellExecute = false,
                    CreateNoWindow = true,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    RedirectStandardInput = false,
                    WorkingDirectory = workingDirectory,
                },
                EnableRaisingEvents = true,
            };
            _process.OutputDataReceived += (_, e) => OnLine(e.Data);
            _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        }

        /// <summary>Starts the process; throws what <see cref="Process.Start()"/> throws.</summary>
        public void Start()
        {
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        /// <summary>Calls <paramref name="onLine"/> for every line, in arrival order, then waits for exit.</summary>
        public int WaitForExit(Action<string> onLine)
        {
            foreach (string? line in _lines.GetConsumingEnumerable())
            {
                if (line != null)
                {
                    onLine(line);
                }
            }
            _process.WaitForExit();
            return _process.ExitCode;
        }

        /// <summary>Ends the child (and its children) when the build is cancelled.</summary>
        public void Kill()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        public void Dispose()
        {
            _process.Dispose();
            _lines.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line != null)
            {
                _lines.Add(line);
            }
            else if (System.Threading.Interlocked.Decrement(ref _openStreams) == 0)
            {
                _lines.CompleteAdding();
            }
        }
    }
}
