using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace BuildOptim;

/// <summary>
/// The generated class's name: derived from the model's file name, or given as <c>ClassName</c> metadata, and
/// checked before any compression so that a bad name costs a one-line error, not a compression and then a
/// compiler error. One source file, linked into the task (netstandard2.0) and the engine; the source generator
/// checks the same rules again with Roslyn's own identifier rules.
/// </summary>
internal static class ModelNames
{
    /// <summary>Names the generated class declares itself; a class cannot share a name with its members (CS0542).</summary>
    private static readonly HashSet<string> s_memberNames = new(StringComparer.Ordinal)
    {
        "InputLength", "OutputLength", "ResourceName", "InputShape", "OutputShape", "Run", "Predict", "ScratchBytes", "Precision", "CompressionSummary", "Dispose",
    };

    /// <summary>C# reserved keywords: refused as a class name and as a namespace segment.</summary>
    private static readonly HashSet<string> s_keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>C# contextual keywords: refused as a class name, as the generator does.</summary>
    private static readonly HashSet<string> s_contextualKeywords = new(StringComparer.Ordinal)
    {
        "add", "alias", "and", "allows", "args", "ascending", "async", "await", "by", "descending", "dynamic", "equals",
        "extension", "field", "file", "from", "get", "global", "group", "init", "into", "join", "let", "managed", "nameof",
        "nint", "not", "notnull", "nuint", "on", "or", "orderby", "partial", "record", "remove", "required", "scoped",
        "select", "set", "unmanaged", "value", "var", "when", "where", "with", "yield",
    };

    /// <summary><c>fashion_mlp.onnx</c> → <c>FashionMlpModel</c>.</summary>
    public static string DefaultClassName(string modelPath)
    {
        string stem = Path.GetFileNameWithoutExtension(modelPath);
        var builder = new StringBuilder();
        bool upper = true;
        foreach (char c in stem)
        {
            if (!char.IsLetterOrDigit(c))
            {
                upper = true;
                continue;
            }

            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        if (builder.Length == 0 || char.IsDigit(builder[0]))
        {
            builder.Insert(0, 'M');
        }

        string name = builder.ToString();
        return name.EndsWith("Model", StringComparison.Ordinal) ? name : name + "Model";
    }

    /// <summary>The class name metadata when set, else the one derived from the file name.</summary>
    public static string EffectiveClassName(string? className, string modelPath)
        => string.IsNullOrWhiteSpace(className) ? DefaultClassName(modelPath) : className!.Trim();

    /// <summary>Why <paramref name="name"/> cannot name the generated class, or null when it can.</summary>
    public static string? ClassNameProblem(string name)
    {
        if (!IsIdentifier(name))
        {
            return "it must start with a letter or '_' and contain only letters, digits and '_'";
        }

        if (s_keywords.Contains(name) || s_contextualKeywords.Contains(name))
        {
            return "it is a C# keyword";
        }

        return s_memberNames.Contains(name) ? "it is the name of a member of the generated class" : null;
    }

    /// <summary>Why <paramref name="name"/> (dotted) cannot be the generated class's namespace, or null when it can.</summary>
    public static string? NamespaceProblem(string name)
    {
        foreach (string part in name.Split('.'))
        {
            if (part.Length == 0)
            {
                return "it has an empty segment";
            }

            if (!IsIdentifier(part))
            {
                return "segment '" + part + "' must start with a letter or '_' and contain only letters, digits and '_'";
            }

            if (s_keywords.Contains(part) || part == "global")
            {
                return "segment '" + part + "' is a C# keyword";
            }
        }

        return null;
    }

    /// <summary>
    /// A C# identifier without '@' and without the format characters C# would allow (they could make the
    /// name read differently from what it is): a letter or '_', then letters, digits, connectors and marks.
    /// </summary>
    private static bool IsIdentifier(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            switch (CharUnicodeInfo.GetUnicodeCategory(name[i]))
            {
                case UnicodeCategory.UppercaseLetter:
                case UnicodeCategory.LowercaseLetter:
                case UnicodeCategory.TitlecaseLetter:
                case UnicodeCategory.ModifierLetter:
                case UnicodeCategory.OtherLetter:
                case UnicodeCategory.LetterNumber:
                    break;
                case UnicodeCategory.DecimalDigitNumber:
                case UnicodeCategory.ConnectorPunctuation:
                case UnicodeCategory.NonSpacingMark:
                case UnicodeCategory.SpacingCombiningMark:
                    if (i == 0 && name[i] != '_')
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }

        return true;
    }
}
