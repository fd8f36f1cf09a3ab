using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace BuildOptim;

/// <summary>
/// The <c>InputShape</c> option: dimensions fixed at build time, as users fix shapes for other compilers. <c>1,3,48,192</c>
/// gives the shape of a one-input model; <c>name:1,128;other:1,128</c> names each input; <c>?</c> keeps a dimension
/// dynamic. One parser for the task (which checks the syntax before anything runs) and the engine.
/// </summary>
internal static class InputShapes
{
    /// <summary>The key of a shape given without an input name (one-input models).</summary>
    public const string Unnamed = "";

    /// <summary>A dynamic dimension in the text and in the parsed shape.</summary>
    public const string DynamicText = "?";

    /// <summary>Parses <paramref name="text"/>: input name (or <see cref="Unnamed"/>) to dims, null for a dynamic one.</summary>
    public static bool TryParse(string text, out Dictionary<string, int?[]> shapes, out string? problem)
    {
        shapes = new Dictionary<string, int?[]>(StringComparer.Ordinal);
        problem = null;
        foreach (string part in text.Split(';'))
        {
            string entry = part.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            int colon = entry.LastIndexOf(':');
            string name = colon < 0 ? Unnamed : entry.Substring(0, colon).Trim();
            string dimsText = colon < 0 ? entry : entry.Substring(colon + 1);
            if (colon >= 0 && name.Length == 0)
            {
                problem = "'" + entry + "' has an empty input name before ':'";
                return false;
            }

            var dims = new List<int?>();
            foreach (string dimText in dimsText.Split(','))
            {
                string d = dimText.Trim();
                if (d == DynamicText)
                {
                    dims.Add(null);
                }
                else if (int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0)
                {
                    dims.Add(value);
                }
                else
                {
                    problem = "'" + d + "' in '" + entry + "' is not a positive dimension or '?'";
                    return false;
                }
            }

            if (shapes.ContainsKey(name))
            {
                problem = name.Length == 0 ? "a shape without an input name is given twice" : "input '" + name + "' is given twice";
                return false;
            }

            shapes.Add(name, dims.ToArray());
        }

        if (shapes.Count == 0)
        {
            problem = "no shape is given";
            return false;
        }

        if (shapes.ContainsKey(Unnamed) && shapes.Count > 1)
        {
            problem = "a shape without an input name can only be given alone (name each input: 'name:1,128;other:1,128')";
            return false;
        }

        return true;
    }

    /// <summary>
    /// The shape InputShape gives for the input <paramref name="inputName"/> of a model with <paramref name="inputCount"/>
    /// inputs: by its name, or the unnamed shape when the model has one input; null when it gives none.
    /// </summary>
    public static int?[]? GivenFor(IReadOnlyDictionary<string, int?[]>? shapes, string inputName, int inputCount)
        => shapes is null ? null
            : shapes.TryGetValue(inputName, out var given) ? given
            : inputCount == 1 && shapes.TryGetValue(Unnamed, out given) ? given
            : null;

    /// <summary>The declared dims with the given ones filling them (same rank; a dynamic given dim keeps the declared one).</summary>
    public static int?[] Fill(int?[] declared, int?[] given) => given.Select((g, d) => g ?? declared[d]).ToArray();

    /// <summary><c>[1,?,128]</c>.</summary>
    public static string Format(IEnumerable<int?> dims)
    {
        var parts = new List<string>();
        foreach (int? d in dims)
        {
            parts.Add(d?.ToString(CultureInfo.InvariantCulture) ?? DynamicText);
        }

        return "[" + string.Join(",", parts) + "]";
    }
}
