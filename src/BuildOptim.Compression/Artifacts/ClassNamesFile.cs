using System.Text;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;

namespace BuildOptim.Compression.Artifacts;

/// <summary>
/// The <c>ClassNames</c> file of a classifier: UTF-8 text, one class name per line, as many as the model's outputs. The
/// names become string literals of the generated class, so the file is read as hostile input: its size and the names'
/// count and length are bounded, and a name must be printable text on one line (BOPT1111 otherwise).
/// </summary>
internal static class ClassNamesFile
{
    /// <summary>A larger file is refused before it is read.</summary>
    public const long MaxFileBytes = 1 << 20;

    /// <summary>The names in <see cref="CompressionOptions.ClassNamesPath"/>, checked against <paramref name="model"/>; null when the option is not set.</summary>
    /// <exception cref="CompressionException">BOPT1111: unreadable, too large, a bad name, or a count that is not the model's output length.</exception>
    public static string[]? Read(CompressionOptions options, Network model)
    {
        if (options.ClassNamesPath is not { } path)
        {
            return null;
        }

        string item = options.ItemSpec ?? options.ModelPath;
        CompressionException Fail(string problem) => new(DiagnosticIds.ClassNamesInvalid, path, $"ClassNames '{DisplayText.Safe(path)}' of '{DisplayText.Safe(item)}': {problem}");

        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw Fail("the file does not exist.");
            }

            if (info.Length > MaxFileBytes)
            {
                throw Fail($"the file holds {info.Length} bytes; at most {MaxFileBytes} are read.");
            }

            text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw Fail(e is DecoderFallbackException ? "the file is not UTF-8 text." : $"the file cannot be read: {DisplayText.OneLine(e.Message)}");
        }

        var lines = text.TrimStart('\uFEFF').Replace("\r\n", "\n").Split('\n').Select(line => line.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        if (lines.Count > DescriptorKeys.MaxClassNames)
        {
            throw Fail($"{lines.Count} names; at most {DescriptorKeys.MaxClassNames} are taken.");
        }

        for (int i = 0; i < lines.Count; i++)
        {
            string name = lines[i];
            if (name.Length == 0)
            {
                throw Fail($"line {i + 1} is empty; give every class a name, one per line.");
            }

            if (name.Length > DescriptorKeys.MaxClassNameLength)
            {
                throw Fail($"the name on line {i + 1} has {name.Length} characters; at most {DescriptorKeys.MaxClassNameLength} are taken.");
            }

            if (DisplayText.Safe(name, DescriptorKeys.MaxClassNameLength) != name)
            {
                throw Fail($"the name on line {i + 1} holds a control, format or separator character.");
            }
        }

        bool classifier = model.Outputs.Count == 1 && model.OutputShape.Length == 1 && model.OutputLength > 1;
        if (!classifier)
        {
            throw Fail($"class names are for a classifier (a single output of [batch, classes]), and this model's output is [{string.Join(",", model.OutputShape)}].");
        }

        if (lines.Count != model.OutputLength)
        {
            throw Fail($"{lines.Count} names for the model's {model.OutputLength} classes; give one name per class, in the output's order.");
        }

        return [.. lines];
    }

    /// <summary>What the classifier's output holds: a trailing Softmax gives probabilities, a LogSoftmax log-probabilities.</summary>
    public static string ScoreKind(Network model)
    {
        int output = model.Outputs.Count == 1 ? model.Outputs[0] : -1;
        return model.Layers.LastOrDefault(layer => layer.Output == output) switch
        {
            SoftmaxLayer { Log: true } => DescriptorKeys.ScoreKinds[2],
            SoftmaxLayer => DescriptorKeys.ScoreKinds[1],
            _ => DescriptorKeys.ScoreKinds[0],
        };
    }
}
