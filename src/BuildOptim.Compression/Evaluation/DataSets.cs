using System.Globalization;
using BuildOptim.Onnx.Ir;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Evaluation;

/// <summary>Loads model inputs and labels following DESIGN.md's data conventions.</summary>
/// <remarks>
/// The <c>Load*</c> methods read the file; the <c>Select*</c> methods take the arrays of a file already read
/// with <see cref="DataFile.Read"/>, so that one read serves the inputs and the labels of the same file.
/// </remarks>
/// <summary>Which metadata a data file came from and the item it belongs to, for messages ("Evaluation data 'eval.npz' of 'Models/m.onnx'").</summary>
public sealed record DataRole(string Metadata, string? Item)
{
    public string Describe(string path) => $"{Metadata} data '{path}'" + (Item is null ? string.Empty : $" of '{Item}'");
}

public static class DataSets
{
    public const string LabelsArrayName = "labels";

    /// <summary>The arrays of a data file (<see cref="DataFile.Read"/>), or of a folder of ONNX test data sets (<see cref="TestDataFolder"/>).</summary>
    public static IReadOnlyList<NdArray> ReadFile(string path)
        => Directory.Exists(path) ? TestDataFolder.Read(path) : DataFile.Read(path);

    /// <summary>
    /// As <see cref="ReadFile(string)"/>, and a <c>.txt</c> file (one text per line) tokenized with <paramref name="tokenizerPath"/>
    /// into the model's text inputs (<see cref="TextData"/>); only the arrays <paramref name="model"/> has inputs for are kept.
    /// </summary>
    public static IReadOnlyList<NdArray> ReadFile(string path, string? tokenizerPath, Network model)
        => ReadFile(path, tokenizerPath, null, model, new DataRole("Data", null));

    /// <summary>
    /// As <see cref="ReadFile(string, string?, Network)"/>, and a folder of images (<see cref="ImageData"/>) read with
    /// <paramref name="images"/> into the model's input and, from class subfolders, its labels.
    /// </summary>
    public static IReadOnlyList<NdArray> ReadFile(string path, string? tokenizerPath, ImagePreprocessing? images, Network model, DataRole role)
    {
        if (ImageData.IsImageFolder(path))
        {
            return ImageData.Read(path, images ?? new ImagePreprocessing(), model, role);
        }

        if (!TextData.IsText(path))
        {
            return ReadFile(path);
        }

        if (string.IsNullOrWhiteSpace(tokenizerPath))
        {
            throw new DataFormatException(DataErrorCodes.Malformed, path, $"'{path}' is text: set Tokenizer (a BERT vocab.txt) to tokenize it, or give the data as .npy/.npz/.csv.");
        }

        var names = model.Inputs.Select(i => model.Value(i).Name).ToHashSet(StringComparer.Ordinal);
        return TextData.Read(path, tokenizerPath, model).Where(a => names.Contains(a.Name)).ToList();
    }

    /// <summary>
    /// The input array of a data file: the array named after the model input, else the single array
    /// that is not <c>labels</c>. Its per-sample length must match the model's and its values must be finite.
    /// </summary>
    public static NdArray LoadInputs(string path, Network model, string? labelsArrayName = null)
        => SelectInputs(path, ReadFile(path), model, labelsArrayName);

    /// <summary>As <see cref="LoadInputs"/>, from the <paramref name="arrays"/> already read from <paramref name="path"/>.</summary>
    /// <exception cref="CompressionException">BOPT1105 when no array fits the model.</exception>
    /// <exception cref="DataFormatException">BOPT1107 when the chosen array holds NaN or an infinity.</exception>
    public static NdArray SelectInputs(string path, IReadOnlyList<NdArray> arrays, Network model, string? labelsArrayName = null)
        => SelectInputs(path, arrays, model, new DataRole("Data", null), labelsArrayName);

    /// <summary>As <see cref="SelectInputs(string, IReadOnlyList{NdArray}, Network, string?)"/>, naming the metadata and the item in errors.</summary>
    public static NdArray SelectInputs(string path, IReadOnlyList<NdArray> arrays, Network model, DataRole role, string? labelsArrayName = null)
    {
        if (model.Inputs.Count > 1)
        {
            return SelectPackedInputs(path, arrays, model);
        }

        var candidates = arrays.Where(a => a.Name != (labelsArrayName ?? LabelsArrayName)).ToList();
        var chosen = candidates.FirstOrDefault(a => a.Name == model.InputName)
            ?? (candidates.Count == 1 ? candidates[0] : null)
            ?? throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"'{path}' holds arrays [{string.Join(", ", arrays.Select(a => a.Name))}]; name one '{model.InputName}' (the model input) or keep a single input array.");
        if (chosen.SampleLength != model.InputLength || chosen.Shape.Count < 1)
        {
            throw new CompressionException(Diagnostics.DataShapeMismatch, path,
                $"{role.Describe(path)}: array '{chosen.Name}' is [{string.Join(",", chosen.Shape)}] ({chosen.SampleLength} values per sample), but model input '{model.InputName}' is [batch,{string.Join(",", model.InputShape)}] ({model.InputLength} values per sample). {ShapeHint(chosen, model.InputShape)}");
        }

        if (chosen.SampleCount == 0)
        {
            throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"Array '{chosen.Name}' in '{path}' has no samples.");
        }

        chosen.ThrowIfNonFinite();
        return chosen;
    }

    /// <summary>
    /// A model with several inputs takes one array per input, named after it (DESIGN.md's data conventions), each sample's
    /// values packed one after the other in graph order as a plan takes them.
    /// </summary>
    private static NdArray SelectPackedInputs(string path, IReadOnlyList<NdArray> arrays, Network model)
    {
        var names = model.Inputs.Select(i => model.Value(i).Name).ToList();
        var extra = arrays.Where(a => a.Name != LabelsArrayName && !names.Contains(a.Name)).Select(a => a.Name).ToList();
        if (extra.Count > 0)
        {
            throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"'{path}' holds arrays [{string.Join(", ", extra)}] that are not inputs of the model (its inputs: {string.Join(", ", names)}); name one array after each input, labels 'labels'.");
        }

        var chosen = new List<NdArray>();
        foreach (int id in model.Inputs)
        {
            var value = model.Value(id);
            var array = arrays.FirstOrDefault(a => a.Name == value.Name)
                ?? throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"'{path}' has no array named '{value.Name}' for that input of the model; it holds [{string.Join(", ", arrays.Select(a => a.Name))}].");
            if (array.SampleLength != value.Length || array.SampleCount == 0)
            {
                throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"Array '{array.Name}' in '{path}' has shape [{string.Join(",", array.Shape)}]: {array.SampleLength} values per sample, but input '{value.Name}' takes [batch,{string.Join(",", value.Shape[1..])}] = {value.Length}.");
            }

            if (chosen.Count > 0 && array.SampleCount != chosen[0].SampleCount)
            {
                throw new CompressionException(Diagnostics.DataShapeMismatch, path, $"Arrays '{chosen[0].Name}' and '{array.Name}' in '{path}' hold {chosen[0].SampleCount} and {array.SampleCount} samples; every input needs one per sample.");
            }

            array.ThrowIfNonFinite();
            chosen.Add(array);
        }

        int samples = chosen[0].SampleCount, length = model.InputLength;
        var data = new float[(long)samples * length];
        for (int s = 0; s < samples; s++)
        {
            int offset = s * length;
            foreach (var array in chosen)
            {
                array.Sample(s).CopyTo(data.AsSpan(offset));
                offset += array.SampleLength;
            }
        }

        return new NdArray(PackedInputsName, ElementKind.Float32, [samples, length], data, path);
    }

    /// <summary>The likely fix for data whose per-sample shape does not fit the model input.</summary>
    private static string ShapeHint(NdArray array, int[] inputShape)
    {
        int[] sample = array.Shape.Skip(1).ToArray();
        long have = array.SampleLength, want = inputShape.Aggregate(1L, (a, d) => a * d);
        if (array.Shape.Count == 1 && want > 1)
        {
            return $"The array has no sample dimension: save it as [N,{string.Join(",", inputShape)}].";
        }

        if (have > want && have % want == 0)
        {
            return $"Each row holds {have / want} samples' worth of values: is the first dimension the sample index? Reshape to [N,{string.Join(",", inputShape)}].";
        }

        if (want > have && want % have == 0)
        {
            return $"The model wants {want / have}× the values: a missing channel dimension or a different image size (e.g. [N,{string.Join(",", inputShape)}]).";
        }

        return sample.Length == inputShape.Length && sample.Order().SequenceEqual(inputShape.Order())
            ? "The same dimensions in another order: the data's layout differs from the model's (NHWC against NCHW); transpose it."
            : $"Export the data as [N,{string.Join(",", inputShape)}], or fix the model's input with InputShape.";
    }

    /// <summary>The name of the array that packs a several-input model's inputs.</summary>
    public const string PackedInputsName = "inputs (packed)";

    /// <summary>
    /// Labels: <paramref name="labels"/> as a .npy/.csv file, or as an array name inside the data file;
    /// otherwise the data file's <c>labels</c> array if it has one; otherwise null. Every label must be a
    /// class id from 0 to <paramref name="classCount"/> - 1 (no upper bound when it is null).
    /// </summary>
    /// <exception cref="CompressionException">BOPT1106 for a missing array, a count that differs from
    /// <paramref name="sampleCount"/> or a label out of range.</exception>
    public static int[]? LoadLabels(string dataPath, string? labels, int sampleCount, int? classCount = null)
        => ReadLabels(dataPath, () => ReadFile(dataPath), labels, sampleCount, classCount);

    /// <summary>As <see cref="LoadLabels"/>, from the <paramref name="dataArrays"/> already read from <paramref name="dataPath"/>.</summary>
    public static int[]? SelectLabels(string dataPath, IReadOnlyList<NdArray> dataArrays, string? labels, int sampleCount, int? classCount = null)
        => ReadLabels(dataPath, () => dataArrays, labels, sampleCount, classCount);

    /// <summary>Whether <paramref name="labels"/> names a file of its own rather than an array of the data file.</summary>
    private static bool IsLabelsFile(string? labels) => !string.IsNullOrWhiteSpace(labels)
        && (labels.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || labels.EndsWith(".csv", StringComparison.OrdinalIgnoreCase));

    private static int[]? ReadLabels(string dataPath, Func<IReadOnlyList<NdArray>> dataArrays, string? labels, int sampleCount, int? classCount)
    {
        NdArray? array;
        string source = dataPath;
        if (IsLabelsFile(labels))
        {
            source = labels!;
            array = DataFile.Read(labels!).Single();
        }
        else
        {
            string name = string.IsNullOrWhiteSpace(labels) ? LabelsArrayName : labels;
            array = dataArrays().FirstOrDefault(a => a.Name == name);
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

        ThrowIfOutOfRange(result, classCount, source, array.Name);
        return result;
    }

    /// <summary>
    /// A label outside [0, classes) never equals a prediction: both accuracies read 0 % and the accuracy gate
    /// passes without measuring anything. Refused, naming the first such sample.
    /// </summary>
    private static void ThrowIfOutOfRange(int[] labels, int? classCount, string source, string arrayName)
    {
        int limit = classCount ?? int.MaxValue;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= limit)
            {
                string range = classCount is { } classes
                    ? string.Create(CultureInfo.InvariantCulture, $"the model has {classes} classes (ids 0 to {classes - 1})")
                    : "class ids are never negative";
                throw new CompressionException(Diagnostics.LabelsInvalid, source, string.Create(CultureInfo.InvariantCulture,
                    $"'{source}', array '{arrayName}': label {labels[i]} of sample {i} is out of range: {range}. A label no prediction can match makes both accuracies 0 % and the gate meaningless; fix the labels (0-based class ids)."));
            }
        }
    }
}
