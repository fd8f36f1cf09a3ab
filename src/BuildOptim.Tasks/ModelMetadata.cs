using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.Build.Framework;

namespace BuildOptim.Tasks
{
    /// <summary>
    /// Reads and validates the metadata of one <c>ModelToCompress</c> item before anything is launched,
    /// so that a typo costs a one-line coded error instead of a tool run.
    /// </summary>
    internal static class ModelMetadata
    {
        public const string ClassName = nameof(ClassName);
        public const string Namespace = nameof(Namespace);
        public const string Calibration = nameof(Calibration);
        public const string Evaluation = nameof(Evaluation);
        public const string Labels = nameof(Labels);
        public const string Quantize = nameof(Quantize);
        public const string Calibrator = nameof(Calibrator);
        public const string Prune = nameof(Prune);
        public const string Sparsity = nameof(Sparsity);
        public const string ShareWeights = nameof(ShareWeights);
        public const string MergeNeurons = nameof(MergeNeurons);
        public const string MaxAccuracyDrop = nameof(MaxAccuracyDrop);
        public const string MinAgreement = nameof(MinAgreement);
        public const string MinCosine = nameof(MinCosine);
        public const string Fallback = nameof(Fallback);
        public const string EmitOnnx = nameof(EmitOnnx);
        public const string GateProperty = "BuildOptimGate";

        public const double MaxSparsity = 0.95;

        private static readonly string[] QuantizeValues = { "Int8", "None" };
        private static readonly string[] CalibratorValues = { "MinMax", "Percentile", "Entropy", "Mse" };
        private static readonly string[] PruneValues = { "None", "Magnitude", "Neurons" };
        private static readonly string[] FallbackValues = { "None", "Auto" };
        private static readonly string[] GateValues = { "Error", "Warning", "Off" };
        private static readonly string[] BooleanValues = { "false", "true" };

        /// <summary>Label files are checked on disk; any other Labels value names an array in the npz.</summary>
        private static readonly string[] LabelFileExtensions = { ".npy", ".csv" };

        /// <summary>
        /// Validates <paramref name="item"/> and returns the request to hand to the CLI, or null when
        /// <paramref name="diagnostics"/> received at least one error.
        /// </summary>
        /// <param name="projectDirectory">Base of relative paths in metadata, as for any MSBuild item.</param>
        /// <param name="errorFile">The file errors point at: the project that declares the item.</param>
        /// <param name="defaultNamespace">Used when the item has no Namespace metadata ($(RootNamespace)).</param>
        public static CompressRequest? Validate(
            ITaskItem item,
            string projectDirectory,
            string errorFile,
            string? defaultNamespace,
            string? gate,
            string resourceName,
            string outputDirectory,
            ICollection<TaskDiagnostic> diagnostics)
        {
            int errorsBefore = diagnostics.Count;
            string itemSpec = item.ItemSpec;

            void Fail(string code, string message) =>
                diagnostics.Add(TaskDiagnostic.Error(code, errorFile, $"ModelToCompress '{itemSpec}': {message}"));

            string modelPath = Resolve(projectDirectory, itemSpec);
            if (!File.Exists(modelPath))
            {
                Fail(DiagnosticCodes.ModelFileMissing, $"model file '{modelPath}' does not exist.");
            }

            var request = new CompressRequest
            {
                ItemSpec = itemSpec,
                ModelPath = modelPath,
                ClassName = NullIfEmpty(item.GetMetadata(ClassName)),
                Namespace = NullIfEmpty(item.GetMetadata(Namespace)) ?? NullIfEmpty(defaultNamespace),
                ResourceName = resourceName,
                OutputDirectory = outputDirectory,
                Quantize = Choice(item, Quantize, QuantizeValues, Fail),
                Calibrator = Choice(item, Calibrator, CalibratorValues, Fail),
                Prune = Choice(item, Prune, PruneValues, Fail),
                Fallback = Choice(item, Fallback, FallbackValues, Fail),
                Sparsity = IsAuto(item, Sparsity) ? "auto" : Number(item, Sparsity, 0, MaxSparsity, "a number from 0 to 0.95 or Auto", Fail),
                MaxAccuracyDrop = Number(item, MaxAccuracyDrop, 0, double.MaxValue, "a number of percentage points >= 0", Fail),
                MinAgreement = Number(item, MinAgreement, 0, 1, "a fraction from 0 to 1", Fail),
                MinCosine = Number(item, MinCosine, -1, 1, "a cosine similarity from -1 to 1", Fail),
                ShareWeights = IsAuto(item, ShareWeights) ? "auto" : Count(item, ShareWeights, Fail),
                MergeNeurons = Number(item, MergeNeurons, 0, 1, "a cosine similarity threshold from 0 (off) to 1, e.g. 0.98", Fail),
                Gate = CanonicalChoice(gate, GateValues, out string? canonicalGate) ? canonicalGate : null,
                EmitOnnx = Choice(item, EmitOnnx, BooleanValues, Fail) == "true",
            };

            string className = ModelNames.EffectiveClassName(request.ClassName, modelPath);
            if (ModelNames.ClassNameProblem(className) is string classProblem)
            {
                Fail(DiagnosticCodes.InvalidMetadata, request.ClassName == null
                    ? $"the class name '{className}' derived from the file name cannot name the generated class: {classProblem}; set {ClassName} metadata."
                    : $"{ClassName} '{className}' cannot name the generated class: {classProblem}.");
            }

            if (request.Namespace != null && ModelNames.NamespaceProblem(request.Namespace) is string namespaceProblem)
            {
                Fail(DiagnosticCodes.InvalidMetadata, $"{Namespace} '{request.Namespace}' cannot be the namespace of the generated class: {namespaceProblem}; set {Namespace} metadata.");
            }

            if (!CanonicalChoice(gate, GateValues, out _))
            {
                Fail(DiagnosticCodes.InvalidMetadata, $"{GateProperty} '{gate}' is not valid; expected {Alternatives(GateValues)}.");
            }

            request.CalibrationPath = DataFile(item, Calibration, projectDirectory, Fail);
            request.EvaluationPath = DataFile(item, Evaluation, projectDirectory, Fail);

            string labels = item.GetMetadata(Labels).Trim();
            if (IsLabelFile(labels))
            {
                request.Labels = Resolve(projectDirectory, labels);
                if (!File.Exists(request.Labels))
                {
                    Fail(DiagnosticCodes.DataFileMissing, $"{Labels} file '{labels}' does not exist (looked for '{request.Labels}').");
                }
            }
            else
            {
                request.Labels = NullIfEmpty(labels);
            }

            string quantize = item.GetMetadata(Quantize).Trim();
            bool quantizesToInt8 = quantize.Length == 0 || string.Equals(quantize, "Int8", StringComparison.OrdinalIgnoreCase);
            if (quantizesToInt8 && item.GetMetadata(Calibration).Trim().Length == 0)
            {
                Fail(DiagnosticCodes.CalibrationRequired,
                    "Quantize=Int8 needs calibration data to measure activation ranges; set Calibration=\"<.npy|.npz|.csv|folder>\" or Quantize=\"None\".");
            }

            return diagnostics.Count == errorsBefore ? request : null;
        }

        /// <summary>
        /// The full name of the class <paramref name="item"/> generates: its Namespace (else
        /// <paramref name="defaultNamespace"/>) and its ClassName (else the one derived from its file name).
        /// </summary>
        public static string GeneratedTypeName(ITaskItem item, string? defaultNamespace)
        {
            string? ns = NullIfEmpty(item.GetMetadata(Namespace)) ?? NullIfEmpty(defaultNamespace);
            string className = ModelNames.EffectiveClassName(NullIfEmpty(item.GetMetadata(ClassName)), item.ItemSpec);
            return ns == null ? className : ns + "." + className;
        }

        /// <summary>
        /// An error when <paramref name="item"/> would generate the same class as another of <paramref name="allItems"/>
        /// (the generator then could emit only one of them): found before the compression, not after it.
        /// </summary>
        public static void CheckUniqueTypeName(ITaskItem item, IEnumerable<ITaskItem> allItems, string? defaultNamespace, string errorFile, ICollection<TaskDiagnostic> diagnostics)
        {
            string typeName = GeneratedTypeName(item, defaultNamespace);
            foreach (var other in allItems)
            {
                if (string.Equals(other.ItemSpec, item.ItemSpec, StringComparison.Ordinal)
                    || !string.Equals(GeneratedTypeName(other, defaultNamespace), typeName, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                diagnostics.Add(TaskDiagnostic.Error(DiagnosticCodes.ClassNameCollision, errorFile,
                    $"ModelToCompress '{item.ItemSpec}' and '{other.ItemSpec}' would both generate the class '{typeName}'; set a distinct {ClassName} (or {Namespace}) on one of them."));
                return;
            }
        }

        /// <summary>True when a Labels value names a file rather than an array inside the npz.</summary>
        internal static bool IsLabelFile(string labels)
        {
            string extension = Path.GetExtension(labels);
            foreach (string candidate in LabelFileExtensions)
            {
                if (string.Equals(extension, candidate, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>
        /// Returns the spelling of <paramref name="value"/> listed in <paramref name="allowed"/>, ignoring
        /// case; an empty value is accepted and stays null (the CLI default applies).
        /// </summary>
        internal static bool CanonicalChoice(string? value, string[] allowed, out string? canonical)
        {
            canonical = null;
            string trimmed = (value ?? "").Trim();
            if (trimmed.Length == 0)
            {
                return true;
            }
            foreach (string candidate in allowed)
            {
                if (string.Equals(trimmed, candidate, StringComparison.OrdinalIgnoreCase))
                {
                    canonical = candidate;
                    return true;
                }
            }
            return false;
        }

        private static string? Choice(ITaskItem item, string name, string[] allowed, Action<string, string> fail)
        {
            string value = item.GetMetadata(name);
            if (CanonicalChoice(value, allowed, out string? canonical))
            {
                return canonical;
            }
            fail(DiagnosticCodes.InvalidMetadata, $"{name} '{value}' is not valid; expected {Alternatives(allowed)}.");
            return null;
        }

        /// <summary><c>Sparsity="Auto"</c> and <c>ShareWeights="Auto"</c> ask the engine to search for the largest compression that passes the gate.</summary>
        private static bool IsAuto(ITaskItem item, string name) => string.Equals(item.GetMetadata(name).Trim(), "Auto", StringComparison.OrdinalIgnoreCase);

        private static string? Number(ITaskItem item, string name, double min, double max, string expected, Action<string, string> fail)
        {
            string value = item.GetMetadata(name).Trim();
            if (value.Length == 0)
            {
                return null;
            }
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
                && !double.IsNaN(number) && !double.IsInfinity(number)
                && number >= min && number <= max)
            {
                return number.ToString("R", CultureInfo.InvariantCulture);
            }
            fail(DiagnosticCodes.InvalidMetadata, $"{name} '{value}' is not valid; expected {expected} (invariant culture, '.' as decimal separator).");
            return null;
        }

        private static string? Count(ITaskItem item, string name, Action<string, string> fail)
        {
            string value = item.GetMetadata(name).Trim();
            if (value.Length == 0)
            {
                return null;
            }
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                return count.ToString(CultureInfo.InvariantCulture);
            }
            fail(DiagnosticCodes.InvalidMetadata, $"{name} '{value}' is not valid; expected a whole number of clusters >= 0 (0 = off).");
            return null;
        }

        private static string? DataFile(ITaskItem item, string name, string projectDirectory, Action<string, string> fail)
        {
            string value = item.GetMetadata(name).Trim();
            if (value.Length == 0)
            {
                return null;
            }
            string path = Resolve(projectDirectory, value);
            // A folder of ONNX test_data_set_* directories is a valid data source too.
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                fail(DiagnosticCodes.DataFileMissing, $"{name} file '{value}' does not exist (looked for '{path}').");
            }
            return path;
        }

        private static string Resolve(string baseDirectory, string path) =>
            Path.GetFullPath(Path.Combine(baseDirectory, path));

        private static string? NullIfEmpty(string? value) =>
            string.IsNullOrWhiteSpace(value) ? null : value!.Trim();

        private static string Alternatives(string[] allowed) =>
            string.Join(", ", allowed, 0, allowed.Length - 1) + " or " + allowed[allowed.Length - 1];
    }
}
