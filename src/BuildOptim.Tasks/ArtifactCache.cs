using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace BuildOptim.Tasks
{
    /// <summary>One file of a cache entry: its artifact name, length and SHA-256.</summary>
    internal sealed class CachedFile
    {
        public CachedFile(string name, long length, string sha256)
        {
            Name = name;
            Length = length;
            Sha256 = sha256;
        }

        public string Name { get; }
        public long Length { get; }
        public string Sha256 { get; }
    }

    /// <summary>
    /// What one compression left: its artifact files (hashed), the tool's summary and diagnostic lines (replayed on a hit, so a
    /// failed gate fails again), and the folders its paths were written with (replaced by the current ones on replay).
    /// </summary>
    internal sealed class CacheEntry
    {
        public CacheEntry(string directory, string key, IReadOnlyList<CachedFile> files, IReadOnlyList<string> lines, string outputDirectory, string projectDirectory)
        {
            Directory = directory;
            Key = key;
            Files = files;
            Lines = lines;
            OutputDirectory = outputDirectory;
            ProjectDirectory = projectDirectory;
        }

        public string Directory { get; }
        public string Key { get; }
        public IReadOnlyList<CachedFile> Files { get; }
        public IReadOnlyList<string> Lines { get; }
        public string OutputDirectory { get; }
        public string ProjectDirectory { get; }
    }

    /// <summary>A cache entry whose files do not match its index (truncated, edited, half-copied): it is evicted and recompressed.</summary>
    internal sealed class CorruptCacheEntryException : Exception
    {
        public CorruptCacheEntryException(string message)
            : base(message)
        {
        }
    }

    /// <summary>
    /// The compression cache: one folder per content key (<see cref="CacheKey"/>) holding a compression's artifacts and an index,
    /// <see cref="IndexFileName"/>. An entry is assembled in a temporary folder beside the others and renamed into place, so a
    /// reader sees a whole entry or none, and two builds storing the same key at once keep the first. Every file is checked
    /// against its hash when it is restored. Only BuildOptim's own names are ever deleted: the folder may be shared with anything.
    /// </summary>
    internal static class ArtifactCache
    {
        public const string IndexFileName = "entry.txt";
        private const string IndexHeader = "# BuildOptim compression cache entry (docs/usage.md, \"The compression cache\")";
        private const string TemporaryPrefix = ".tmp-";
        private const string EvictedPrefix = ".evicted-";

        /// <summary>Temporary folders of builds killed while storing are removed after this long.</summary>
        private static readonly TimeSpan StaleTemporaryAge = TimeSpan.FromHours(1);

        /// <summary>
        /// The artifact names an entry may hold (the engine's, docs/architecture.md): a hand-made index cannot reach other files,
        /// in the cache or in the output folder.
        /// </summary>
        public static readonly IReadOnlyList<string> ArtifactNames = new[]
        {
            "model.bopt", "model.boptgen", "report.json", "report.html", "evaluation-outputs.npy", "model.qdq.onnx", "gate-warning.txt",
        };

        public const string PlanName = "model.bopt";

        public static string EntryDirectory(string cacheDirectory, string key) => Path.Combine(cacheDirectory, key);

        /// <summary>The entry stored under <paramref name="key"/>; null when there is none.</summary>
        /// <exception cref="CorruptCacheEntryException">The index is missing, truncated or names a file it may not.</exception>
        public static CacheEntry? Find(string cacheDirectory, string key)
        {
            string directory = EntryDirectory(cacheDirectory, key);
            if (!Directory.Exists(directory))
            {
                return null;
            }

            string index = Path.Combine(directory, IndexFileName);
            if (!File.Exists(index))
            {
                throw new CorruptCacheEntryException($"'{directory}' has no {IndexFileName}");
            }

            return ParseIndex(directory, key, File.ReadAllText(index, Encoding.UTF8));
        }

        /// <summary>
        /// Stores the artifacts <paramref name="names"/> of <paramref name="outputDirectory"/> under <paramref name="key"/>.
        /// False when another build stored the key first (its entry is kept).
        /// </summary>
        public static bool Store(string cacheDirectory, string key, string outputDirectory, IEnumerable<string> names, IReadOnlyList<string> lines, string projectDirectory)
        {
            Directory.CreateDirectory(cacheDirectory);
            RemoveStaleTemporaries(cacheDirectory);
            string entry = EntryDirectory(cacheDirectory, key);
            if (Directory.Exists(entry))
            {
                return false;
            }

            string temporary = Path.Combine(cacheDirectory, TemporaryPrefix + Guid.NewGuid().ToString("N"));
            try
            {
                Directory.CreateDirectory(temporary);
                var files = new List<CachedFile>();
                foreach (string name in OrderForRestore(names.Where(n => ArtifactNames.Contains(n, StringComparer.Ordinal))))
                {
                    var (length, sha) = CopyWithHash(Path.Combine(outputDirectory, name), Path.Combine(temporary, name));
                    files.Add(new CachedFile(name, length, sha));
                }

                File.WriteAllText(Path.Combine(temporary, IndexFileName), Index(key, files, lines, outputDirectory, projectDirectory), new UTF8Encoding(false));
                try
                {
                    Directory.Move(temporary, entry);
                    return true;
                }
                catch (IOException) when (Directory.Exists(entry))
                {
                    return false; // another build stored the same key first
                }
            }
            finally
            {
                RemoveOwnFolder(temporary);
            }
        }

        /// <summary>Removes the entry of <paramref name="key"/>: renamed aside first, so no reader sees it half deleted.</summary>
        public static void Evict(string cacheDirectory, string key)
        {
            string entry = EntryDirectory(cacheDirectory, key);
            string aside = Path.Combine(cacheDirectory, EvictedPrefix + Guid.NewGuid().ToString("N"));
            try
            {
                Directory.Move(entry, aside);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return; // already gone (another build evicted it), or not ours to move
            }

            RemoveOwnFolder(aside);
        }

        /// <summary>Plan last: in the output folder, its presence means the set is complete (as the engine writes it).</summary>
        public static IEnumerable<string> OrderForRestore(IEnumerable<string> names) =>
            names.Distinct(StringComparer.Ordinal).OrderBy(n => n == PlanName ? 1 : 0).ThenBy(n => n, StringComparer.Ordinal);

        /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> and returns the length and SHA-256 of the bytes written.</summary>
        public static (long Length, string Sha256) CopyWithHash(string source, string destination)
        {
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            using (var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var sha = SHA256.Create())
            {
                var buffer = new byte[1 << 16];
                long length = 0;
                int read;
                while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    sha.TransformBlock(buffer, 0, read, null, 0);
                    output.Write(buffer, 0, read);
                    length += read;
                }

                sha.TransformFinalBlock(buffer, 0, 0);
                return (length, CacheKey.Hex(sha.Hash!));
            }
        }

        private static string Index(string key, IReadOnlyList<CachedFile> files, IReadOnlyList<string> lines, string outputDirectory, string projectDirectory)
        {
            var s = new StringBuilder();
            s.Append(IndexHeader).Append('\n');
            s.Append("key=").Append(key).Append('\n');
            s.Append("outputDirectory=").Append(OneLine(outputDirectory)).Append('\n');
            s.Append("projectDirectory=").Append(OneLine(projectDirectory)).Append('\n');
            foreach (var file in files)
            {
                s.Append("file=").Append(file.Name).Append('|').Append(file.Length.ToString(CultureInfo.InvariantCulture)).Append('|').Append(file.Sha256).Append('\n');
            }

            foreach (string line in lines)
            {
                s.Append("line=").Append(OneLine(line)).Append('\n');
            }

            // The index's own check: a truncated index (a lost file= or line= line) is corrupt, not a smaller entry.
            string check = CacheKey.Hex(CacheKey.Sha256(Encoding.UTF8.GetBytes(s.ToString())));
            s.Append("sha256=").Append(check).Append('\n');
            return s.ToString();
        }

        private static CacheEntry ParseIndex(string directory, string key, string text)
        {
            int checkAt = text.LastIndexOf("sha256=", StringComparison.Ordinal);
            if (checkAt < 0 || text.Substring(checkAt + "sha256=".Length).Trim() != CacheKey.Hex(CacheKey.Sha256(Encoding.UTF8.GetBytes(text.Substring(0, checkAt)))))
            {
                throw new CorruptCacheEntryException($"the index of '{directory}' does not match its checksum");
            }

            var files = new List<CachedFile>();
            var lines = new List<string>();
            string? storedKey = null, outputDirectory = null, projectDirectory = null;
            foreach (string line in text.Substring(0, checkAt).Split('\n'))
            {
                int equals = line.IndexOf('=');
                if (line.StartsWith("#", StringComparison.Ordinal) || equals <= 0)
                {
                    continue;
                }

                string value = line.Substring(equals + 1);
                switch (line.Substring(0, equals))
                {
                    case "key": storedKey = value; break;
                    case "outputDirectory": outputDirectory = value; break;
                    case "projectDirectory": projectDirectory = value; break;
                    case "line": lines.Add(value); break;
                    case "file":
                        string[] parts = value.Split('|');
                        if (parts.Length != 3 || !ArtifactNames.Contains(parts[0], StringComparer.Ordinal)
                            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long length))
                        {
                            throw new CorruptCacheEntryException($"the index of '{directory}' lists '{value}'");
                        }

                        files.Add(new CachedFile(parts[0], length, parts[2]));
                        break;
                }
            }

            if (storedKey != key || outputDirectory == null || projectDirectory == null || files.Count == 0)
            {
                throw new CorruptCacheEntryException($"the index of '{directory}' is incomplete");
            }

            return new CacheEntry(directory, key, files, lines, outputDirectory, projectDirectory);
        }

        private static string OneLine(string text) => text.Replace('\r', ' ').Replace('\n', ' ');

        /// <summary>Temporary and evicted folders left by killed builds; only BuildOptim's names inside them are deleted.</summary>
        private static void RemoveStaleTemporaries(string cacheDirectory)
        {
            foreach (string folder in Directory.GetDirectories(cacheDirectory, ".*"))
            {
                string name = Path.GetFileName(folder);
                if ((name.StartsWith(TemporaryPrefix, StringComparison.Ordinal) || name.StartsWith(EvictedPrefix, StringComparison.Ordinal))
                    && DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > StaleTemporaryAge)
                {
                    RemoveOwnFolder(folder);
                }
            }
        }

        /// <summary>Deletes the artifact files and index in <paramref name="folder"/>, then the folder if that left it empty.</summary>
        internal static void RemoveOwnFolder(string folder)
        {
            try
            {
                if (!Directory.Exists(folder))
                {
                    return;
                }

                foreach (string name in ArtifactNames.Concat(new[] { IndexFileName }))
                {
                    string path = Path.Combine(folder, name);
                    if (File.Exists(path))
                    {
                        File.Delete(path);
                    }
                }

                if (!Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // Best effort: a later store removes it.
            }
        }
    }
}
