using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;

namespace BuildOptim.Tasks
{
    /// <summary>
    /// Reads and validates the metadata of one <c>ModelToCompress</c> item before anything is launched,
    /// so that a typo costs a one-line coded error instead of a tool run.
    /// </summary>
    internal static class ModelMetadata
    {
        // Metadata names, from the one option schema shared with the CLI and the engine (src/Shared/OptionSchema.cs).
        public static readonly string ClassName = OptionSchema.ClassName.Metadata;
        public static readonly string Namespace = OptionSchema.Namespace.Metadata;
        public static readonly string Calibration = OptionSchema.Calibration.Metadata;
        public static readonly string Evaluation = OptionSchema.Evaluation.Metadata;
        public static readonly string Labels = OptionSchema.Labels.Metadata;
        public static readonly string Quantize = OptionSchema.Quantize.Metadata;
        public static readonly string GateProperty = OptionSchema.Gate.Metadata;

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
            int errorsBefore = diagnostics.Count(d => d.IsError);
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
                Quantize = Parse(item, OptionSchema.Quantize, Fail),
                Calibrator = Parse(item, OptionSchema.Calibrator, Fail),
                Prune = Parse(item, OptionSchema.Prune, Fail),
                Fallback = Parse(item, OptionSchema.Fallback, Fail),
                WeightBits = Parse(item, OptionSchema.WeightBits, Fail),
                Sparsity = Parse(item, OptionSchema.Sparsity, Fail)?.Replace("Auto", "auto"),
                MaxAccuracyDrop = Parse(item, OptionSchema.MaxAccuracyDrop, Fail),
                MinAgreement = Parse(item, OptionSchema.MinAgreement, Fail),
                MinCosine = Parse(item, OptionSchema.MinCosine, Fail),
                ShareWeights = Parse(item, OptionSchema.ShareWeights, Fail)?.Replace("Auto", "auto"),
                MergeNeurons = Parse(item, OptionSchema.MergeNeurons, Fail),
                Gate = OptionSchema.Gate.TryParse(gate, out string? canonicalGate) ? canonicalGate : null,
                EmitOnnx = Parse(item, OptionSchema.EmitOnnx, Fail) == "true",
                Distill = Parse(item, OptionSchema.Distill, Fail) == "true",
                DistillEpochs = Parse(item, OptionSchema.DistillEpochs, Fail),
                DistillTemperature = Parse(item, OptionSchema.DistillTemperature, Fail),
                ImageSize = Parse(item, OptionSchema.ImageSize, Fail),
                ImageLayout = Parse(item, OptionSchema.ImageLayout, Fail),
                ImageChannels = Parse(item, OptionSchema.ImageChannels, Fail),
                ImageScale = Parse(item, OptionSchema.ImageScale, Fail),
                ImageMean = Parse(item, OptionSchema.ImageMean, Fail),
                ImageStd = Parse(item, OptionSchema.ImageStd, Fail),
            };

            string inputShape = item.GetMetadata(OptionSchema.InputShape.Metadata).Trim();
            if (inputShape.Length > 0)
            {
                if (InputShapes.TryParse(inputShape, out _, out string? shapeProblem))
                {
                    request.InputShape = inputShape;
                }
                else
                {
                    Fail(DiagnosticCodes.InvalidMetadata, $"{OptionSchema.InputShape.Metadata} '{inputShape}' is not valid: {shapeProblem}; expected {OptionSchema.InputShape.Expected}.");
                }
            }

            if (!OptionSchema.Gate.TryParse(gate, out _))
            {
                Fail(DiagnosticCodes.InvalidMetadata, OptionSchema.Gate.Problem(gate ?? ""));
            }

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

            request.Tokenizer = DataFile(item, OptionSchema.Tokenizer.Metadata, projectDirectory, Fail);
            request.ClassNames = DataFile(item, OptionSchema.ClassNames.Metadata, projectDirectory, Fail);
            request.CalibrationPath = DataFile(item, Calibration, projectDirectory, Fail);
            request.EvaluationPath = DataFile(item, Evaluation, projectDirectory, Fail);
            request.TrainingData = DataFile(item, OptionSchema.TrainingData.Metadata, projectDirectory, Fail);
            string student = item.GetMetadata(OptionSchema.Student.Metadata).Trim();
            if (student.Length > 0)
            {
                request.Student = Resolve(projectDirectory, student);
                if (!File.Exists(request.Student))
                {
                    Fail(DiagnosticCodes.ModelFileMissing, $"{OptionSchema.Student.Metadata} model file '{student}' does not exist (looked for '{request.Student}').");
                }
            }

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

            WarnAboutUnknownMetadata(item, errorFile, diagnostics);
            return diagnostics.Count(d => d.IsError) == errorsBefore ? request : null;
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

        /// <summary>
        /// A warning for each metadata name the task does not know (<c>Sparsty="0.5"</c> would otherwise be ignored in silence),
        /// with the closest known name; names DESIGN.md lists but this version does not carry out are said to be ignored.
        /// </summary>
        internal static void WarnAboutUnknownMetadata(ITaskItem item, string errorFile, ICollection<TaskDiagnostic> diagnostics)
        {
            foreach (string name in item.CloneCustomMetadata().Keys.Cast<string>().OrderBy(n => n, StringComparer.Ordinal))
            {
                if (name.StartsWith("_", StringComparison.Ordinal) || name.StartsWith("DefiningProject", StringComparison.Ordinal)
                    || OptionSchema.ItemMetadata.Any(o => o.Metadata == name) || OptionSchema.CommonItemMetadata.Contains(name))
                {
                    continue;
                }

                string message;
                if (OptionSchema.NotYetSupported.Contains(name))
                {
                    message = $"{name} is not supported by this version of BuildOptim and is ignored.";
                }
                else
                {
                    string? closest = OptionSchema.ClosestMetadata(name);
                    message = closest == null
                        ? $"{name} is not a ModelToCompress metadata and is ignored; see docs/usage.md for the known ones."
                        : $"{name} is not a ModelToCompress metadata and is ignored; did you mean {closest}?";
                }

                diagnostics.Add(TaskDiagnostic.Warning(DiagnosticCodes.UnknownMetadata, errorFile, $"ModelToCompress '{item.ItemSpec}': {message}"));
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

        /// <summary>The canonical value of <paramref name="option"/> on <paramref name="item"/>, null when unset or invalid (then reported).</summary>
        private static string? Parse(ITaskItem item, OptionSpec option, Action<string, string> fail)
        {
            string value = item.GetMetadata(option.Metadata);
            if (option.TryParse(value, out string? canonical))
            {
                return canonical;
            }

            fail(DiagnosticCodes.InvalidMetadata, option.Problem(value.Trim()));
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
    }
}
