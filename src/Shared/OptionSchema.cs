using System;
using System.Collections.Generic;
using System.Globalization;

namespace BuildOptim;

/// <summary>How an option's value is read.</summary>
internal enum OptionKind
{
    /// <summary>A path to a data file or folder (checked on disk by the front that resolves it).</summary>
    File,

    /// <summary>Free text, checked elsewhere (names, identifiers).</summary>
    Text,

    /// <summary>One of <see cref="OptionSpec.Choices"/>, case-insensitive; canonical spelling kept.</summary>
    Choice,

    /// <summary>A finite number in [<see cref="OptionSpec.Min"/>, <see cref="OptionSpec.Max"/>], invariant culture.</summary>
    Number,

    /// <summary>A whole number in [<see cref="OptionSpec.Min"/>, <see cref="OptionSpec.Max"/>].</summary>
    WholeNumber,

    /// <summary><c>true</c> or <c>false</c> as metadata; a flag without value on the command line.</summary>
    Flag,
}

/// <summary>
/// One compression option, declared once: its item metadata (or project property) name, its command-line flag,
/// how its value is read and checked, its default and the message a bad value gets. The task, the CLI and the
/// engine all read options through this table (<see cref="OptionSchema"/>), so a bound or a spelling lives in
/// one place; docs/architecture.md says how to add an option.
/// </summary>
internal sealed class OptionSpec
{
    public OptionSpec(string metadata, string flag, OptionKind kind, string defaultText, string expected,
        string[]? choices = null, double min = 0, double max = 0, bool allowsAuto = false, Func<double, bool>? accepts = null,
        Func<string, bool>? acceptsText = null)
    {
        Metadata = metadata;
        Flag = flag;
        Kind = kind;
        DefaultText = defaultText;
        Expected = expected;
        Choices = choices ?? Array.Empty<string>();
        Min = min;
        Max = max;
        AllowsAuto = allowsAuto;
        _accepts = accepts;
        _acceptsText = acceptsText;
    }

    private readonly Func<double, bool>? _accepts;
    private readonly Func<string, bool>? _acceptsText;

    /// <summary>The <c>ModelToCompress</c> metadata name (or the project property, for <c>BuildOptimGate</c>).</summary>
    public string Metadata { get; }

    /// <summary>The command-line option, without the leading dashes (<c>sparsity</c> for <c>--sparsity</c>).</summary>
    public string Flag { get; }

    public OptionKind Kind { get; }

    /// <summary>The value used when the option is not set, as documented (empty when there is none).</summary>
    public string DefaultText { get; }

    /// <summary>What a valid value looks like, for messages: "a number from 0 to 0.95 or Auto".</summary>
    public string Expected { get; }

    /// <summary>The values of a <see cref="OptionKind.Choice"/>, in their canonical spelling.</summary>
    public IReadOnlyList<string> Choices { get; }

    public double Min { get; }

    public double Max { get; }

    /// <summary>Whether <c>Auto</c> (any case) asks the engine to search for the value.</summary>
    public bool AllowsAuto { get; }

    /// <summary>The CLI spelling, <c>--flag</c>.</summary>
    public string CliName => "--" + Flag;

    /// <summary>
    /// Reads <paramref name="text"/>: true with the canonical text (trimmed; choices in their listed spelling, numbers in
    /// invariant round-trip form, <c>Auto</c>) or null when it is empty (not set: the default applies); false when invalid.
    /// </summary>
    public bool TryParse(string? text, out string? canonical)
    {
        canonical = null;
        string value = (text ?? string.Empty).Trim();
        if (value.Length == 0)
        {
            return true;
        }

        if (AllowsAuto && string.Equals(value, "Auto", StringComparison.OrdinalIgnoreCase))
        {
            canonical = "Auto";
            return true;
        }

        switch (Kind)
        {
            case OptionKind.Choice:
                foreach (string choice in Choices)
                {
                    if (string.Equals(value, choice, StringComparison.OrdinalIgnoreCase))
                    {
                        canonical = choice;
                        return true;
                    }
                }

                return false;
            case OptionKind.Flag:
                if (string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) || string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
                {
                    canonical = value.ToLowerInvariant();
                    return true;
                }

                return false;
            case OptionKind.Number:
            case OptionKind.WholeNumber:
                var style = Kind == OptionKind.Number ? NumberStyles.Float : NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite;
                if (!double.TryParse(value, style, CultureInfo.InvariantCulture, out double number)
                    || double.IsNaN(number) || double.IsInfinity(number) || number < Min || number > Max
                    || (_accepts != null && !_accepts(number)))
                {
                    return false;
                }

                canonical = number.ToString("R", CultureInfo.InvariantCulture);
                return true;
            default:
                if (_acceptsText != null && !_acceptsText(value))
                {
                    return false;
                }

                canonical = value;
                return true;
        }
    }

    /// <summary>The message for an invalid <paramref name="value"/> (the front adds the item and the code).</summary>
    public string Problem(string value)
        => $"{Metadata} '{value}' is not valid; expected {Expected}" + (Kind is OptionKind.Number or OptionKind.WholeNumber ? " (invariant culture, '.' as decimal separator)." : ".");
}

/// <summary>Every compression option, in the order the CLI usage and docs/usage.md list them.</summary>
internal static class OptionSchema
{
    /// <summary>Above this, pruning leaves too little of a layer to be worth a search.</summary>
    public const double MaxSparsity = 0.95;

    /// <summary>Clusters per layer for weight sharing: 0 is off, else 2 to this (8-bit indices).</summary>
    public const int MaxClusters = 256;

    /// <summary>Epochs of distillation at most (each a pass over up to 20 000 training samples).</summary>
    public const int MaxDistillEpochs = 1000;

    /// <summary>Above this the softened distributions are nearly uniform: the teacher says nothing.</summary>
    public const double MaxDistillTemperature = 100;

    public static readonly OptionSpec Calibration = new("Calibration", "calibration", OptionKind.File, "", "a .npy, .npz, .csv file or a folder of test_data_set_*");
    public static readonly OptionSpec Evaluation = new("Evaluation", "evaluation", OptionKind.File, "the Calibration data", "a .npy, .npz, .csv file or a folder of test_data_set_*");
    public static readonly OptionSpec Labels = new("Labels", "labels", OptionKind.Text, "labels", "a .npy or .csv file of class ids, or the name of an array in the evaluation .npz");
    public static readonly OptionSpec ClassNames = new("ClassNames", "class-names", OptionKind.File, "", "a UTF-8 text file with one class name per line, as many as the classifier's outputs");
    public static readonly OptionSpec Quantize = new("Quantize", "quantize", OptionKind.Choice, "Int8", "Int8 or None", choices: new[] { "Int8", "None" });
    public static readonly OptionSpec Calibrator = new("Calibrator", "calibrator", OptionKind.Choice, "MinMax", "MinMax, Percentile, Entropy or Mse", choices: new[] { "MinMax", "Percentile", "Entropy", "Mse" });
    public static readonly OptionSpec Prune = new("Prune", "prune", OptionKind.Choice, "None", "None, Magnitude or Neurons", choices: new[] { "None", "Magnitude", "Neurons" });
    public static readonly OptionSpec Sparsity = new("Sparsity", "sparsity", OptionKind.Number, "0", "a number from 0 to 0.95 or Auto", min: 0, max: MaxSparsity, allowsAuto: true);
    public static readonly OptionSpec ShareWeights = new("ShareWeights", "share-weights", OptionKind.WholeNumber, "0", "0 (off), a whole number of clusters from 2 to 256, or Auto", min: 0, max: MaxClusters, allowsAuto: true, accepts: clusters => clusters != 1 && clusters == Math.Floor(clusters));
    public static readonly OptionSpec MergeNeurons = new("MergeNeurons", "merge-neurons", OptionKind.Number, "0", "a cosine similarity threshold from 0 (off) to 1, e.g. 0.98", min: 0, max: 1);
    public static readonly OptionSpec MaxAccuracyDrop = new("MaxAccuracyDrop", "max-accuracy-drop", OptionKind.Number, "1.0", "a number of percentage points >= 0", min: 0, max: double.MaxValue);
    public static readonly OptionSpec MinAgreement = new("MinAgreement", "min-agreement", OptionKind.Number, "0.99 when the data has no labels", "a fraction from 0 to 1", min: 0, max: 1);
    public static readonly OptionSpec MinCosine = new("MinCosine", "min-cosine", OptionKind.Number, "0.99 for models that are not classifiers", "a cosine similarity from -1 to 1", min: -1, max: 1);
    public static readonly OptionSpec Fallback = new("Fallback", "fallback", OptionKind.Choice, "None", "None or Auto", choices: new[] { "None", "Auto" });
    public static readonly OptionSpec WeightBits = new("WeightBits", "weight-bits", OptionKind.Choice, "Auto", "Auto, 8 or 7", choices: new[] { "Auto", "8", "7" });
    public static readonly OptionSpec EmitOnnx = new("EmitOnnx", "emit-onnx", OptionKind.Flag, "false", "true or false");
    public static readonly OptionSpec Distill = new("Distill", "distill", OptionKind.Flag, "false", "true or false");
    public static readonly OptionSpec Student = new("Student", "student", OptionKind.File, "the compressed original itself", "an ONNX model file with the original's input and output shapes");
    public static readonly OptionSpec TrainingData = new("TrainingData", "training-data", OptionKind.File, "the Calibration data", "a .npy, .npz, .csv file or a folder of test_data_set_*");
    public static readonly OptionSpec DistillEpochs = new("DistillEpochs", "distill-epochs", OptionKind.WholeNumber, "10", "a whole number of epochs from 1 to 1000", min: 1, max: MaxDistillEpochs);
    public static readonly OptionSpec DistillTemperature = new("DistillTemperature", "distill-temperature", OptionKind.Number, "2", "a temperature from 1 to 100", min: 1, max: MaxDistillTemperature);
    public static readonly OptionSpec ClassName = new("ClassName", "class-name", OptionKind.Text, "the file name in PascalCase + Model", "a C# identifier");
    public static readonly OptionSpec Namespace = new("Namespace", "namespace", OptionKind.Text, "$(RootNamespace)", "a C# namespace");
    public static readonly OptionSpec Tokenizer = new("Tokenizer", "tokenizer", OptionKind.File, "", "a BERT WordPiece vocab.txt; .txt data files (one text per line) then become input_ids, attention_mask and token_type_ids");
    public static readonly OptionSpec InputShape = new("InputShape", "input-shape", OptionKind.Text, "the model's own shape", "dims such as 1,3,48,192, or name:1,128;other:1,128 for several inputs ('?' keeps a dimension dynamic)");
    public static readonly OptionSpec ImageSize = new("ImageSize", "image-size", OptionKind.Text, "the model input's, when it is [channels,height,width] or [height,width,channels]", "width,height in pixels, each from 1 to 4096, e.g. 224,224", acceptsText: ImageOptions.IsValidSize);
    public static readonly OptionSpec ImageLayout = new("ImageLayout", "image-layout", OptionKind.Choice, "the model input's: NHWC when its last dimension is 1 or 3 and its first is not, else NCHW", "NCHW or NHWC", choices: new[] { "NCHW", "NHWC" });
    public static readonly OptionSpec ImageChannels = new("ImageChannels", "image-channels", OptionKind.Choice, "RGB for 3 channels, Gray for 1", "RGB, BGR or Gray", choices: new[] { "RGB", "BGR", "Gray" });
    public static readonly OptionSpec ImageScale = new("ImageScale", "image-scale", OptionKind.Number, "0.00392156862745098 (1/255)", "a number > 0 that multiplies the 0-255 pixel values, e.g. 1 or 0.00392156862745098", min: 0, max: 1e6, accepts: scale => scale > 0);
    public static readonly OptionSpec ImageMean = new("ImageMean", "image-mean", OptionKind.Text, "0", "one number, or three (one per channel in the model's channel order), e.g. 0.485,0.456,0.406", acceptsText: ImageOptions.IsValidMean);
    public static readonly OptionSpec ImageStd = new("ImageStd", "image-std", OptionKind.Text, "1", "one number > 0, or three (one per channel), e.g. 0.229,0.224,0.225", acceptsText: ImageOptions.IsValidStd);
    public static readonly OptionSpec Gate = new("BuildOptimGate", "gate", OptionKind.Choice, "Error", "Error, Warning or Off", choices: new[] { "Error", "Warning", "Off" });

    /// <summary>The options a <c>ModelToCompress</c> item may carry as metadata (the gate is a project property).</summary>
    public static readonly IReadOnlyList<OptionSpec> ItemMetadata = new[]
    {
        ClassName, Namespace, Calibration, Evaluation, Labels, ClassNames, Quantize, Calibrator, Prune, Sparsity, ShareWeights,
        MergeNeurons, MaxAccuracyDrop, MinAgreement, MinCosine, Fallback, WeightBits, EmitOnnx, Distill, Student, TrainingData, DistillEpochs,
        DistillTemperature, InputShape, Tokenizer, ImageSize, ImageLayout, ImageChannels, ImageScale, ImageMean, ImageStd,
    };

    /// <summary>Metadata DESIGN.md names that this version does not carry out yet: a warning says they are ignored.</summary>
    public static readonly IReadOnlyList<string> NotYetSupported = new string[0];

    /// <summary>Item metadata MSBuild and the IDE use on any item, which a ModelToCompress item may carry too.</summary>
    public static readonly IReadOnlyList<string> CommonItemMetadata = new[] { "Link", "Visible", "DependentUpon", "CopyToOutputDirectory", "CopyToPublishDirectory", "Pack", "PackagePath", "Condition" };

    /// <summary>The known name closest to <paramref name="name"/> (edit distance, ignoring case), or null when none is close.</summary>
    public static string? ClosestMetadata(string name)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var option in ItemMetadata)
        {
            int distance = EditDistance(name.ToLowerInvariant(), option.Metadata.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (option.Metadata, distance);
            }
        }

        return bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    /// <summary>Every option of <c>buildoptim compress</c> that the schema describes.</summary>
    public static readonly IReadOnlyList<OptionSpec> All = new List<OptionSpec>(ItemMetadata) { Gate };
}
