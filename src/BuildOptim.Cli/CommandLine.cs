using System.Globalization;
using BuildOptim.Compression;
using BuildOptim.Onnx;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Cli;

/// <summary>
/// <c>buildoptim</c>: the engine as a process. Diagnostics are printed in MSBuild's canonical form
/// (<c>FILE: error BOPTnnnn: message</c>) so the task can relay them with their codes.
/// </summary>
internal static class CommandLine
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    private const string EmitOnnxFlag = "--emit-onnx";

    /// <summary>The usage text; the compress options come from the option schema, so it cannot drift from what is parsed.</summary>
    private static readonly string Usage = $"""
        Usage:
          buildoptim compress MODEL {CompressOptionsUsage()}
                              [--resource-name NAME] [--item ITEMSPEC] --out DIR
          buildoptim conformance DIR [--int8]
          buildoptim run-plan PLAN --input FILE --out FILE.npy
          buildoptim profile PLAN --input FILE [--runs N]
          buildoptim --version
        Int8 (the default --quantize) needs --calibration. Options are described in docs/usage.md.
        """;

    private static string CompressOptionsUsage()
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        foreach (var option in OptionSchema.All)
        {
            string value = option.Kind switch
            {
                OptionKind.Choice => " " + string.Join("|", option.Choices),
                OptionKind.Flag => "",
                OptionKind.File => " FILE",
                OptionKind.Text => option == OptionSchema.Labels ? " FILE|NAME" : " NAME",
                _ => option.AllowsAuto ? " N|Auto" : " N",
            };
            string entry = "[" + option.CliName + value + "]";
            if (line.Length > 0 && line.Length + entry.Length > 90)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : "").Append(entry);
        }

        lines.Add(line.ToString());
        return string.Join("\n                      ", lines);
    }

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? UsageError : Success;
        }

        if (args[0] == "--version")
        {
            stdout.WriteLine(Compressor.ToolVersion);
            return Success;
        }

        if (args.Length > 1 && args[1..].Any(a => a is "-h" or "--help"))
        {
            stdout.WriteLine(Usage);
            return Success;
        }

        try
        {
            return args[0] switch
            {
                "compress" => Compress(args[1..], stdout, stderr),
                "run-plan" => RunPlan(Arguments.Parse(args.AsSpan(1)), stdout),
                "conformance" => Conformance(args.AsSpan(1), stdout),
                "profile" => Profile(Arguments.Parse(args.AsSpan(1)), stdout),
                _ => UsageFailure(stderr, $"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            return UsageFailure(stderr, e.Message);
        }
        catch (OnnxModelException e)
        {
            return Report(stderr, e.FilePath, e.Code, e.Message);
        }
        catch (DataFormatException e)
        {
            return Report(stderr, e.FilePath, e.Code, e.Message);
        }
        catch (CompressionException e)
        {
            // A bad option is exit code 2 whichever layer refused it.
            int exit = Report(stderr, e.FilePath, e.Code, e.Message);
            return e.Code == Diagnostics.InvalidOption ? UsageError : exit;
        }
        catch (Exception e)
        {
            // Anything else is a defect of the engine, never the user's option: report it as one, with no usage text.
            return Report(stderr, args.Length > 1 ? args[1] : "buildoptim", Diagnostics.InternalError, $"BuildOptim failed unexpectedly ({e.GetType().Name}: {e.Message.Split('\n')[0]}). Please report this with the model attached.");
        }
    }

    private static int Compress(string[] args, TextWriter stdout, TextWriter stderr)
    {
        // --emit-onnx (DIR/model.qdq.onnx, Int8 only) and --distill are flags; every other option takes a value.
        bool emitOnnx = args.Contains(OptionSchema.EmitOnnx.CliName);
        bool distill = args.Contains(OptionSchema.Distill.CliName);
        var a = Arguments.Parse(args.Where(arg => arg != OptionSchema.EmitOnnx.CliName && arg != OptionSchema.Distill.CliName).ToArray());
        string model = a.Positional("MODEL");
        string item = a.Get("item") ?? model;

        // Every value is read through the option schema the task uses too: same spellings, bounds and messages.
        string? Value(OptionSpec option)
        {
            string? text = a.Get(option.Flag);
            return option.TryParse(text, out string? canonical)
                ? canonical
                : throw new UsageException($"'{item}': {option.Problem(text!.Trim()).Replace(option.Metadata + " '", option.CliName + " '", StringComparison.Ordinal)}");
        }

        double Number(OptionSpec option) => double.Parse(Value(option) ?? option.DefaultText, CultureInfo.InvariantCulture);
        double? OptionalNumber(OptionSpec option) => Value(option) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : null;
        T Choice<T>(OptionSpec option)
            where T : struct, Enum => Enum.Parse<T>(Value(option) ?? option.DefaultText);

        string? sparsity = Value(OptionSchema.Sparsity);
        string? shareWeights = Value(OptionSchema.ShareWeights);
        var options = new CompressionOptions
        {
            ModelPath = model,
            OutputDirectory = a.Required("out"),
            CalibrationPath = Value(OptionSchema.Calibration),
            EvaluationPath = Value(OptionSchema.Evaluation),
            Labels = Value(OptionSchema.Labels),
            Quantize = Choice<QuantizeMode>(OptionSchema.Quantize),
            Calibrator = Choice<BuildOptim.Compression.Calibration.CalibrationMethod>(OptionSchema.Calibrator),
            Prune = Choice<PruneMode>(OptionSchema.Prune),
            AutoSparsity = sparsity == "Auto",
            Sparsity = sparsity is null or "Auto" ? 0 : double.Parse(sparsity, CultureInfo.InvariantCulture),
            AutoShareWeights = shareWeights == "Auto",
            ShareWeights = shareWeights is null or "Auto" ? 0 : int.Parse(shareWeights, CultureInfo.InvariantCulture),
            MergeNeurons = Number(OptionSchema.MergeNeurons),
            MaxAccuracyDrop = Number(OptionSchema.MaxAccuracyDrop),
            MinAgreement = OptionalNumber(OptionSchema.MinAgreement),
            MinCosine = OptionalNumber(OptionSchema.MinCosine),
            Fallback = Choice<FallbackMode>(OptionSchema.Fallback),
            WeightBits = Choice<WeightBitsMode>(OptionSchema.WeightBits),
            Gate = Choice<GateMode>(OptionSchema.Gate),
            ClassName = Value(OptionSchema.ClassName),
            Namespace = Value(OptionSchema.Namespace),
            ResourceName = a.Get("resource-name"),
            ItemSpec = item,
            EmitOnnx = emitOnnx,
            InputShape = Value(OptionSchema.InputShape),
            TokenizerPath = Value(OptionSchema.Tokenizer),
            ClassNamesPath = Value(OptionSchema.ClassNames),
            Images = ImagesOption(Value),
            Distill = distill,
            StudentPath = Value(OptionSchema.Student),
            TrainingDataPath = Value(OptionSchema.TrainingData),
            DistillEpochs = (int)Number(OptionSchema.DistillEpochs),
            DistillTemperature = Number(OptionSchema.DistillTemperature),
        };
        a.RejectUnknown();

        // Distillation's progress, one line per epoch: the task shows these at normal verbosity.
        var result = Compressor.Run(options, line => stdout.WriteLine(Compressor.ProgressPrefix + line));
        foreach (var warning in result.Warnings)
        {
            stderr.WriteLine($"{DisplayText.OneLine(warning.FilePath)}: warning {warning.Code}: {DisplayText.OneLine(warning.Message)}");
        }

        // The build's line: sizes, metrics, the gated metric against its threshold, and where report.html is.
        stdout.WriteLine(DisplayText.OneLine(result.BuildLine));
        var gate = result.Report.Gate;
        if (!gate.Passed)
        {
            string severity = options.Gate == GateMode.Error ? "error" : "warning";
            stderr.WriteLine($"{DisplayText.OneLine(model)}: {severity} {gate.Code}: {DisplayText.OneLine(gate.Message)}");
            return options.Gate == GateMode.Error ? Failure : Success;
        }

        return Success;
    }

    /// <summary>The image metadata, already checked by the schema, as the engine takes it.</summary>
    private static ImagePreprocessing ImagesOption(Func<OptionSpec, string?> value)
    {
        int? width = null, height = null;
        if (value(OptionSchema.ImageSize) is { } size && ImageOptions.TryParseSize(size, out int w, out int h))
        {
            (width, height) = (w, h);
        }

        double[] Values(OptionSpec option, bool positive, double fallback)
            => value(option) is { } text && ImageOptions.TryParseChannelValues(text, positive, out double[] values) ? values : [fallback];

        return new ImagePreprocessing
        {
            Width = width,
            Height = height,
            Layout = value(OptionSchema.ImageLayout),
            Channels = value(OptionSchema.ImageChannels),
            Scale = value(OptionSchema.ImageScale) is { } scale ? double.Parse(scale, CultureInfo.InvariantCulture) : ImagePreprocessing.DefaultScale,
            Mean = Values(OptionSchema.ImageMean, positive: false, 0),
            Std = Values(OptionSchema.ImageStd, positive: true, 1),
        };
    }

    /// <summary>Runs every backend-test case under DIR; exit code 1 when any supported case fails.</summary>
    private static int Conformance(ReadOnlySpan<string> args, TextWriter stdout)
    {
        bool int8 = false;
        string? root = null;
        foreach (string arg in args)
        {
            if (arg == "--int8")
            {
                int8 = true;
            }
            else if (root is null && !arg.StartsWith("--", StringComparison.Ordinal))
            {
                root = arg;
            }
            else
            {
                throw new UsageException($"Unexpected argument '{arg}'.");
            }
        }

        if (root is null || !Directory.Exists(root))
        {
            throw new UsageException(root is null ? "Missing DIR." : $"Folder '{root}' does not exist.");
        }

        int passed = 0, failed = 0, skipped = 0;
        foreach (string directory in BuildOptim.Compression.Conformance.ConformanceRunner.FindCases(root))
        {
            var result = BuildOptim.Compression.Conformance.ConformanceRunner.Run(directory, int8);
            switch (result.Outcome)
            {
                case BuildOptim.Compression.Conformance.CaseOutcome.Pass:
                    passed++;
                    stdout.WriteLine($"PASS {result.Name}");
                    break;
                case BuildOptim.Compression.Conformance.CaseOutcome.Fail:
                    failed++;
                    stdout.WriteLine($"FAIL {result.Name}: {result.Detail}");
                    break;
                default:
                    skipped++;
                    stdout.WriteLine($"UNSUPPORTED {result.Name}: {result.Detail}");
                    break;
            }
        }

        stdout.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed == 0 ? Success : Failure;
    }

    private static int RunPlan(Arguments a, TextWriter stdout)
    {
        string planPath = a.Positional("PLAN");
        string inputPath = a.Required("input");
        string outPath = a.Required("out");
        a.RejectUnknown();
        var runner = new BuildOptim.Runtime.PlanRunner(BuildOptim.Runtime.ModelPlan.FromFile(planPath));
        var inputs = PlanInputs(inputPath, runner);
        var outputs = new float[(long)inputs.SampleCount * runner.OutputLength];
        for (int s = 0; s < inputs.SampleCount; s++)
        {
            runner.Run(inputs.Sample(s), outputs.AsSpan(s * runner.OutputLength, runner.OutputLength));
        }

        BuildOptim.Compression.Reporting.NpyWriter.WriteFloat32(outPath, outputs, [inputs.SampleCount, runner.OutputLength]);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ran {inputs.SampleCount} samples through {planPath} -> {outPath}"));
        return Success;
    }

    /// <summary>Times each op of a plan on the first input sample and prints them, slowest first.</summary>
    private static int Profile(Arguments a, TextWriter stdout)
    {
        string planPath = a.Positional("PLAN");
        string inputPath = a.Required("input");
        double runsValue = a.Number("runs", 1000, planPath);
        a.RejectUnknown();
        if (runsValue < 1 || runsValue > int.MaxValue || runsValue != Math.Floor(runsValue))
        {
            throw new UsageException($"--runs must be a positive whole number, got {runsValue.ToString(CultureInfo.InvariantCulture)}.");
        }

        int runs = (int)runsValue;
        var runner = new BuildOptim.Runtime.PlanRunner(BuildOptim.Runtime.ModelPlan.FromFile(planPath));
        var input = PlanInputs(inputPath, runner).Sample(0).ToArray();
        runner.Profile(input, Math.Max(1, runs / 10));
        var timings = runner.Profile(input, runs);
        double total = timings.Sum(t => t.MeanMicroseconds);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{planPath}: {timings.Count} ops, {total:F2} µs per run (mean of {runs})"));
        foreach (var t in timings.Where(t => t.Kind != BuildOptim.Runtime.OpKind.Constant).OrderByDescending(t => t.MeanMicroseconds))
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t.MeanMicroseconds,10:F2} µs {100 * t.MeanMicroseconds / total,5:F1} %  #{t.Index,-4} {t.Kind,-22} {t.Summary}"));
        }

        return Success;
    }

    /// <summary>The input array of a data file for a plan: present, with samples of the plan's input length, finite.</summary>
    private static NdArray PlanInputs(string path, BuildOptim.Runtime.PlanRunner runner)
    {
        var inputs = BuildOptim.Compression.Evaluation.DataSets.ReadFile(path).FirstOrDefault(x => x.Name != "labels")
            ?? throw new DataFormatException(DataErrorCodes.Malformed, path, $"'{path}' holds no input array (only labels).");
        if (inputs.SampleCount == 0 || inputs.SampleLength != runner.InputLength)
        {
            throw new CompressionException(Diagnostics.DataShapeMismatch, path, string.Create(CultureInfo.InvariantCulture,
                $"'{path}' holds {inputs.SampleCount} samples of {inputs.SampleLength} values; the plan takes samples of {runner.InputLength} values."));
        }

        inputs.ThrowIfNonFinite();
        return inputs;
    }

    private static int Report(TextWriter stderr, string file, string code, string message)
    {
        // One line each: a model's names must not be able to forge a second diagnostic line for the task to relay.
        stderr.WriteLine($"{DisplayText.OneLine(file)}: error {code}: {DisplayText.OneLine(message)}");
        return Failure;
    }

    private static int UsageFailure(TextWriter stderr, string message)
    {
        stderr.WriteLine($"buildoptim: error {DiagnosticIds.InvalidOption}: {DisplayText.OneLine(message)}");
        stderr.WriteLine(Usage);
        return UsageError;
    }
}
