using BuildOptim.Onnx.Lowering;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Evaluation;

/// <summary>Loads model inputs and labels following DESIGN.md's data conventions.</summary>
public static class DataSets
{
    public const string LabelsArrayName = "labels";

    /// <summary>
    /// The input array of a data file: the array named after the model input, else the single array
    /// that is not <c>labels</c>. Its per-sample length must match the model's.
    /// </summary>
    public static NdArray LoadInputs(string path, Network model, string? labelsArrayName = null)
    {
        var arrays = DataFile.Read(path);
        var candidates = arrays.Where(a => a.Name != (labelsArrayName ?? LabelsArrayName)).ToList();
        var chosen = candidates.FirstOrDefault(a => a.Name == model.InputName)
            ?? (candidates.Count == 1 ? candidates[0] : null)
            ?? throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"'{path}' holds arrays [{string.Join(", ", arrays.Select(a => a.Name))}]; name one '{model.InputName}' (the model input) or keep a single input array.");
        if (chosen.SampleLength != model.InputLength || chosen.Shape.Count < 1)
        {
            throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"Array '{chosen.Name}' in '{path}' has shape [{string.Join(",", chosen.Shape)}]: {chosen.SampleLength} values per sample, but model input '{model.InputName}' takes [batch,{string.Join(",", model.InputShape)}] = {model.InputLength}.");
        }

        if (chosen.SampleCount == 0)
        {
            throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"Array '{chosen.Name}' in '{path}' has no samples.");
        }

        return chosen;
    }

    /// <summary>
    /// Labels: <paramref name="labels"/> as a .npy/.csv file, or as an array name inside the data file;
    /// otherwise the data file's <c>labels</c> array if it has one; otherwise null.
    /// </summary>
    public static int[]? LoadLabels(string dataPath, string? labels, int sampleCount)
    {
        NdArray? array = null;
        string source = dataPath;
        if (!string.IsNullOrWhiteSpace(labels) && (labels.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || labels.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)))
        {
            source = labels;
            array = DataFile.Read(labels).Single();
        }
        else
        {
            string name = string.IsNullOrWhiteSpace(labels) ? LabelsArrayName : labels;
            array = DataFile.Read(dataPath).FirstOrDefault(a => a.Name == name);
            if (array is null && !string.IsNullOrWhiteSpace(labels))
            {
                throw new CompressionException(Diagnostics.LabelsInvalid, dataPath, $"'{dataPath}' has no array named '{labels}' for the labels.");
            }
        }

        if (array is null)
        {
            return null;
        }

        var result = array.ToLabels();
        if (result.Length != sampleCount)
        {
            throw new CompressionException(Diagnostics.LabelsInvalid, source, $"'{source}' holds {result.Length} labels for {sampleCount} evaluation samples.");
        }

        return result;
    }
}
