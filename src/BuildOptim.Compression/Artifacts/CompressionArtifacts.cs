using System.Globalization;
using System.Text;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Onnx;
using BuildOptim.Onnx.Ir;
using BuildOptim.Compression.Pipeline;
using BuildOptim.Runtime;

namespace BuildOptim.Compression.Artifacts;

/// <summary>What a compression leaves in its output folder: the plan, the generator's descriptor, the report, and the rest.</summary>
internal static class CompressionArtifacts
{
    public const string PlanFileName = "model.bopt";

    /// <summary>The summary line reaches the generated class as a string literal; a longer one is cut.</summary>
    public const int MaxSummaryLength = 1000;
    public const string DescriptorFileName = "model.boptgen";
    public const string ReportFileName = "report.json";

    /// <summary>The report for a person, beside report.json: one self-contained page (<see cref="HtmlReport"/>).</summary>
    public const string ReportHtmlFileName = "report.html";
    public const string EvaluationOutputsFileName = "evaluation-outputs.npy";

    /// <summary>Written when the gate failed but the build goes on (BuildOptimGate=Warning): "BOPTnnnn: message".</summary>
    public const string GateWarningFileName = "gate-warning.txt";

    internal static void Write(CompressionOptions options, Network model, IReadOnlyList<ElementType> inputTypes, byte[] plan, CompressionReport report, string summary, float[]? evaluationOutputs, Dictionary<int, TensorRange>? ranges, IReadOnlySet<string> floatLayers, SequenceLengths? sequence = null)
    {
        string item = options.ItemSpec ?? options.ModelPath;
        if (options.EmitOnnx && sequence is not null)
        {
            // The export's shapes are fixed at lowering; a plan that runs at any sequence length has no one graph to write.
            throw new CompressionException(Diagnostics.OptionNotSupported, options.ModelPath,
                $"EmitOnnx on '{item}': the plan runs at the length of its inputs, and the ONNX export is written for one fixed sequence length. Fix the length with InputShape (e.g. \"input_ids:1,128\"), or turn EmitOnnx off for this model.");
        }

        byte[]? qdqModel = options.EmitOnnx && ranges is not null ? QdqExporter.Serialize(model, ranges, floatLayers, item) : null;
        var utf8 = new UTF8Encoding(false);
        List<Artifact> artifacts =
        [
            new(DescriptorFileName, path => File.WriteAllText(path, Descriptor(options, model, report, summary, inputTypes, sequence), utf8)),
            .. Reports(report),
        ];
        if (qdqModel is not null)
        {
            artifacts.Add(new(QdqExporter.FileName, path => File.WriteAllBytes(path, qdqModel)));
        }

        if (evaluationOutputs is not null)
        {
            artifacts.Add(new(EvaluationOutputsFileName, path => NpyWriter.WriteFloat32(path, evaluationOutputs, model.Outputs.Count == 1 ? [evaluationOutputs.Length / model.OutputLength, .. model.OutputShape] : [evaluationOutputs.Length / model.OutputLength, model.OutputLength])));
        }

        if (report.Gate is { Evaluated: true, Passed: false, Code: { } code })
        {
            // The build repeats a gate warning from this file on every build until the model passes (BuildOptimGate=Warning).
            artifacts.Add(new(GateWarningFileName, path => File.WriteAllText(path, code + ": " + DisplayText.OneLine(report.Gate.Message) + "\n", utf8)));
        }

        // The plan last: the build takes its presence for a complete set.
        artifacts.Add(new(PlanFileName, path => File.WriteAllBytes(path, plan)));
        ArtifactWriter.Write(options.OutputDirectory, artifacts, item);
    }

    /// <summary>
    /// A failed gate under BuildOptimGate=Error: report.json and report.html, so the failing build can be diagnosed, and a
    /// signature-only descriptor (<c>plan=absent</c>), so the class still exists for the IDE and the compiler while the build
    /// fails with the gate's error. The previous run's plan is deleted with the rest of its artifacts; no plan reaches the generator.
    /// </summary>
    internal static void WriteReportsOnly(CompressionOptions options, CompressionReport report, Network model, IReadOnlyList<ElementType> inputTypes, string summary, SequenceLengths? sequence)
    {
        var utf8 = new UTF8Encoding(false);
        List<Artifact> artifacts =
        [
            .. Reports(report),
            new(DescriptorFileName, path => File.WriteAllText(path, Descriptor(options, model, report, summary, inputTypes, sequence, hasPlan: false), utf8)),
        ];
        try
        {
            ArtifactWriter.Write(options.OutputDirectory, artifacts, options.ItemSpec ?? options.ModelPath);
        }
        catch (CompressionException e) when (e.Code == Diagnostics.ForeignFile)
        {
            // Nothing was written; a stale plan must not outlive the failed gate either.
            ArtifactWriter.Delete(options.OutputDirectory);
            throw;
        }
    }

    /// <summary>The full path report.html is written to.</summary>
    internal static string ReportHtmlPath(CompressionOptions options) => Path.GetFullPath(Path.Combine(options.OutputDirectory, ReportHtmlFileName));

    private static List<Artifact> Reports(CompressionReport report)
    {
        var utf8 = new UTF8Encoding(false);
        return
        [
            new(ReportFileName, path => File.WriteAllText(path, report.ToJson() + "\n", utf8)),
            new(ReportHtmlFileName, path => File.WriteAllText(path, HtmlReport.Render(report), utf8)),
        ];
    }

    /// <summary>The generator's input: small, text, invariant (see docs/architecture.md).</summary>
    /// <param name="sequence">The plan's sequence lengths, when its inputs keep one dynamic (always format 2).</param>
    /// <param name="hasPlan">False for a signature-only descriptor (<c>plan=absent</c>): no plan goes with it.</param>
    public static string Descriptor(CompressionOptions options, Network model, CompressionReport report, string summary = "", IReadOnlyList<ElementType>? inputTypes = null, SequenceLengths? sequence = null, bool hasPlan = true)
    {
        string Join(int[] dims) => string.Join(",", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        var s = new StringBuilder();
        void Line(string key, string value) => s.Append(key).Append('=').Append(value).Append('\n');
        s.Append("# Generated by BuildOptim ").Append(ToolInfo.Version).Append(". Input of the BuildOptim source generator.\n");
        bool multiTensor = model.Inputs.Count > 1 || model.Outputs.Count > 1 || (inputTypes?.Any(t => t != ElementType.Float) ?? false) || sequence is not null;
        if (multiTensor)
        {
            return MultiTensorDescriptor(s, options, model, report, summary, inputTypes, sequence, hasPlan);
        }

        Line(DescriptorKeys.FormatKey, DescriptorKeys.Format.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.ClassName, options.EffectiveClassName);
        Line(DescriptorKeys.Namespace, options.Namespace ?? string.Empty);
        Line(DescriptorKeys.ResourceName, options.EffectiveResourceName);

        // Names from the model (and its file name) are for display only; DisplayText keeps them on their line.
        Line(DescriptorKeys.SourceModel, DisplayText.Safe(Path.GetFileName(options.ModelPath)));
        Line(DescriptorKeys.InputName, DisplayText.Safe(model.InputName));
        Line(DescriptorKeys.InputShape, Join(model.InputShape));
        Line(DescriptorKeys.InputLength, model.InputLength.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.OutputName, DisplayText.Safe(model.OutputName));
        Line(DescriptorKeys.OutputShape, Join(model.OutputShape));
        Line(DescriptorKeys.OutputLength, model.OutputLength.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.DynamicBatch, model.DynamicBatch ? "true" : "false");
        Line(DescriptorKeys.Classifier, ModelKinds.IsClassifier(model) ? "true" : "false");
        ClassifierLines(s, options, model);
        Line(DescriptorKeys.Precision, report.Precision);
        if (!hasPlan)
        {
            Line(DescriptorKeys.Plan, DescriptorKeys.PlanAbsent);
        }

        if (summary.Length > 0)
        {
            // The build's own line, for apps to show what was compressed (dotnet run hides the build output).
            Line(DescriptorKeys.Summary, DisplayText.Safe(summary, MaxSummaryLength));
        }
        return s.ToString();
    }

    /// <summary>Format 2: every input and output with its name, element type, per-sample shape and length.</summary>
    private static string MultiTensorDescriptor(StringBuilder s, CompressionOptions options, Network model, CompressionReport report, string summary, IReadOnlyList<ElementType>? inputTypes, SequenceLengths? sequence, bool hasPlan)
    {
        string Join(int[] dims) => string.Join(",", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        void Line(string key, string value) => s.Append(key).Append('=').Append(value).Append('\n');
        void Tensor(string prefix, int index, NetworkValue value, ElementType type, int io)
        {
            string key = prefix + index.ToString(CultureInfo.InvariantCulture) + ".";
            Line(key + DescriptorKeys.TensorName, DisplayText.Safe(value.Name));
            Line(key + DescriptorKeys.TensorType, TypeName(type));
            Line(key + DescriptorKeys.TensorShape, Join(value.Shape[1..]));
            Line(key + DescriptorKeys.TensorLength, value.Length.ToString(CultureInfo.InvariantCulture));
            if (sequence?.Terms.FirstOrDefault(t => t.Target == SequenceTarget.IoLength && t.Index == io) is { C0: var c0, C1: var c1, C2: var c2 } term && term != default)
            {
                Line(key + DescriptorKeys.TensorSequence, string.Join(",", new[] { c0, c1, c2 }.Select(c => c.ToString(CultureInfo.InvariantCulture))));
            }
        }

        Line(DescriptorKeys.FormatKey, DescriptorKeys.MultiTensorFormat.ToString(CultureInfo.InvariantCulture));
        Line(DescriptorKeys.ClassName, options.EffectiveClassName);
        Line(DescriptorKeys.Namespace, options.Namespace ?? string.Empty);
        Line(DescriptorKeys.ResourceName, options.EffectiveResourceName);
        Line(DescriptorKeys.SourceModel, DisplayText.Safe(Path.GetFileName(options.ModelPath)));
        Line(DescriptorKeys.InputCount, model.Inputs.Count.ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < model.Inputs.Count; i++)
        {
            Tensor(DescriptorKeys.InputPrefix, i, model.Value(model.Inputs[i]), inputTypes is not null && i < inputTypes.Count ? inputTypes[i] : ElementType.Float, i);
        }

        Line(DescriptorKeys.OutputCount, model.Outputs.Count.ToString(CultureInfo.InvariantCulture));
        for (int i = 0; i < model.Outputs.Count; i++)
        {
            Tensor(DescriptorKeys.OutputPrefix, i, model.Value(model.Outputs[i]), ElementType.Float, model.Inputs.Count + i);
        }

        if (sequence is not null)
        {
            Line(DescriptorKeys.SequenceLength, sequence.MinLength.ToString(CultureInfo.InvariantCulture) + "," + sequence.MaxLength.ToString(CultureInfo.InvariantCulture));
        }

        Line(DescriptorKeys.DynamicBatch, model.DynamicBatch ? "true" : "false");
        Line(DescriptorKeys.Classifier, ModelKinds.IsClassifier(model) ? "true" : "false");
        ClassifierLines(s, options, model);
        Line(DescriptorKeys.Precision, report.Precision);
        if (!hasPlan)
        {
            Line(DescriptorKeys.Plan, DescriptorKeys.PlanAbsent);
        }

        if (summary.Length > 0)
        {
            Line(DescriptorKeys.Summary, DisplayText.Safe(summary, MaxSummaryLength));
        }

        return s.ToString();
    }

    /// <summary>A classifier's score kind and, with ClassNames, its class names (percent-encoded where the descriptor needs it).</summary>
    private static void ClassifierLines(StringBuilder s, CompressionOptions options, Network model)
    {
        if (!ModelKinds.IsClassifier(model))
        {
            return;
        }

        s.Append(DescriptorKeys.Scores).Append('=').Append(ClassNamesFile.ScoreKind(model)).Append('\n');
        if (ClassNamesFile.Read(options, model) is { } names)
        {
            s.Append(DescriptorKeys.ClassNameCount).Append('=').Append(names.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
            for (int i = 0; i < names.Length; i++)
            {
                s.Append(DescriptorKeys.ClassNamePrefix).Append(i.ToString(CultureInfo.InvariantCulture)).Append('=').Append(DescriptorKeys.EncodeClassName(names[i])).Append('\n');
            }
        }
    }

    /// <summary>The descriptor's name of an input element type (outputs are float32).</summary>
    private static string TypeName(ElementType type) => type switch
    {
        ElementType.Int64 => "int64",
        ElementType.Int32 => "int32",
        ElementType.Bool => "bool",
        _ => "float32",
    };
}
