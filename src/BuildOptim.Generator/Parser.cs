using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis.CSharp;

namespace BuildOptim.Generator;

/// <summary>
/// Reads a <c>.boptgen</c> descriptor (UTF-8, one <c>key=value</c> per line, <c>#</c> comments,
/// invariant culture; see docs/architecture.md) into a <see cref="ModelSpec"/>, or into the
/// diagnostics that explain why it cannot.
/// </summary>
internal static partial class Parser
{
    public const string DescriptorExtension = ".boptgen";
    public const int SupportedFormat = DescriptorKeys.Format;

    /// <summary>The format of models with several or typed inputs and outputs.</summary>
    public const int MultiTensorFormat = DescriptorKeys.MultiTensorFormat;

    /// <summary>More tensors than this is a malformed descriptor (it bounds what a descriptor can make the generator emit).</summary>
    public const int MaxTensors = 64;

    /// <summary>The build's summary line is kept to this length.</summary>
    private const int SummaryMaxLength = 1000;

    /// <summary>The descriptor's keys, shared with the engine that writes them (src/Shared/DescriptorKeys.cs).</summary>
    internal static class Keys
    {
        public const string Format = DescriptorKeys.FormatKey;
        public const string ClassName = DescriptorKeys.ClassName;
        public const string Namespace = DescriptorKeys.Namespace;
        public const string ResourceName = DescriptorKeys.ResourceName;
        public const string SourceModel = DescriptorKeys.SourceModel;
        public const string InputName = DescriptorKeys.InputName;
        public const string InputShape = DescriptorKeys.InputShape;
        public const string InputLength = DescriptorKeys.InputLength;
        public const string OutputName = DescriptorKeys.OutputName;
        public const string OutputShape = DescriptorKeys.OutputShape;
        public const string OutputLength = DescriptorKeys.OutputLength;
        public const string DynamicBatch = DescriptorKeys.DynamicBatch;
        public const string Classifier = DescriptorKeys.Classifier;
        public const string Precision = DescriptorKeys.Precision;
        public const string Summary = DescriptorKeys.Summary;
    }

    internal static class Precisions
    {
        public const string Int8 = "Int8";
        public const string Float32 = "Float32";
    }

    /// <summary>Names the generated class declares itself; a class cannot share a name with its members (CS0542).</summary>
    private static readonly HashSet<string> s_memberNames = new(StringComparer.Ordinal)
    {
        Emitter.InputLengthName, Emitter.OutputLengthName, Emitter.ResourceNameName, Emitter.InputShapeName,
        Emitter.OutputShapeName, Emitter.RunName, Emitter.PredictName, Emitter.ScratchBytesName, Emitter.PrecisionName, Emitter.CompressionSummaryName, Emitter.DisposeName,
        Emitter.CreatePoolName, Emitter.PredictWithScoreName, Emitter.PredictTopKName, Emitter.PredictProbabilitiesName, Emitter.PredictLabelName,
        Emitter.ClassNamesName, Emitter.ScoreKindName,
    };

    /// <summary>The longest sequence length a descriptor may declare (the runtime's limit).</summary>
    private const int MaxSequenceLength = 1 << 20;

    public static bool IsDescriptorPath(string path) => path.EndsWith(DescriptorExtension, StringComparison.OrdinalIgnoreCase);

    /// <param name="file">The descriptor.</param>
    /// <param name="rootNamespace">The project's <c>RootNamespace</c>, used when the descriptor's namespace is empty.</param>
    /// <param name="cancellationToken">Cancels the parse.</param>
    public static ParseResult Parse(DescriptorFile file, string rootNamespace, CancellationToken cancellationToken)
    {
        var reader = new DescriptorReader(file);
        reader.ReadLines(cancellationToken);

        if (reader.TryGetRaw(Keys.Format, out var formatText, out _)
            && formatText != SupportedFormat.ToString(CultureInfo.InvariantCulture)
            && formatText != MultiTensorFormat.ToString(CultureInfo.InvariantCulture))
        {
            return reader.Fail(new DiagnosticInfo(
                DiagnosticDescriptors.UnsupportedFormat.Id,
                Args(file.Path, reader.ModelName, formatText, SupportedFormat.ToString(CultureInfo.InvariantCulture) + " or " + MultiTensorFormat.ToString(CultureInfo.InvariantCulture))));
        }

        if (formatText == MultiTensorFormat.ToString(CultureInfo.InvariantCulture))
        {
            return ParseMultiTensor(file, rootNamespace, reader);
        }

        reader.RequireString(Keys.Format);
        string className = reader.RequireString(Keys.ClassName);
        string descriptorNamespace = reader.OptionalString(Keys.Namespace, string.Empty);
        string resourceName = reader.OptionalString(Keys.ResourceName, "BuildOptim." + className + ".bopt");
        // Names taken from the model file reach the generated source only as comment text, made safe for it.
        string sourceModel = SafeText.ForComment(reader.OptionalString(Keys.SourceModel, string.Empty));
        string inputName = SafeText.ForComment(reader.OptionalString(Keys.InputName, "input"));
        string outputName = SafeText.ForComment(reader.OptionalString(Keys.OutputName, "output"));
        int inputLength = reader.RequirePositiveInt(Keys.InputLength);
        int outputLength = reader.RequirePositiveInt(Keys.OutputLength);
        var inputShape = reader.OptionalShape(Keys.InputShape, inputLength, Keys.InputLength);
        var outputShape = reader.OptionalShape(Keys.OutputShape, outputLength, Keys.OutputLength);
        bool dynamicBatch = reader.OptionalBool(Keys.DynamicBatch);
        bool classifier = reader.OptionalBool(Keys.Classifier);
        string precision = reader.OptionalPrecision();
        bool hasPlan = reader.OptionalPlan();
        string summary = SafeText.ForComment(reader.OptionalString(Keys.Summary, string.Empty), SummaryMaxLength);
        var (classNames, scoreKind) = ReadClassifierKeys(reader, classifier, outputLength);

        string ns = descriptorNamespace.Length > 0 ? descriptorNamespace : rootNamespace.Trim();
        if (className.Length > 0 && ValidateClassName(className) is { } classProblem)
        {
            reader.AddInvalidIdentifier("class name", className, classProblem);
        }

        if (ns.Length > 0 && ValidateNamespace(ns) is { } namespaceProblem)
        {
            string what = descriptorNamespace.Length > 0 ? "namespace" : "namespace (from RootNamespace)";
            reader.AddInvalidIdentifier(what, ns, namespaceProblem);
        }

        if (reader.HasErrors)
        {
            return reader.Fail(null);
        }

        var spec = new ModelSpec(
            file.Path, ns, className, resourceName, sourceModel,
            inputName, inputShape, inputLength,
            outputName, outputShape, outputLength,
            dynamicBatch, classifier, precision, summary)
        {
            ClassNames = classNames,
            ScoreKind = scoreKind,
            HasPlan = hasPlan,
        };
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>Format 2: the common keys, then every input and output with its name, type, shape and length.</summary>
    private static ParseResult ParseMultiTensor(DescriptorFile file, string rootNamespace, DescriptorReader reader)
    {
        string className = reader.RequireString(Keys.ClassName);
        string descriptorNamespace = reader.OptionalString(Keys.Namespace, string.Empty);
        string resourceName = reader.OptionalString(Keys.ResourceName, "BuildOptim." + className + ".bopt");
        string sourceModel = SafeText.ForComment(reader.OptionalString(Keys.SourceModel, string.Empty));
        bool dynamicBatch = reader.OptionalBool(Keys.DynamicBatch);
        bool classifier = reader.OptionalBool(Keys.Classifier);
        string precision = reader.OptionalPrecision();
        bool hasPlan = reader.OptionalPlan();
        string summary = SafeText.ForComment(reader.OptionalString(Keys.Summary, string.Empty), SummaryMaxLength);

        // Parameter names are derived from the model's names and validated, unique across inputs and outputs.
        var taken = new HashSet<string>(StringComparer.Ordinal) { Emitter.SequenceLengthLocal, "minSequence", "maxSequence" };
        var inputs = reader.Tensors(DescriptorKeys.InputPrefix, DescriptorKeys.InputCount, "input", taken);
        var outputs = reader.Tensors(DescriptorKeys.OutputPrefix, DescriptorKeys.OutputCount, "output", taken);
        if (outputs.Any(o => o.Type != "float32"))
        {
            reader.MalformedAt(DescriptorKeys.OutputCount, "every output must be 'float32' (outputs are Span<float>)");
        }

        bool singleClassifier = classifier && outputs.Count == 1 && !outputs[0].PerSequence;
        var (classNames, scoreKind) = ReadClassifierKeys(reader, singleClassifier, singleClassifier ? outputs[0].Length : 0);
        var (minSequence, maxSequence) = reader.OptionalSequenceLength(DescriptorKeys.SequenceLength);
        if (maxSequence > 0 != inputs.Any(t => t.PerSequence) || (maxSequence == 0 && outputs.Any(t => t.PerSequence)))
        {
            reader.MalformedAt(DescriptorKeys.SequenceLength, "'" + DescriptorKeys.SequenceLength + "' and the inputs' '" + DescriptorKeys.TensorSequence + "' keys go together");
        }

        string ns = descriptorNamespace.Length > 0 ? descriptorNamespace : rootNamespace.Trim();
        if (className.Length > 0 && ValidateClassName(className) is { } classProblem)
        {
            reader.AddInvalidIdentifier("class name", className, classProblem);
        }

        if (ns.Length > 0 && ValidateNamespace(ns) is { } namespaceProblem)
        {
            reader.AddInvalidIdentifier(descriptorNamespace.Length > 0 ? "namespace" : "namespace (from RootNamespace)", ns, namespaceProblem);
        }

        if (reader.HasErrors || inputs.Count == 0 || outputs.Count == 0)
        {
            return reader.Fail(null);
        }

        var spec = new ModelSpec(
            file.Path, ns, className, resourceName, sourceModel,
            inputs[0].Name, inputs[0].Shape, inputs[0].Length,
            outputs[0].Name, outputs[0].Shape, outputs[0].Length,
            dynamicBatch, classifier && outputs.Count == 1, precision, summary)
        {
            Inputs = new EquatableArray<TensorSpec>(inputs.ToArray()),
            Outputs = new EquatableArray<TensorSpec>(outputs.ToArray()),
            MinSequenceLength = minSequence,
            MaxSequenceLength = maxSequence,
            HasPlan = hasPlan,
            ClassNames = classNames,
            ScoreKind = scoreKind,
        };
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>
    /// A camelCase C# parameter name for the model's tensor <paramref name="name"/>: its ASCII letters and digits, words
    /// joined; <paramref name="prefix"/> first when it would not start with a letter or would be a keyword; a number
    /// appended when taken. Never the model's text itself.
    /// </summary>
    internal static string ParameterName(string name, string prefix, ISet<string> taken)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        foreach (char c in name)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9')
            {
                word.Append(c);
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }

        var id = new System.Text.StringBuilder();
        foreach (string w in words.Take(8))
        {
            id.Append(id.Length == 0 ? char.ToLowerInvariant(w[0]) : char.ToUpperInvariant(w[0])).Append(w, 1, Math.Min(w.Length, 32) - 1);
        }

        string candidate = id.ToString();
        if (candidate.Length == 0 || !char.IsLetter(candidate[0]) || SyntaxFacts.GetKeywordKind(candidate) != SyntaxKind.None
            || SyntaxFacts.GetContextualKeywordKind(candidate) != SyntaxKind.None)
        {
            candidate = prefix + (candidate.Length == 0 ? string.Empty : char.ToUpperInvariant(candidate[0]) + candidate.Substring(1));
        }

        string unique = candidate;
        for (int n = 2; !taken.Add(unique); n++)
        {
            unique = candidate + n.ToString(CultureInfo.InvariantCulture);
        }

        return unique;
    }

    /// <summary>The diagnostic for <paramref name="spec"/>, whose class <paramref name="first"/> already generates.</summary>
    public static DiagnosticInfo DuplicateClass(ModelSpec spec, ModelSpec first)
    {
        string type = spec.Namespace.Length == 0 ? spec.ClassName : spec.Namespace + "." + spec.ClassName;
        return new DiagnosticInfo(
            DiagnosticDescriptors.DuplicateClass.Id,
            Args(type, spec.DescriptorPath, ModelName(spec), first.DescriptorPath, ModelName(first)));
    }

    private static string ModelName(ModelSpec spec)
        => spec.SourceModel.Length > 0 ? spec.SourceModel : System.IO.Path.GetFileNameWithoutExtension(spec.DescriptorPath);

    /// <summary>Why <paramref name="name"/> cannot name the generated class, or null when it can.</summary>
    internal static string? ValidateClassName(string name)
    {
        if (!SafeText.IsSafe(name))
        {
            return "it contains control, format or separator characters";
        }

        if (!SyntaxFacts.IsValidIdentifier(name))
        {
            return "it must start with a letter or '_' and contain only letters, digits and '_'";
        }

        if (SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None)
        {
            return "it is a C# keyword";
        }

        if (s_memberNames.Contains(name))
        {
            return "it is the name of a member of the generated class";
        }

        return null;
    }

    /// <summary>Why <paramref name="name"/> (dotted) cannot be the namespace of the generated class, or null when it can.</summary>
    internal static string? ValidateNamespace(string name)
    {
        if (!SafeText.IsSafe(name))
        {
            return "it contains control, format or separator characters";
        }

        foreach (var part in name.Split('.'))
        {
            if (!SyntaxFacts.IsValidIdentifier(part))
            {
                return part.Length == 0
                    ? "it has an empty segment"
                    : "segment '" + part + "' must start with a letter or '_' and contain only letters, digits and '_'";
            }

            if (SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None || part == "global")
            {
                return "segment '" + part + "' is a C# keyword";
            }
        }

        return null;
    }

    /// <summary>Diagnostic arguments, made safe to print: a descriptor may carry anything a model file did.</summary>
    private static EquatableArray<string> Args(params string[] args)
        => new(System.Array.ConvertAll(args, arg => SafeText.ForComment(arg, DiagnosticArgumentLength)));

    private const int DiagnosticArgumentLength = 1000;

    /// <summary>Splits lines into keys and values and turns the values into typed fields, collecting every problem.</summary>
    private sealed class DescriptorReader
    {
        private readonly DescriptorFile _file;
        private readonly Dictionary<string, (string Value, int Line)> _values = new(StringComparer.Ordinal);
        private readonly List<DiagnosticInfo> _diagnostics = new();
        private readonly List<(int Line, string Problem)> _malformed = new();
        private int _lineCount;

        public DescriptorReader(DescriptorFile file)
        {
            _file = file;
        }

        public bool HasErrors => _malformed.Count > 0 || _diagnostics.Count > 0;

        /// <summary>The model named in messages: the source model, else the descriptor's file name.</summary>
        public string ModelName => TryGetRaw(Keys.SourceModel, out var model, out _) && model.Length > 0
            ? model
            : System.IO.Path.GetFileNameWithoutExtension(_file.Path);

        public void ReadLines(CancellationToken cancellationToken)
        {
            var lines = _file.Content.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
            _lineCount = lines.Length > 1 && lines[lines.Length - 1].Length == 0 ? lines.Length - 1 : lines.Length;
            for (int i = 0; i < lines.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int lineNumber = i + 1;
                string line = StripComment(lines[i]).Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                int equals = line.IndexOf('=');
                if (equals <= 0)
                {
                    _malformed.Add((lineNumber, "expected 'key=value', found '" + line + "'"));
                    continue;
                }

                string key = line.Substring(0, equals).Trim();
                string value = line.Substring(equals + 1).Trim();
                if (_values.TryGetValue(key, out var first))
                {
                    _malformed.Add((lineNumber, "key '" + key + "' is repeated (first on line " + Format(first.Line) + ")"));
                    continue;
                }

                _values.Add(key, (value, lineNumber));
            }
        }

        public bool TryGetRaw(string key, out string value, out int line)
        {
            if (_values.TryGetValue(key, out var entry))
            {
                (value, line) = entry;
                return true;
            }

            (value, line) = (string.Empty, 0);
            return false;
        }

        public string RequireString(string key)
        {
            if (!TryGetRaw(key, out var value, out int line))
            {
                Malformed(_lineCount, "the required key '" + key + "' is missing");
            }
            else if (value.Length == 0)
            {
                Malformed(line, "'" + key + "' must not be empty");
            }

            return value;
        }

        public string OptionalString(string key, string fallback)
            => TryGetRaw(key, out var value, out _) && value.Length > 0 ? value : fallback;

        public int RequirePositiveInt(string key)
        {
            string text = RequireString(key);
            if (text.Length == 0)
            {
                return 0;
            }

            if (!TryParsePositiveInt(text, out int value))
            {
                TryGetRaw(key, out _, out int line);
                Malformed(line, "'" + key + "' must be a positive integer, found '" + text + "'");
            }

            return value;
        }

        /// <summary>A comma-separated list of positive dimensions whose product is the length; the length alone when absent.</summary>
        public EquatableArray<int> OptionalShape(string key, int length, string lengthKey)
        {
            if (!TryGetRaw(key, out var text, out int line) || text.Length == 0)
            {
                return new EquatableArray<int>(new[] { length });
            }

            var parts = text.Split(',');
            var dims = new int[parts.Length];
            long product = 1;
            for (int i = 0; i < parts.Length; i++)
            {
                if (!TryParsePositiveInt(parts[i].Trim(), out dims[i]))
                {
                    Malformed(line, "'" + key + "' must be comma-separated positive integers, found '" + text + "'");
                    return EquatableArray<int>.Empty;
                }

                product = Math.Min(product * dims[i], (long)int.MaxValue + 1); // past int range it is a mismatch anyway; stay far from overflow
            }

            if (length > 0 && product != length)
            {
                Malformed(line, "'" + key + "' (" + text + ") holds " + Format(product) + " elements but '" + lengthKey + "' is " + Format(length));
            }

            return new EquatableArray<int>(dims);
        }

        /// <summary>The tensors of a format-2 descriptor under <paramref name="prefix"/>, every problem collected.</summary>
        public List<TensorSpec> Tensors(string prefix, string countKey, string identifierPrefix, ISet<string> taken)
        {
            var tensors = new List<TensorSpec>();
            int count = RequirePositiveInt(countKey);
            if (count > MaxTensors)
            {
                MalformedAt(countKey, "'" + countKey + "' must be at most " + Format(MaxTensors));
                return tensors;
            }

            for (int i = 0; i < count; i++)
            {
                string key = prefix + Format(i) + ".";
                string name = SafeText.ForComment(OptionalString(key + DescriptorKeys.TensorName, identifierPrefix + Format(i)));
                string type = OptionalString(key + DescriptorKeys.TensorType, "float32");
                if (Array.IndexOf(DescriptorKeys.TensorTypes, type) < 0)
                {
                    MalformedAt(key + DescriptorKeys.TensorType, "'" + key + DescriptorKeys.TensorType + "' must be one of " + string.Join(", ", DescriptorKeys.TensorTypes) + ", found '" + type + "'");
                }

                int length = RequirePositiveInt(key + DescriptorKeys.TensorLength);
                var shape = OptionalShape(key + DescriptorKeys.TensorShape, length, key + DescriptorKeys.TensorLength);
                tensors.Add(new TensorSpec(name, ParameterName(name, identifierPrefix, taken), type, shape, length) { Sequence = OptionalSequenceTerm(key + DescriptorKeys.TensorSequence) });
            }

            return tensors;
        }

        /// <summary><c>min,max</c> sequence lengths, 1 ≤ min ≤ max ≤ 2^20; (0, 0) when absent.</summary>
        public (int Min, int Max) OptionalSequenceLength(string key)
        {
            if (!TryGetRaw(key, out var text, out int line) || text.Length == 0)
            {
                return (0, 0);
            }

            var parts = text.Split(',');
            if (parts.Length == 2 && TryParsePositiveInt(parts[0].Trim(), out int min) && TryParsePositiveInt(parts[1].Trim(), out int max) && min <= max && max <= MaxSequenceLength)
            {
                return (min, max);
            }

            Malformed(line, "'" + key + "' must be 'min,max' with 1 <= min <= max <= " + Format(MaxSequenceLength) + ", found '" + text + "'");
            return (0, 0);
        }

        /// <summary><c>c0,c1,c2</c>: three integers of magnitude at most 2^40; empty when absent.</summary>
        public EquatableArray<long> OptionalSequenceTerm(string key)
        {
            if (!TryGetRaw(key, out var text, out int line) || text.Length == 0)
            {
                return EquatableArray<long>.Empty;
            }

            var parts = text.Split(',');
            var values = new long[3];
            if (parts.Length == 3 && Enumerable.Range(0, 3).All(i => long.TryParse(parts[i].Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out values[i]) && Math.Abs(values[i]) <= 1L << 40))
            {
                return new EquatableArray<long>(values);
            }

            Malformed(line, "'" + key + "' must be three integers 'c0,c1,c2', found '" + text + "'");
            return EquatableArray<long>.Empty;
        }

        /// <summary>A problem on the line of <paramref name="key"/> (or the last line when the key is missing).</summary>
        public void MalformedAt(string key, string problem)
            => Malformed(TryGetRaw(key, out _, out int line) ? line : _lineCount, problem);

        public bool OptionalBool(string key)
        {
            if (!TryGetRaw(key, out var text, out int line) || text.Length == 0)
            {
                return false;
            }

            if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (!string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
            {
                Malformed(line, "'" + key + "' must be 'true' or 'false', found '" + text + "'");
            }

            return false;
        }

        /// <summary>False for <c>plan=absent</c> (a signature-only descriptor); true when the key is absent or <c>present</c>.</summary>
        public bool OptionalPlan()
        {
            if (!TryGetRaw(DescriptorKeys.Plan, out var text, out int line) || text.Length == 0 || text == DescriptorKeys.PlanPresent)
            {
                return true;
            }

            if (text != DescriptorKeys.PlanAbsent)
            {
                Malformed(line, "'" + DescriptorKeys.Plan + "' must be '" + DescriptorKeys.PlanPresent + "' or '" + DescriptorKeys.PlanAbsent + "', found '" + text + "'");
            }

            return false;
        }

        public string OptionalPrecision()
        {
            if (!TryGetRaw(Keys.Precision, out var text, out int line) || text.Length == 0)
            {
                return Precisions.Int8;
            }

            foreach (var known in new[] { Precisions.Int8, Precisions.Float32 })
            {
                if (string.Equals(text, known, StringComparison.OrdinalIgnoreCase))
                {
                    return known;
                }
            }

            Malformed(line, "'" + Keys.Precision + "' must be '" + Precisions.Int8 + "' or '" + Precisions.Float32 + "', found '" + text + "'");
            return Precisions.Int8;
        }

        public void AddInvalidIdentifier(string what, string value, string problem)
            => _diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidIdentifier.Id, Args(_file.Path, ModelName, what, value, problem)));

        public ParseResult Fail(DiagnosticInfo? only)
        {
            var all = new List<DiagnosticInfo>();
            if (only is not null)
            {
                all.Add(only);
            }
            else
            {
                _malformed.Sort((a, b) => a.Line.CompareTo(b.Line));
                foreach (var (line, problem) in _malformed)
                {
                    all.Add(new DiagnosticInfo(DiagnosticDescriptors.MalformedDescriptor.Id, Args(_file.Path, Format(line), ModelName, problem)));
                }

                all.AddRange(_diagnostics);
            }

            return new ParseResult(null, new EquatableArray<DiagnosticInfo>(all.ToArray()));
        }

        private void Malformed(int line, string problem) => _malformed.Add((Math.Max(line, 1), problem));

        /// <summary>A <c>#</c> starts a comment at the start of a line or after whitespace, so values like <c>a#b.onnx</c> survive.</summary>
        private static string StripComment(string line)
        {
            for (int i = 0; i < line.Length; i++)
            {
                if (line[i] == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                {
                    return line.Substring(0, i);
                }
            }

            return line;
        }

        private static bool TryParsePositiveInt(string text, out int value)
            => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

        private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
