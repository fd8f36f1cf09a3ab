using System.Text;

namespace BuildOptim.Runtime.Data;

/// <summary>The parsed header of an .npy array: what <c>numpy.lib.format</c> writes as a Python dict literal.</summary>
internal sealed record NpyHeader(ElementKind Kind, bool LittleEndian, int[] Shape, int ElementCount)
{
    public int ElementSize => ElementKinds.SizeOf(Kind);

    /// <summary>The bytes of array data the header declares (element count times element size).</summary>
    public long DataBytes => (long)ElementCount * ElementSize;

    /// <summary>
    /// Parses <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }</c> with a strict literal
    /// parser (never an evaluator) and validates it the way numpy does, plus the checks that make an
    /// untrusted file safe to allocate for.
    /// </summary>
    public static NpyHeader Parse(string text, DataSource source)
    {
        Dictionary<string, object?> dict;
        try
        {
            dict = PythonLiteral.ParseDict(text);
        }
        catch (FormatException ex)
        {
            throw source.Error(DataErrorCodes.Malformed, $"the .npy header is not a valid numpy header ({ex.Message}): {Excerpt(text)}");
        }

        if (dict.Count != 3 || !dict.ContainsKey("descr") || !dict.ContainsKey("fortran_order") || !dict.ContainsKey("shape"))
        {
            throw source.Error(DataErrorCodes.Malformed,
                $"the .npy header must have exactly the keys 'descr', 'fortran_order' and 'shape' but has {string.Join(", ", dict.Keys.Select(k => $"'{k}'"))}.");
        }

        (ElementKind kind, bool littleEndian) = ParseDescr(dict["descr"], source);

        if (dict["fortran_order"] is not bool fortranOrder)
        {
            throw source.Error(DataErrorCodes.Malformed, $"'fortran_order' in the .npy header must be True or False: {Excerpt(text)}");
        }
        if (fortranOrder)
        {
            throw source.Error(DataErrorCodes.Malformed,
                "the array is stored in Fortran (column-major) order, which is not supported; re-save it with np.save(path, np.ascontiguousarray(a)).");
        }

        (int[] shape, int count) = ParseShape(dict["shape"], kind, source);
        return new NpyHeader(kind, littleEndian, shape, count);
    }

    private static (ElementKind Kind, bool LittleEndian) ParseDescr(object? descr, DataSource source)
    {
        if (descr is List<object?> fields)
        {
            // A structured (record) dtype: a list of (name, type[, shape]) tuples.
            if (ContainsObjectField(fields))
            {
                throw source.Error(DataErrorCodes.ObjectArrayRefused,
                    "the array's record dtype has Python-object fields, which would need unpickling and is refused; save a plain numeric array.");
            }
            throw source.Error(DataErrorCodes.UnsupportedDtype,
                "the array has a structured (record) dtype, which is not supported; save each field as its own numeric array (np.savez).");
        }
        if (descr is not string text)
        {
            throw source.Error(DataErrorCodes.Malformed, "'descr' in the .npy header must be a dtype string such as '<f4'.");
        }

        bool littleEndian = true; // '<', '|' (byte order irrelevant) and '=' (native to the writer, assumed little)
        string body = text;
        if (body.Length > 0 && body[0] is '<' or '>' or '|' or '=')
        {
            littleEndian = body[0] != '>';
            body = body[1..];
        }

        if (body.StartsWith('O'))
        {
            throw source.Error(DataErrorCodes.ObjectArrayRefused,
                $"dtype '{text}' holds Python objects, which would need unpickling and is refused; save a numeric array, e.g. np.save(path, a.astype(np.float32)).");
        }

        ElementKind? kind = body switch
        {
            "f2" => ElementKind.Float16,
            "f4" => ElementKind.Float32,
            "f8" => ElementKind.Float64,
            "i1" => ElementKind.Int8,
            "u1" => ElementKind.UInt8,
            "i2" => ElementKind.Int16,
            "u2" => ElementKind.UInt16,
            "i4" => ElementKind.Int32,
            "u4" => ElementKind.UInt32,
            "i8" => ElementKind.Int64,
            "u8" => ElementKind.UInt64,
            "b1" => ElementKind.Bool,
            _ => null,
        };
        if (kind is null)
        {
            throw source.Error(DataErrorCodes.UnsupportedDtype,
                $"dtype '{text}'{DescribeUnsupported(body)} is not supported; use float16/32/64, int8-64, uint8-64 or bool, e.g. np.save(path, a.astype(np.float32)).");
        }
        return (kind.Value, littleEndian);
    }

    private static string DescribeUnsupported(string body) => body.Length == 0 ? "" : body[0] switch
    {
        'c' => " (complex)",
        'U' or 'S' or 'a' => " (string)",
        'M' or 'm' => " (datetime)",
        'V' => " (raw bytes)",
        'f' => " (extended precision)",
        _ => "",
    };

    private static bool ContainsObjectField(List<object?> items)
    {
        foreach (object? item in items)
        {
            switch (item)
            {
                case string s when s.TrimStart('<', '>', '|', '=').StartsWith('O'):
                    return true;
                case List<object?> nested when ContainsObjectField(nested):
                    return true;
                case PythonTuple tuple when ContainsObjectField(tuple.Items):
                    return true;
            }
        }
        return false;
    }

    private static (int[] Shape, int Count) ParseShape(object? value, ElementKind kind, DataSource source)
    {
        if (value is not PythonTuple tuple)
        {
            throw source.Error(DataErrorCodes.Malformed, "'shape' in the .npy header must be a tuple of integers such as (3, 4).");
        }

        var shape = new int[tuple.Items.Count];
        bool empty = false;
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not long dim)
            {
                throw source.Error(DataErrorCodes.Malformed, "'shape' in the .npy header must be a tuple of integers such as (3, 4).");
            }
            if (dim < 0)
            {
                throw source.Error(DataErrorCodes.Malformed, $"the .npy header declares a negative dimension ({dim}); the file is corrupt.");
            }
            if (dim > int.MaxValue)
            {
                throw source.Error(DataErrorCodes.Malformed, $"the .npy header declares dimension {dim}, beyond the {int.MaxValue} an array can hold; the file is corrupt or too large.");
            }
            shape[i] = (int)dim;
            empty |= dim == 0;
        }

        long count = 1;
        if (empty)
        {
            count = 0;
        }
        else
        {
            foreach (int dim in shape)
            {
                count *= dim; // both factors < 2^31 and count stays <= Array.MaxLength: no overflow
                if (count > Array.MaxLength)
                {
                    throw source.Error(DataErrorCodes.Malformed,
                        $"the .npy header declares shape {NdArray.FormatShape(shape)}, more than the {Array.MaxLength} elements an array can hold; the file is corrupt or too large ({ElementKinds.NumpyName(kind)}).");
                }
            }
        }
        return (shape, (int)count);
    }

    private static string Excerpt(string text)
    {
        const int Max = 120;
        var excerpt = new StringBuilder(Max + 3);
        foreach (char c in text.AsSpan().Trim())
        {
            if (excerpt.Length == Max)
            {
                excerpt.Append("...");
                break;
            }
            excerpt.Append(char.IsControl(c) ? '?' : c);
        }
        return excerpt.ToString();
    }
}
