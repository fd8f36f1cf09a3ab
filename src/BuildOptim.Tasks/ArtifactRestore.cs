using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace BuildOptim.Tasks
{
    /// <summary>
    /// Puts a cache entry's artifacts in the model's output folder exactly as the engine would have written them (its
    /// <c>Artifacts/ArtifactWriter</c>): staged in <c>.buildoptim-staging-PID</c>, checked against the entry's hashes, then
    /// moved over their names, the plan last; the folder's manifest, <c>.buildoptim-artifacts</c>, lists what BuildOptim owns
    /// there, and only those files are ever replaced or deleted.
    /// </summary>
    internal static class ArtifactRestore
    {
        public const string ManifestFileName = ".buildoptim-artifacts";
        public const string StagingPrefix = ".buildoptim-staging-";

        /// <summary>
        /// Restores <paramref name="entry"/> into <paramref name="outputDirectory"/>. Returns the error to report when a file to
        /// replace is not BuildOptim's (BOPT3004, as the engine reports it), else null.
        /// </summary>
        /// <exception cref="CorruptCacheEntryException">A file differs from its hash; nothing in the output folder changed.</exception>
        public static string? Restore(CacheEntry entry, string outputDirectory, string itemSpec)
        {
            string target = Path.GetFullPath(outputDirectory);
            Directory.CreateDirectory(target);
            HashSet<string> owned = ReadManifest(target);
            var names = entry.Files.Select(f => f.Name).ToList();
            foreach (string name in names)
            {
                string path = Path.Combine(target, name);
                if (File.Exists(path) && !owned.Contains(name))
                {
                    return $"The artifacts of '{itemSpec}' would replace '{path}', which BuildOptim did not write (it is not listed in {ManifestFileName}). Move the file away or choose another output folder; BuildOptim never overwrites or deletes files it did not write.";
                }
            }

            string staging = Path.Combine(target, StagingPrefix + Process.GetCurrentProcess().Id.ToString(CultureInfo.InvariantCulture));
            try
            {
                RemoveStaging(staging);
                Directory.CreateDirectory(staging);
                foreach (var file in entry.Files)
                {
                    var (length, sha) = ArtifactCache.CopyWithHash(Path.Combine(entry.Directory, file.Name), Path.Combine(staging, file.Name));
                    if (length != file.Length || !string.Equals(sha, file.Sha256, StringComparison.Ordinal))
                    {
                        throw new CorruptCacheEntryException($"'{Path.Combine(entry.Directory, file.Name)}' ({length} bytes) does not match the length and SHA-256 its index lists");
                    }
                }

                foreach (string name in owned.Where(n => !names.Contains(n, StringComparer.Ordinal)))
                {
                    string path = Path.Combine(target, name);
                    if (File.Exists(path))
                    {
                        File.Delete(path);
                    }
                }

                // Old and new names first, so that a build killed while moving leaves nothing unowned.
                WriteManifest(target, staging, owned.Union(names, StringComparer.Ordinal));
                foreach (string name in ArtifactCache.OrderForRestore(names))
                {
                    MoveOver(Path.Combine(staging, name), Path.Combine(target, name));
                }

                WriteManifest(target, staging, names);
                return null;
            }
            catch (Exception e) when (e is FileNotFoundException || (e is DirectoryNotFoundException && !Directory.Exists(entry.Directory)))
            {
                // A file lost from the entry, or the entry evicted by another build since it was found.
                throw new CorruptCacheEntryException($"a file of '{entry.Directory}' is missing: {e.Message}");
            }
            finally
            {
                RemoveStaging(staging);
            }
        }

        /// <summary>The names BuildOptim wrote into the folder, as its manifest lists them (artifact names only).</summary>
        internal static HashSet<string> ReadManifest(string target)
        {
            string path = Path.Combine(target, ManifestFileName);
            var owned = new HashSet<string>(StringComparer.Ordinal);
            if (File.Exists(path))
            {
                foreach (string line in File.ReadAllLines(path))
                {
                    string name = line.Trim();
                    if (ArtifactCache.ArtifactNames.Contains(name, StringComparer.Ordinal))
                    {
                        owned.Add(name);
                    }
                }
            }
            return owned;
        }

        private static void WriteManifest(string target, string staging, IEnumerable<string> names)
        {
            string temporary = Path.Combine(staging, ManifestFileName);
            File.WriteAllText(temporary, string.Concat(names.OrderBy(n => n, StringComparer.Ordinal).Select(n => n + "\n")), new UTF8Encoding(false));
            MoveOver(temporary, Path.Combine(target, ManifestFileName));
        }

        /// <summary>A rename over the destination (netstandard2.0 has no File.Move with overwrite; File.Replace renames too).</summary>
        private static void MoveOver(string source, string destination)
        {
            if (File.Exists(destination))
            {
                File.Replace(source, destination, null);
            }
            else
            {
                File.Move(source, destination);
            }
        }

        /// <summary>Deletes the artifact files (and the manifest) in a staging folder, then the folder if that left it empty.</summary>
        private static void RemoveStaging(string staging)
        {
            try
            {
                if (!Directory.Exists(staging))
                {
                    return;
                }

                foreach (string name in ArtifactCache.ArtifactNames.Concat(new[] { ManifestFileName }))
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
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // Best effort: the next compression of the model removes it.
            }
        }
    }
}
