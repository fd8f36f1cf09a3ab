using System.Globalization;
using BuildOptim.Compression.Calibration;
using BuildOptim.Compression.Evaluation;
using BuildOptim.Compression.Export;
using BuildOptim.Compression.Planning;
using BuildOptim.Compression.Pruning;
using BuildOptim.Compression.Reporting;
using BuildOptim.Compression.Sharing;
using BuildOptim.Onnx;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Pipeline;

/// <summary>The engine's own check of the options (API callers skip the task's and the CLI's), from the option schema.</summary>
internal static class OptionValidation
{
    internal static void Validate(CompressionOptions o)
    {
        string item = o.ItemSpec ?? o.ModelPath;
        if (ModelNames.ClassNameProblem(o.EffectiveClassName) is { } classProblem)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"ClassName '{DisplayText.Safe(o.EffectiveClassName)}' of '{item}' cannot name the generated class: {classProblem}.");
        }

        if (!string.IsNullOrEmpty(o.Namespace) && ModelNames.NamespaceProblem(o.Namespace) is { } namespaceProblem)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"Namespace '{DisplayText.Safe(o.Namespace)}' of '{item}' cannot be the generated class's namespace: {namespaceProblem}.");
        }

        if (!string.IsNullOrWhiteSpace(o.InputShape) && !InputShapes.TryParse(o.InputShape, out _, out string? shapeProblem))
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"'{item}': InputShape '{DisplayText.Safe(o.InputShape)}' is not valid: {shapeProblem}; expected {OptionSchema.InputShape.Expected}.");
        }

        if (o.Quantize == QuantizeMode.Int8 && string.IsNullOrWhiteSpace(o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"'{item}' is quantized to Int8 but has no Calibration data; set Calibration to a .npy, .npz or .csv file of representative inputs (or Quantize=\"None\").");
        }

        // Bounds come from the option schema the task and the CLI check first; the engine checks again for API callers.
        CheckNumber(o, OptionSchema.Sparsity, o.Sparsity);
        CheckNumber(o, OptionSchema.MaxAccuracyDrop, o.MaxAccuracyDrop);
        CheckNumber(o, OptionSchema.MergeNeurons, o.MergeNeurons);
        CheckNumber(o, OptionSchema.ShareWeights, o.ShareWeights);
        if (o.MinCosine is { } cosine)
        {
            CheckNumber(o, OptionSchema.MinCosine, cosine);
        }

        if (o.MinAgreement is { } agreement)
        {
            CheckNumber(o, OptionSchema.MinAgreement, agreement);
        }

        CheckNumber(o, OptionSchema.DistillEpochs, o.DistillEpochs);
        CheckNumber(o, OptionSchema.DistillTemperature, o.DistillTemperature);
        if (o.Distills && string.IsNullOrWhiteSpace(o.EffectiveTrainingDataPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"Distill on '{item}' trains on TrainingData (default: the Calibration data); set one of them.");
        }

        if (o.MergeNeurons > 0 && string.IsNullOrWhiteSpace(o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"MergeNeurons on '{item}' compares neurons on the Calibration data; set Calibration.");
        }

        if (o.Prune == PruneMode.Neurons && string.IsNullOrWhiteSpace(o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.MissingCalibration, o.ModelPath, $"Prune=Neurons on '{item}' ranks neurons on the Calibration data; set Calibration.");
        }

        if (o.AutoSparsity && o.Prune == PruneMode.None)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"Sparsity=Auto on '{item}' needs Prune=Magnitude or Prune=Neurons.");
        }

        if ((o.AutoSparsity || o.AutoShareWeights || o.Fallback != FallbackMode.None) && string.IsNullOrWhiteSpace(o.EvaluationPath ?? o.CalibrationPath))
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"Sparsity=Auto and Fallback=Auto on '{item}' search against the gate and need Evaluation (or Calibration) data.");
        }

    }

    /// <summary>BOPT1201 naming the item when <paramref name="value"/> is outside what <paramref name="option"/> accepts.</summary>
    internal static void CheckNumber(CompressionOptions o, OptionSpec option, double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (!option.TryParse(text, out _))
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath, $"'{o.ItemSpec ?? o.ModelPath}': {option.Problem(text)}");
        }
    }
}
