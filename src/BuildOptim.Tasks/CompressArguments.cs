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

            Add("--calibration", request.CalibrationPath);
            Add("--evaluation", request.EvaluationPath);
            Add("--labels", request.Labels);
            Add("--quantize", request.Quantize);
            Add("--calibrator", request.Calibrator);
            Add("--prune", request.Prune);
            Add("--sparsity", request.Sparsity);
            Add("--share-weights", request.ShareWeights);
            Add("--merge-neurons", request.MergeNeurons);
            Add("--max-accuracy-drop", request.MaxAccuracyDrop);
            Add("--min-agreement", request.MinAgreement);
            Add("--min-cosine", request.MinCosine);
            Add("--fallback", request.Fallback);
            Add("--gate", request.Gate);
            Add("--class-name", request.ClassName);
            Add("--namespace", request.Namespace);
            Add("--resource-name", request.ResourceName);
            Add("--item", request.ItemSpec);
            if (request.EmitOnnx)
            {
                args.Add("--emit-onnx");
            }
            Add("--out", request.OutputDirectory);
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
