using System.Collections.ObjectModel;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace BuildOptim.Runtime.Data;

/// <summary>
/// An n-d array as read from disk: row-major (C order) data converted to <see cref="float"/> for the
/// engine, with the original element kind kept. The first dimension is the sample index.
/// </summary>
public sealed class NdArray
{
    /// <summary>Wraps <paramref name="data"/> without copying it; the caller hands over ownership.</summary>
    /// <param name="name">The npz entry name without ".npy", or the file name stem.</param>
    /// <param name="sourceKind">The element kind on disk.</param>
    /// <param name="shape">Dimensions; the product must equal <paramref name="data"/>'s length.</param>
    /// <param name="data">Row-major values.</param>
    /// <param name="sourcePath">The file the array came from, for error messages.</param>
    public NdArray(string name, ElementKind sourceKind, IReadOnlyList<int> shape, float[] data, string sourcePath = "")
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sourcePath);

        long count = 1;
        foreach (int dim in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(shape));
            count = Math.Min(count * dim, (long)int.MaxValue + 1); // saturate: only equality with data.Length matters
        }
        if (count != data.Length)
        {
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {count} elements but data has {data.Length}.", nameof(data));
        }

        Name = name;
        SourceKind = sourceKind;
        Shape = Array.AsReadOnly(shape.ToArray());
        Data = data;
        SourcePath = sourcePath;
        SampleCount = shape.Count == 0 ? 1 : shape[0];
        SampleLength = ProductOfTrailingDims(shape);
    }

    /// <summary>The npz entry name without ".npy", or the file name stem.</summary>
    public string Name { get; }

    /// <summary>The element kind on disk.</summary>
    public ElementKind SourceKind { get; }

    /// <summary>Dimensions; the first is the sample index.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Row-major (C order) values converted to float32.</summary>
    public float[] Data { get; }

    /// <summary>The file the array came from ("" when built in memory).</summary>
    public string SourcePath { get; }

    /// <summary>How a CSV file was read (rows, skipped header line); null for arrays from .npy and .npz files.</summary>
    public CsvLayout? Csv { get; init; }

    /// <summary><c>Shape[0]</c>; 1 for a 0-d array.</summary>
    public int SampleCount { get; }

    /// <summary>The product of <c>Shape[1..]</c> (1 for 0-d and 1-D arrays).</summary>
    public int SampleLength { get; }

    /// <summary>The values of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Sample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SampleCount);
        return new ReadOnlySpan<float>(Data, index * SampleLength, SampleLength);
    }

    /// <summary>
    /// The values as integer class ids. The array must be 1-D or <c>[N, 1]</c> and hold integers:
    /// an integer or bool kind, or floats that are exact integers; |id| must be at most 2^24, the
    /// largest range a float32 holds exactly.
    /// </summary>
    /// <exception cref="DataFormatException">BOPT1106 when the array is not integer labels.</exception>
    public int[] ToLabels()
    {
        var source = new DataSource(SourcePath, Name);
        bool columnShaped = Shape.Count == 1 || (Shape.Count == 2 && Shape[1] == 1);
        if (!columnShaped)
        {
            throw source.Error(DataErrorCodes.LabelsNotInteger,
                $"labels must have shape (N,) or (N, 1) but the array has shape {FormatShape(Shape)}; save one class id per sample.");
        }

        var labels = new int[Data.Length];
        for (int i = 0; i < Data.Length; i++)
        {
            float value = Data[i];
            if (!float.IsFinite(value) || value != MathF.Truncate(value))
            {
                throw source.Error(DataErrorCodes.LabelsNotInteger,
                    $"labels must be integer class ids but sample {i} is {value.ToString("R", CultureInfo.InvariantCulture)} ({ElementKinds.NumpyName(SourceKind)}); save them with labels.astype(np.int64).");
            }
            if (MathF.Abs(value) > MaxExactLabel)
            {
                throw source.Error(DataErrorCodes.LabelsNotInteger,
                    $"label {value.ToString("R", CultureInfo.InvariantCulture)} of sample {i} is beyond ±{MaxExactLabel}, the range read exactly; class ids must be small integers.");
            }
            labels[i] = (int)value;
        }
        return labels;
    }

    /// <summary>The first value that is NaN or ±infinity, as a sample and an element within it; null when all are finite.</summary>
    public (int Sample, int Element)? FindNonFinite()
    {
        int index = IndexOfNonFinite(Data);
        if (index < 0)
        {
            return null;
        }
        int length = Math.Max(1, SampleLength);
        return (index / length, index % length);
    }

    /// <summary>Refuses an array holding NaN or ±infinity, naming the file, the array and the first such sample and element.</summary>
    /// <exception cref="DataFormatException">BOPT1107 for the first non-finite value.</exception>
    public void ThrowIfNonFinite()
    {
        if (FindNonFinite() is not (int sample, int element))
        {
            return;
        }
        float value = Data[(sample * SampleLength) + element];
        throw new DataSource(SourcePath, Name).Error(DataErrorCodes.NonFiniteValue,
            $"sample {sample}, element {element} is {value.ToString(CultureInfo.InvariantCulture)}; inputs must be finite numbers (NaN and infinity have no int8 range and no meaningful output), so fix or drop that sample, e.g. x[np.isfinite(x).reshape(len(x), -1).all(axis=1)].");
    }

    private static int IndexOfNonFinite(float[] data)
    {
        // A float is NaN or infinite exactly when its exponent bits are all set.
        const uint ExponentMask = 0x7F80_0000;
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(data);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var mask = new Vector<uint>(ExponentMask);
            int width = Vector<uint>.Count;
            for (; i <= bits.Length - width; i += width)
            {
                if (Vector.EqualsAny(new Vector<uint>(bits[i..]) & mask, mask))
                {
                    break; // the scalar loop below finds which element
                }
            }
        }
        for (; i < bits.Length; i++)
        {
            if ((bits[i] & ExponentMask) == ExponentMask)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>2^24: every integer up to this magnitude survives the conversion to float32.</summary>
    private const int MaxExactLabel = 1 << 24;

    internal static string FormatShape(IReadOnlyList<int> shape) => shape.Count == 1
        ? $"({shape[0]},)"
        : $"({string.Join(", ", shape)})";

    private static int ProductOfTrailingDims(IReadOnlyList<int> shape)
    {
        // Exact whenever there is data; with zero samples the trailing dims may exceed int range, and saturate.
        long product = 1;
        for (int i = 1; i < shape.Count; i++)
        {
            product = Math.Min(product * shape[i], int.MaxValue);
        }
        return (int)product;
    }
}

/// <summary>How a CSV file was read.</summary>
/// <param name="Rows">The data rows read (one sample each).</param>
/// <param name="SkippedHeaderLine">The 1-based line number of the header line that was skipped; null when there was none.</param>
public sealed record CsvLayout(int Rows, int? SkippedHeaderLine);
