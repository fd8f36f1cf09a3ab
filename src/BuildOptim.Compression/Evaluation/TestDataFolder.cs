using System.Globalization;
using BuildOptim.Onnx;
using BuildOptim.Runtime.Data;

namespace BuildOptim.Compression.Evaluation;

/// <summary>
/// A folder of ONNX <c>test_data_set_*</c> directories as data (DESIGN.md: <c>Calibration</c> may be one): each set's
/// <c>input_K.pb</c> tensors are samples of graph input K, whose first dimension is the batch. The sets are read in
/// ordinal order and stacked, one array per input, named after the tensors (<c>input_K</c> when unnamed).
/// </summary>
internal static class TestDataFolder
{
    public const string SetPattern = "test_data_set_*";

    /// <exception cref="DataFormatException">BOPT1102 for a folder without sets, a missing or corrupt tensor, or sets whose shapes differ.</exception>
    public static IReadOnlyList<NdArray> Read(string folder)
    {
        var sets = Directory.EnumerateDirectories(folder, SetPattern).Order(StringComparer.Ordinal).ToList();
        if (sets.Count == 0)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, folder, $"Folder '{folder}' holds no {SetPattern} directories; data is a .npy, .npz or .csv file, or a folder of ONNX test data sets.");
        }

        var arrays = new List<NdArray>();
        for (int input = 0; File.Exists(Path.Combine(sets[0], InputFile(input))); input++)
        {
            var tensors = sets.Select(set => ReadTensor(Path.Combine(set, InputFile(input)))).ToList();
            int[] sampleDims = tensors[0].Dims.Length > 0 ? tensors[0].Dims[1..] : [];
            long total = 0;
            foreach (var (tensor, set) in tensors.Zip(sets))
            {
                if (tensor.Dims.Length == 0 || !tensor.Dims.AsSpan(1).SequenceEqual(sampleDims))
                {
                    throw new DataFormatException(DataErrorCodes.Malformed, Path.Combine(set, InputFile(input)), string.Create(CultureInfo.InvariantCulture,
                        $"'{Path.Combine(set, InputFile(input))}' has shape [{string.Join(",", tensor.Dims)}]; every set's {InputFile(input)} must be [batch,{string.Join(",", sampleDims)}] like the first set's."));
                }

                total += tensor.ElementCount;
            }

            if (total > Array.MaxLength)
            {
                throw new DataFormatException(DataErrorCodes.Malformed, folder, $"The {InputFile(input)} tensors of '{folder}' hold {total} values together, more than one array can.");
            }

            var data = new float[total];
            long offset = 0;
            foreach (var tensor in tensors)
            {
                var span = data.AsSpan((int)offset, tensor.ElementCount);
                if (tensor.Floats is { } floats)
                {
                    floats.CopyTo(span);
                }
                else
                {
                    for (int i = 0; i < span.Length; i++)
                    {
                        span[i] = tensor.Int64s![i];
                    }
                }

                offset += tensor.ElementCount;
            }

            int samples = tensors.Sum(t => t.Dims[0]);
            string name = tensors[0].Name.Length > 0 ? tensors[0].Name : "input_" + input.ToString(CultureInfo.InvariantCulture);
            arrays.Add(new NdArray(name, tensors[0].IsFloat ? ElementKind.Float32 : ElementKind.Int64, [samples, .. sampleDims], data, folder));
        }

        if (arrays.Count == 0)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, sets[0], $"'{sets[0]}' holds no input_0.pb.");
        }

        return arrays;
    }

    private static string InputFile(int index) => "input_" + index.ToString(CultureInfo.InvariantCulture) + ".pb";

    private static Tensor ReadTensor(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(DataErrorCodes.Malformed, path, $"'{path}' is missing: every test data set needs the same input_K.pb files.");
        }

        try
        {
            return TensorFile.Read(path);
        }
        catch (OnnxModelException e)
        {
            throw new DataFormatException(DataErrorCodes.Malformed, path, e.Message);
        }
    }
}
