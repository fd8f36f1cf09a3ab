using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace BuildOptim.Tasks
{
    /// <summary>
    /// The content key of one compression: SHA-256 of a small text document listing everything that shapes its artifacts —
    /// the model's bytes, each data file's bytes (by role), every effective option in its canonical spelling, and the engine
    /// (its version and the bytes of its assemblies). Paths, timestamps, the configuration and anything else in the project file
    /// are not in it, so a second configuration, a touched file or a comment in the .csproj find the same key.
    /// </summary>
    internal static class CacheKey
    {
        /// <summary>Bumped when the document's meaning changes, so that old entries are never taken for new ones.</summary>
        public const int DocumentVersion = 1;

        /// <summary>The key: lowercase hex SHA-256 of <see cref="Document"/>.</summary>
        public static string Compute(CompressRequest request, string toolPath) => Hex(Sha256(Encoding.UTF8.GetBytes(Document(request, toolPath))));

        /// <summary>The text the key hashes: one <c>name=value</c> per line, in a fixed order.</summary>
        public static string Document(CompressRequest request, string toolPath)
        {
            var s = new StringBuilder();
            void Line(string name, string? value) => s.Append(name).Append('=').Append(value ?? "").Append('\n');

            // Unset is the default's canonical spelling where it has one (the targets set some defaults, a direct use of the task not).
            void Option(OptionSpec option, string? value) =>
                Line(option.Metadata, value ?? (option.TryParse(option.DefaultText, out string? canonical) ? canonical : null));

            Line("buildoptim-cache-key", DocumentVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Line("engine.version", EngineVersion(toolPath));
            Line("engine.assemblies", EngineAssembliesHash(toolPath));
            Line("task.assembly", FileHash(typeof(CacheKey).Assembly.Location));

            // Inputs by content, each in its role (the same file as Calibration and as Evaluation is not the same as Evaluation unset).
            Line("model", FileHash(request.ModelPath));
            Line("model.fileName", Path.GetFileName(request.ModelPath));
            Line("calibration", DataHash(request.CalibrationPath));
            Line("evaluation", DataHash(request.EvaluationPath));
            Line("labels", request.Labels != null && ModelMetadata.IsLabelFile(request.Labels) ? DataHash(request.Labels) : "array:" + request.Labels);
            Line("tokenizer", DataHash(request.Tokenizer));
            Line("student", DataHash(request.Student));
            Line("trainingData", DataHash(request.TrainingData));
            Line("classNames", DataHash(request.ClassNames));

            // Every option the engine reads, canonical (validated by ModelMetadata), and the names the artifacts carry.
            Line("item", request.ItemSpec);
            Line("className", ModelNames.EffectiveClassName(request.ClassName, request.ModelPath));
            Line("namespace", request.Namespace);
            Line("resourceName", request.ResourceName);
            Option(OptionSchema.Gate, request.Gate);
            Option(OptionSchema.Quantize, request.Quantize);
            Option(OptionSchema.Calibrator, request.Calibrator);
            Option(OptionSchema.Prune, request.Prune);
            Option(OptionSchema.Sparsity, request.Sparsity);
            Option(OptionSchema.ShareWeights, request.ShareWeights);
            Option(OptionSchema.MergeNeurons, request.MergeNeurons);
            Option(OptionSchema.MaxAccuracyDrop, request.MaxAccuracyDrop);
            Option(OptionSchema.MinAgreement, request.MinAgreement);
            Option(OptionSchema.MinCosine, request.MinCosine);
            Option(OptionSchema.Fallback, request.Fallback);
            Option(OptionSchema.WeightBits, request.WeightBits);
            Option(OptionSchema.InputShape, request.InputShape);
            Line(OptionSchema.EmitOnnx.Metadata, request.EmitOnnx ? "true" : "false");
            Line(OptionSchema.Distill.Metadata, request.Distill ? "true" : "false");
            Option(OptionSchema.DistillEpochs, request.DistillEpochs);
            Option(OptionSchema.DistillTemperature, request.DistillTemperature);
            Option(OptionSchema.ImageSize, request.ImageSize);
            Option(OptionSchema.ImageLayout, request.ImageLayout);
            Option(OptionSchema.ImageChannels, request.ImageChannels);
            Option(OptionSchema.ImageScale, request.ImageScale);
            Option(OptionSchema.ImageMean, request.ImageMean);
            Option(OptionSchema.ImageStd, request.ImageStd);
            return s.ToString();
        }

        /// <summary>The version of the engine's assembly (buildoptim.dll), or <c>unversioned</c> when it has none.</summary>
        internal static string EngineVersion(string toolPath)
        {
            try
            {
                return AssemblyName.GetAssemblyName(toolPath).Version?.ToString() ?? "unversioned";
            }
            catch (Exception e) when (e is BadImageFormatException || e is IOException || e is ArgumentException)
            {
                return "unversioned";
            }
        }

        /// <summary>
        /// One hash over every assembly beside the tool (name and bytes, in ordinal order): a new package, or a rebuilt engine in
        /// this repository, changes it even when the version number stays.
        /// </summary>
        internal static string EngineAssembliesHash(string toolPath)
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(toolPath));
            var s = new StringBuilder();
            if (directory != null && Directory.Exists(directory))
            {
                foreach (string file in Directory.GetFiles(directory, "*.dll").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal))
                {
                    s.Append(Path.GetFileName(file)).Append(' ').Append(FileHash(file)).Append('\n');
                }
            }
            return Hex(Sha256(Encoding.UTF8.GetBytes(s.ToString())));
        }

        /// <summary>A data file's hash, or a folder's: each file's relative path and hash, in ordinal order; <c>none</c> when unset.</summary>
        internal static string DataHash(string? path)
        {
            if (string.IsNullOrEmpty(path))
            {
                return "none";
            }

            if (!Directory.Exists(path))
            {
                return FileHash(path!);
            }

            string root = Path.GetFullPath(path);
            var s = new StringBuilder();
            var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
                .Select(f => new { Full = f, Relative = f.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Replace('\\', '/') })
                .OrderBy(f => f.Relative, StringComparer.Ordinal);
            foreach (var file in files)
            {
                s.Append(file.Relative).Append(' ').Append(FileHash(file.Full)).Append('\n');
            }
            return "folder:" + Hex(Sha256(Encoding.UTF8.GetBytes(s.ToString())));
        }

        /// <summary>The file's SHA-256, or <c>missing</c> (validation has already reported a missing input).</summary>
        internal static string FileHash(string path)
        {
            if (!File.Exists(path))
            {
                return "missing";
            }

            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16))
            using (var sha = SHA256.Create())
            {
                return Hex(sha.ComputeHash(stream));
            }
        }

        internal static byte[] Sha256(byte[] bytes)
        {
            using (var sha = SHA256.Create())
            {
                return sha.ComputeHash(bytes);
            }
        }

        internal static string Hex(byte[] bytes)
        {
            var s = new StringBuilder(bytes.Length * 2);
            foreach (byte b in bytes)
            {
                s.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            return s.ToString();
        }
    }
}
