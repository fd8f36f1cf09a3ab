using System.Collections.Generic;
using System.Text;

namespace BuildOptim.Tasks
{
    /// <summary>Turns a <see cref="CompressRequest"/> into the <c>buildoptim compress</c> command line.</summary>
    internal static class CompressArguments
    {
        /// <summary>
        /// The arguments after the host (<c>dotnet</c>): the tool dll, <c>compress</c>, then every option
        /// that has a value. Unset options are left out so that the CLI's defaults apply.
        /// </summary>
        public static IReadOnlyList<string> Build(string toolPath, CompressRequest request)
        {
            var args = new List<string> { toolPath, "compress", request.ModelPath };

            void Add(string option, string? value)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    args.Add(option);
                    args.Add(value!);
                }
            }

            Add(OptionSchema.Calibration.CliName, request.CalibrationPath);
            Add(OptionSchema.Evaluation.CliName, request.EvaluationPath);
            Add(OptionSchema.Labels.CliName, request.Labels);
            Add(OptionSchema.ClassNames.CliName, request.ClassNames);
            Add(OptionSchema.Quantize.CliName, request.Quantize);
            Add(OptionSchema.Calibrator.CliName, request.Calibrator);
            Add(OptionSchema.Prune.CliName, request.Prune);
            Add(OptionSchema.Sparsity.CliName, request.Sparsity);
            Add(OptionSchema.ShareWeights.CliName, request.ShareWeights);
            Add(OptionSchema.MergeNeurons.CliName, request.MergeNeurons);
            Add(OptionSchema.MaxAccuracyDrop.CliName, request.MaxAccuracyDrop);
            Add(OptionSchema.MinAgreement.CliName, request.MinAgreement);
            Add(OptionSchema.MinCosine.CliName, request.MinCosine);
            Add(OptionSchema.Fallback.CliName, request.Fallback);
            Add(OptionSchema.WeightBits.CliName, request.WeightBits);
            Add(OptionSchema.InputShape.CliName, request.InputShape);
            Add(OptionSchema.Tokenizer.CliName, request.Tokenizer);
            Add(OptionSchema.ImageSize.CliName, request.ImageSize);
            Add(OptionSchema.ImageLayout.CliName, request.ImageLayout);
            Add(OptionSchema.ImageChannels.CliName, request.ImageChannels);
            Add(OptionSchema.ImageScale.CliName, request.ImageScale);
            Add(OptionSchema.ImageMean.CliName, request.ImageMean);
            Add(OptionSchema.ImageStd.CliName, request.ImageStd);
            Add(OptionSchema.Student.CliName, request.Student);
            Add(OptionSchema.TrainingData.CliName, request.TrainingData);
            Add(OptionSchema.DistillEpochs.CliName, request.DistillEpochs);
            Add(OptionSchema.DistillTemperature.CliName, request.DistillTemperature);
            Add(OptionSchema.Gate.CliName, request.Gate);
            Add(OptionSchema.ClassName.CliName, request.ClassName);
            Add(OptionSchema.Namespace.CliName, request.Namespace);
            Add("--resource-name", request.ResourceName);
            Add("--item", request.ItemSpec);
            if (request.EmitOnnx)
            {
                args.Add(OptionSchema.EmitOnnx.CliName);
            }
            if (request.Distill)
            {
                args.Add(OptionSchema.Distill.CliName);
            }
            Add("--out", request.OutputDirectory);
            return args;
        }

        /// <summary>
        /// What goes between the host and the tool dll: <c>exec --additionalprobingpath FOLDER</c> for each NuGet
        /// package folder (<c>$(NuGetPackageFolders)</c>, separated by <c>;</c>), where the host finds the ONNX Runtime
        /// packages that <c>buildoptim.deps.json</c> lists but the BuildOptim package does not carry. Empty without folders.
        /// </summary>
        public static IReadOnlyList<string> HostArguments(string? probingPaths)
        {
            var args = new List<string>();
            foreach (string folder in (probingPaths ?? "").Split(';'))
            {
                string trimmed = folder.Trim();
                if (trimmed.Length > 0)
                {
                    args.Add("--additionalprobingpath");
                    args.Add(trimmed);
                }
            }
            if (args.Count > 0)
            {
                args.Insert(0, "exec");
            }
            return args;
        }

        /// <summary>
        /// Joins arguments into one command-line string that <c>CommandLineToArgvW</c> and the .NET
        /// runtime on every OS split back into the same list (netstandard2.0 has no ArgumentList).
        /// </summary>
        public static string JoinCommandLine(IEnumerable<string> arguments)
        {
            var builder = new StringBuilder();
            foreach (string argument in arguments)
            {
                if (builder.Length > 0)
                {
                    builder.Append(' ');
                }
                AppendQuoted(builder, argument);
            }
            return builder.ToString();
        }

        private static void AppendQuoted(StringBuilder builder, string argument)
        {
            if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '\n', '\v', '"' }) < 0)
            {
                builder.Append(argument);
                return;
            }

            // Backslashes are literal except before a quote, where 2n (+1) of them mean n (and a quote).
            builder.Append('"');
            int backslashes = 0;
            foreach (char c in argument)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }
                if (c == '"')
                {
                    builder.Append('\\', backslashes * 2 + 1);
                }
                else
                {
                    builder.Append('\\', backslashes);
                }
                backslashes = 0;
                builder.Append(c);
            }
            builder.Append('\\', backslashes * 2);
            builder.Append('"');
        }
    }
}
