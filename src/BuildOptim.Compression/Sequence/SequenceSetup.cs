using BuildOptim.Compression.Evaluation;
using BuildOptim.Onnx;

namespace BuildOptim.Compression.Sequence;

/// <summary>What a model with a dynamic sequence length needs before it is lowered: the options it allows and the length of its data.</summary>
internal static class SequenceSetup
{
    /// <summary>The length compiled and evaluated at when there is no data to take it from.</summary>
    public const int DefaultLength = 16;

    /// <summary>The longest text a <c>.txt</c> data file is tokenized to when the model keeps the sequence dynamic.</summary>
    public const int MaxTextLength = 512;

    /// <summary>Pruning, sharing, merging and distillation rewrite weights for one shape: refused with a dynamic sequence.</summary>
    public static void CheckOptions(CompressionOptions o, SequenceDimension sequence, int length)
    {
        var refused = new List<string>();
        if (o.Prune != PruneMode.None)
        {
            refused.Add("Prune");
        }

        if (o.ShareWeights > 0 || o.AutoShareWeights)
        {
            refused.Add("ShareWeights");
        }

        if (o.MergeNeurons > 0)
        {
            refused.Add("MergeNeurons");
        }

        if (o.Distills)
        {
            refused.Add("Distill");
        }

        if (refused.Count > 0)
        {
            throw new CompressionException(Diagnostics.InvalidOption, o.ModelPath,
                $"'{o.ItemSpec ?? o.ModelPath}' keeps {sequence.Name} dynamic, and {string.Join(", ", refused)} need{(refused.Count == 1 ? "s" : "")} fixed input shapes: set InputShape (e.g. InputShape=\"{sequence.InputShapeAt(length)}\").");
        }
    }

    /// <summary>
    /// The sequence length of the data: the calibration (else evaluation) array's, or the longest text's in tokens; the
    /// model is lowered, calibrated and evaluated at it. <see cref="DefaultLength"/> without data.
    /// </summary>
    public static int DataLength(CompressionOptions o, Graph graph, SequenceDimension sequence)
    {
        string? path = o.CalibrationPath ?? o.EvaluationPath;
        if (path is null)
        {
            return DefaultLength;
        }

        if (TextData.IsText(path))
        {
            return o.TokenizerPath is null ? DefaultLength : Math.Clamp(TextData.LongestTokenCount(path, o.TokenizerPath), 1, MaxTextLength);
        }

        var arrays = DataSets.ReadFile(path);
        foreach (var (input, dim) in sequence.Positions)
        {
            var declared = graph.Inputs[input];
            var array = arrays.FirstOrDefault(a => a.Name == declared.Name)
                ?? (graph.Inputs.Count == 1 ? arrays.Where(a => a.Name != DataSets.LabelsArrayName).SingleOrDefault() : null);
            if (array is not null && array.Shape.Count == declared.Dims.Length && array.Shape[dim] > 0)
            {
                return array.Shape[dim];
            }
        }

        return DefaultLength;
    }
}
