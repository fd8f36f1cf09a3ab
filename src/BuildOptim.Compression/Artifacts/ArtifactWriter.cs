using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BuildOptim.Compression.Artifacts;

/// <summary>One file of a compression's output: its name in the output folder and how to write it.</summary>
public sealed record Artifact(string Name, Action<string> Write);

/// <summary>
/// Writes a compression's artifacts into a folder the user names (<c>--out</c>, or the build's
/// <c>obj/</c> folder) without touching anything else in it. Every file is first written to a staging
/// folder inside the target, then moved over its final name; the names written are listed in a manifest
/// (<see cref="ManifestFileName"/>), and only files listed there are ever replaced or deleted. A file
/// with an artifact's name that BuildOptim did not write is refused (BOPT3004), never overwritten.
/// </summary>
public static class ArtifactWriter
{
    /// <summary>The names BuildOptim wrote into the folder last time, one per line.</summary>
    public const string ManifestFileName = ".buildoptim-artifacts";

    /// <summary>Staging folders are named this plus the writing process's id; a killed run's folder is removed by the next.</summary>
    public const string StagingPrefix = ".buildoptim-staging-";

    /// <summary>Every name an artifact may have: the only names a staging folder may hold.</summary>
    public static readonly IReadOnlyList<string> KnownNames =
    [
        CompressionArtifacts.PlanFileName, CompressionArtifacts.DescriptorFileName, CompressionArtifacts.ReportFileName, CompressionArtifacts.ReportHtmlFileName,
        CompressionArtifacts.EvaluationOutputsFileName, CompressionArtifacts.GateWarningFileName, Export.QdqExporter.FileName, ManifestFileName,
    ];

    /// <summary>
    /// Replaces the artifacts in <paramref name="directory"/> with <paramref name="artifacts"/> (written in
    /// order; the last one moved into place last, so its presence means the set is complete). Artifacts of the
    /// previous run that are not written again are deleted; every other file stays.
    /// </summary>
    /// <exception cref="CompressionException">BOPT3004 when a file to replace was not written by BuildOptim; BOPT3003 on I/O errors.</exception>
    public static void Write(string directory, IReadOnlyList<Artifact> artifacts, string item)
    {
        string target = Path.GetFullPath(directory);
        string staging = Path.Combine(target, StagingPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateDirectory(target);
            RemoveStaleStaging(target);
            var owned = ReadManifest(target);
            foreach (var artifact in artifacts)
            {
                string path = Path.Combine(target, artifact.Name);
                if (File.Exists(path) && !owned.Contains(artifact.Name))
                {
                    throw new CompressionException(Diagnostics.ForeignFile, path,
                        $"The artifacts of '{item}' would replace '{path}', which BuildOptim did not write (it is not listed in {ManifestFileName}). Move the file away or choose another output folder; BuildOptim never overwrites or deletes files it did not write.");
                }
            }

            Directory.CreateDirectory(staging);
            foreach (var artifact in artifacts)
            {
                artifact.Write(Path.Combine(staging, artifact.Name));
            }

            var names = artifacts.Select(a => a.Name).ToList();
            DeleteOwned(target, owned.Where(name => !names.Contains(name, StringComparer.Ordinal)));

            // The manifest first lists old and new names, so that a run killed while moving leaves nothing unowned.
            WriteManifest(target, staging, owned.Union(names, StringComparer.Ordinal));
            foreach (string name in names)
            {
                File.Move(Path.Combine(staging, name), Path.Combine(target, name), overwrite: true);
            }

            WriteManifest(target, staging, names);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CompressionException(Diagnostics.OutputNotWritable, target, $"Could not write the artifacts of '{item}' to '{target}': {e.Message}");
        }
        finally
        {
            RemoveStaging(staging);
        }
    }

    /// <summary>Deletes the artifacts BuildOptim wrote into <paramref name="directory"/>; nothing else.</summary>
    public static void Delete(string directory)
    {
        string target = Path.GetFullPath(directory);
        if (!Directory.Exists(target))
        {
            return;
        }

        RemoveStaleStaging(target);
        DeleteOwned(target, ReadManifest(target));
        string manifest = Path.Combine(target, ManifestFileName);
        if (File.Exists(manifest))
        {
            File.Delete(manifest);
        }
    }

    /// <summary>The names listed in the folder's manifest that are artifact names (a hand-edited manifest cannot reach other files).</summary>
    private static HashSet<string> ReadManifest(string target)
    {
        string path = Path.Combine(target, ManifestFileName);
        if (!File.Exists(path))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        return File.ReadAllLines(path)
            .Select(line => line.Trim())
            .Where(name => KnownNames.Contains(name, StringComparer.Ordinal) && name != ManifestFileName)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static void WriteManifest(string target, string staging, IEnumerable<string> names)
    {
        string temporary = Path.Combine(staging, ManifestFileName);
        File.WriteAllText(temporary, string.Concat(names.Order(StringComparer.Ordinal).Select(n => n + "\n")), new UTF8Encoding(false));
        File.Move(temporary, Path.Combine(target, ManifestFileName), overwrite: true);
    }

    private static void DeleteOwned(string target, IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            string path = Path.Combine(target, name);
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Removes the staging folders of runs that are no longer alive (killed builds), and only their artifact files.</summary>
    private static void RemoveStaleStaging(string target)
    {
        foreach (string folder in Directory.EnumerateDirectories(target, StagingPrefix + "*"))
        {
            string suffix = Path.GetFileName(folder)[StagingPrefix.Length..];
            if (int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId && IsRunning(pid))
            {
                continue;
            }

            RemoveStaging(folder);
        }
    }

    /// <summary>Deletes the artifact files in a staging folder, then the folder if that left it empty.</summary>
    private static void RemoveStaging(string staging)
    {
        try
        {
            if (!Directory.Exists(staging))
            {
                return;
            }

            foreach (string name in KnownNames)
            {
                string path = Path.Combine(staging, name);
                if (File.Exists(path))
                {
                    File.Delete(path);
                }
            }

            if (!Directory.EnumerateFileSystemEntries(staging).Any())
            {
                Directory.Delete(staging);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next run removes it.
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
